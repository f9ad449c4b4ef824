// The one way a Cognito error becomes a failure of the catalog, in the user's terms.
import { ChallengeRequiredError, isCognitoError, isLockout, isMisconfiguration, isThrottling, type CognitoError } from "../cognito/errors";
import { Failure, type FailureCode } from "../failures";

/** What an error type means in one flow: a failure code, "done" (the call counts as made), or either, decided on the error. */
type Meaning<Outcome> = Outcome | ((error: CognitoError) => Outcome | undefined);
export type Meanings<Outcome = FailureCode> = Partial<Record<string, Meaning<Outcome>>>;

/** What Cognito's error types mean to a user in any flow; a flow's own meanings come first. */
const USUAL: Meanings = {
  UsernameExistsException: "account_exists",
  AliasExistsException: "account_exists",
  UserNotConfirmedException: "account_not_confirmed",
  PasswordResetRequiredException: "password_reset_required",
  InvalidPasswordException: "weak_password",
  PasswordHistoryPolicyViolationException: "weak_password",
  CodeMismatchException: "invalid_code",
  ExpiredCodeException: "expired_code",
  NotAuthorizedException: "invalid_credentials",
  UserNotFoundException: "invalid_credentials",
  InvalidParameterException: "invalid_request",
  UserLambdaValidationException: "invalid_request",
  ForbiddenException: "forbidden",
};

/** For calls made with the user's access token: Cognito no longer honours it (signed out, user deleted). */
export const WITH_ACCESS_TOKEN: Meanings = { NotAuthorizedException: "invalid_token", UserNotFoundException: "invalid_token" };

/**
 * Runs a Cognito call and gives its failure in the user's terms: the flow's `meanings` first, then the
 * usual ones. "done" means the error is no failure here (it would reveal whether an email has an account).
 */
export function withCognitoFailures<T>(call: Promise<T>, meanings?: Meanings): Promise<T>;
export function withCognitoFailures(call: Promise<unknown>, meanings: Meanings<FailureCode | "done">): Promise<unknown>;
export async function withCognitoFailures(call: Promise<unknown>, meanings: Meanings<FailureCode | "done"> = {}): Promise<unknown> {
  try {
    return await call;
  } catch (error) {
    const outcome = meaningOf(error, meanings);
    if (outcome === "done") return undefined;
    throw outcome;
  }
}

/** The failure an error means, or "done"; anything that is not a Cognito error passes as it is. */
export function meaningOf(error: unknown, meanings: Meanings<FailureCode | "done"> = {}): unknown {
  if (error instanceof ChallengeRequiredError) {
    return new Failure("challenge_required", { detail: `Sign-in needs the ${error.challenge} step, which this API does not offer.`, cause: error });
  }
  if (!isCognitoError(error)) return error;
  const everywhere = sameInEveryFlow(error);
  if (everywhere) return everywhere;
  const meaning = meanings[error.type] ?? USUAL[error.type];
  const outcome = typeof meaning === "function" ? meaning(error) : meaning;
  if (outcome === "done") return outcome;
  if (!outcome) return new Failure("upstream_error", { detail: "The identity provider failed to complete the request.", cause: error });
  return new Failure(outcome, { ...DETAILS[outcome]?.(error), cause: error });
}

/**
 * Errors that mean the same whatever the flow, checked before any flow's meanings: our own
 * misconfiguration, Cognito's lockout after repeated wrong passwords, and throttling.
 */
function sameInEveryFlow(error: CognitoError): Failure | undefined {
  if (isMisconfiguration(error)) return new Failure("misconfigured", { cause: error });
  if (isLockout(error)) return new Failure("rate_limited", { detail: "Too many failed sign-in attempts; retry later.", headers: { "retry-after": "60" }, cause: error });
  // Cognito sends no Retry-After; one second lets its token bucket refill a little.
  if (isThrottling(error)) {
    return new Failure("rate_limited", { detail: "The identity provider is throttling requests; retry later.", headers: { "retry-after": "1" }, cause: error });
  }
  return undefined;
}

/** Details that depend on what Cognito said: only its policy sentence, which is meant for users. */
const DETAILS: Partial<Record<FailureCode, (error: CognitoError) => { detail?: string }>> = {
  weak_password: (error) => ({
    detail:
      error.type === "PasswordHistoryPolicyViolationException"
        ? "The password was used recently; choose another."
        : (/^Password (did not conform with|does not conform to) policy: [\w ,.'-]{1,200}$/.exec(error.message.trim())?.[0] ?? undefined),
  }),
  invalid_token: () => ({ detail: "The session has been revoked; sign in again." }),
  invalid_request: (error) => (error.type === "UserLambdaValidationException" ? { detail: "The request was rejected by the user pool's validation rules." } : {}),
};

/** The new password broke the pool's policy; cognito-local uses the same type for a wrong current password. */
export function isPolicyRefusal(error: CognitoError): boolean {
  return isCognitoError(error, "InvalidPasswordException", "PasswordHistoryPolicyViolationException") && /policy/i.test(error.message);
}

/** A password check that failed on the password or an unknown user: real Cognito says NotAuthorized or UserNotFound, cognito-local InvalidPassword. */
export const WRONG_PASSWORD: Meanings = {
  NotAuthorizedException: "invalid_credentials",
  UserNotFoundException: "invalid_credentials",
  InvalidPasswordException: "invalid_credentials",
};

/** Errors that would tell a caller whether an email has an account: the call counts as made. */
export const WITHOUT_REVEALING_ACCOUNT: Meanings<"done"> = { UserNotFoundException: "done", InvalidParameterException: "done", NotAuthorizedException: "done" };
