/**
 * What the Broker API said went wrong, as an error that keeps only what is safe to act on and to
 * log: its HTTP status, its error code, and which of the fields we send its message names. The
 * message itself is dropped here: it may repeat a submitted value (a tax id, an address). No HTTP
 * meaning of ours here; services/broker-errors.ts gives these their meaning in the user's terms.
 */

/** The Broker API, as failures name it. */
export const BROKER_API = "The Broker API";

/**
 * The fields of the bodies we send that a Broker API message may name, as dotted paths. Matched as
 * the whole path, or by a leaf distinctive enough not to be an ordinary word ("state", "city" and
 * "unit" only as `contact.state`...).
 */
const NAMEABLE_FIELDS = [
  "contact.email_address",
  "contact.phone_number",
  "contact.street_address",
  "contact.unit",
  "contact.city",
  "contact.state",
  "contact.postal_code",
  "identity.given_name",
  "identity.family_name",
  "identity.date_of_birth",
  "identity.tax_id",
  "identity.tax_id_type",
  "identity.country_of_citizenship",
  "identity.country_of_birth",
  "identity.country_of_tax_residence",
  "identity.funding_source",
  "disclosures.is_control_person",
  "disclosures.is_affiliated_exchange_or_finra",
  "disclosures.is_politically_exposed",
  "disclosures.immediate_family_exposed",
  "agreements",
] as const;

export type NameableField = (typeof NAMEABLE_FIELDS)[number];

const escape = (text: string) => text.replace(/[.]/g, "\\.");
const FIELD_PATTERNS = NAMEABLE_FIELDS.map((field) => {
  const leaf = field.split(".").pop()!;
  const names = leaf.includes("_") ? [field, leaf] : [field];
  // \b treats "_" as a word character: "tax_id" does not match inside "tax_id_type".
  return { field, pattern: new RegExp(`\\b(?:${names.map(escape).join("|")})\\b`, "i") };
});

/** The fields of NAMEABLE_FIELDS that `message` names. */
export function fieldsNamedIn(message: string): NameableField[] {
  return FIELD_PATTERNS.filter(({ pattern }) => pattern.test(message)).map(({ field }) => field);
}

/**
 * Why the Broker API refused an order or a transfer, as far as its message says so in words we know:
 * each a fixed sentence of ours, matched on the message (never passed on).
 */
const REFUSALS = [
  { pattern: /insufficient buying power/i, reason: "The account's buying power is not enough for this order." },
  { pattern: /insufficient qty|insufficient quantity|not allowed to short/i, reason: "The account does not hold enough shares for this order." },
  // "not active" only of an asset: "account is not active" is the account's, not the asset's.
  { pattern: /not tradable|asset .*(?:not active|not found)|could not find asset/i, reason: "The asset is not tradable." },
  { pattern: /not fractionable|fractional/i, reason: "The asset cannot be traded in fractions: use a whole quantity." },
  { pattern: /market (is )?closed|outside (of )?market hours/i, reason: "The market is closed for this order's time in force." },
  { pattern: /insufficient funds|insufficient balance/i, reason: "The account does not have enough cash for this." },
  // A transfer's documented 422s (broker-api.md section 3); any other 422 of a transfer is its Idempotency-Key.
  { pattern: /invalid relationship_id/i, reason: "The bank link cannot be used for transfers." },
  { pattern: /amount must be greater/i, reason: "The amount is below the broker's minimum for this transfer." },
] as const;

export type Refusal = (typeof REFUSALS)[number]["reason"];

/** Our sentence for the refusal `message` describes, if any. */
export function refusalIn(message: string): Refusal | undefined {
  return REFUSALS.find(({ pattern }) => pattern.test(message))?.reason;
}

/** The Broker API answered with an error: `{"code": 40010001, "message": "..."}` and an HTTP status. */
export class BrokerError extends Error {
  override name = "BrokerError";
  readonly httpStatus: number;
  /** The Broker API's own code (40010000, 40110000, ...); undefined when the body had none. */
  readonly code: number | undefined;
  /** Which of our fields its message named. */
  readonly fields: NameableField[];
  /** For a 429: seconds until its window resets (X-RateLimit-Reset), when it said. */
  readonly retryAfterSeconds: number | undefined;
  /** Why it refused, in our words, when its message said so in words we know. */
  readonly refusal: Refusal | undefined;

  constructor(action: string, httpStatus: number, code: number | undefined, fields: NameableField[], retryAfterSeconds?: number, refusal?: Refusal) {
    // The log's text: never the Broker API's message, which may repeat what was sent.
    super(`${action} answered HTTP ${httpStatus}, code ${code ?? "none"}${fields.length ? `, naming ${fields.join(", ")}` : ""}`);
    this.httpStatus = httpStatus;
    this.code = code;
    this.fields = fields;
    this.retryAfterSeconds = retryAfterSeconds;
    this.refusal = refusal;
  }
}
