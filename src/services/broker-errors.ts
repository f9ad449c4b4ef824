// The one way a Broker API error becomes a failure of the catalog, in the user's terms (as
// cognito-errors.ts does for Cognito). Never the Broker API's message: a fixed detail, and a field
// named only from the fixed list src/broker/errors.ts matches.
import { BrokerError, BROKER_API, type NameableField } from "../broker/errors";
import { Failure, type FailureCode, type FieldError } from "../failures";

/** What a Broker API status means in one flow: a failure code, or one decided on the error. */
type BrokerMeanings = Partial<Record<number, FailureCode | ((error: BrokerError) => Failure)>>;

/** Our request fields, by the Broker API's: the same paths, but the email, which is not the client's to send. */
function requestField(field: NameableField): string | undefined {
  return field === "contact.email_address" ? undefined : field;
}

/** The fields the Broker API named, each with one fixed sentence: the value sent is never repeated. */
function refusedFields(error: BrokerError): FieldError[] {
  return error.fields.flatMap((field) => {
    const named = requestField(field);
    return named ? [{ field: named, message: "The broker refused this value." }] : [];
  });
}

/** The details were refused: 422 naming the fields the Broker API names. */
export function detailsRejected(error: BrokerError): Failure {
  const errors = refusedFields(error);
  return new Failure("account_details_rejected", { ...(errors.length ? { errors } : {}), cause: error });
}

/** Runs a Broker API call and gives its failure in the user's terms: the flow's `meanings` first, then those of every flow. */
export async function withBrokerFailures<T>(call: Promise<T>, meanings: BrokerMeanings = {}): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw brokerMeaningOf(error, meanings);
  }
}

/** The failure a Broker API error means; anything else (timeouts, unusable answers: already failures) passes as it is. */
export function brokerMeaningOf(error: unknown, meanings: BrokerMeanings = {}): unknown {
  if (!(error instanceof BrokerError)) return error;
  // The same in every flow: our key refused (it also answers 401 for an account it cannot see, and
  // every account id we send comes from our own records), and throttling.
  if (error.httpStatus === 401) return new Failure("misconfigured", { cause: error });
  if (error.httpStatus === 429) {
    return new Failure("rate_limited", {
      detail: "The Broker API is throttling requests; retry later.",
      headers: { "retry-after": String(error.retryAfterSeconds ?? 1) },
      cause: error,
    });
  }
  const meaning = meanings[error.httpStatus];
  if (typeof meaning === "function") return meaning(error);
  if (meaning) return new Failure(meaning, { cause: error });
  return new Failure("upstream_error", { detail: `${BROKER_API} failed to complete the request.`, cause: error });
}
