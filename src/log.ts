/** Structured JSON log lines. Values pass through `redact`, so no email, token or key reaches a log. */

/**
 * Anything shaped like an address: a run without spaces or delimiters, an @, and a domain. A superset
 * of what the request schemas accept as an email (zod's pattern allows ' and + in the local part), so
 * every email the API takes in is masked, whatever else it is part of.
 */
const EMAIL = /([^\s@"<>(),;:\\[\]{}])[^\s@"<>(),;:\\[\]{}]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})/g;
const JWT_LIKE = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;
const LONG_SECRET = /[A-Za-z0-9+/=_-]{40,}/g;

/** a***@example.com: enough to correlate a support request, not enough to enumerate users. */
export function maskEmail(email: string): string {
  // Most logged strings have no @: skip a regex that would scan them from every position.
  return email.includes("@") ? email.replace(EMAIL, "$1***@$2") : email;
}

function redact(text: string): string {
  // Most logged values (methods, routes, actions, codes) can match none of the three patterns: an
  // email needs an @, a token "eyJ", a secret 40 characters. Those skip the regex scans.
  if (text.length < 40 && !text.includes("@") && !text.includes("eyJ")) return text;
  return maskEmail(text).replace(JWT_LIKE, "[token]").replace(LONG_SECRET, "[redacted]");
}

type LogFields = Record<string, string | number | boolean | undefined | object>;

/** The request's ids: ours, and the client's X-Request-Id when it sent a well-formed one. */
export interface LogIds {
  requestId?: string;
  correlationId?: string;
}

/**
 * `value` with every string in it, at any depth, redacted; what JSON.stringify would turn into a
 * string first (a Date, through its toJSON) too. A copy: JSON.stringify with a replacer calls back
 * into JavaScript for every value, and costs a request's log line about half as much again.
 */
function redacted(value: unknown): unknown {
  if (typeof value === "string") return redact(value);
  if (typeof value !== "object" || value === null) return value;
  if ("toJSON" in value && typeof value.toJSON === "function") return redacted(value.toJSON());
  if (Array.isArray(value)) return value.map(redacted);
  const copy: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) copy[key] = redacted(field);
  return copy;
}

/**
 * One JSON line. The ids are written as they are: they are made or validated where they come in
 * (middleware/request-id.ts), and redacting a long correlation id would break correlation.
 */
export function log(level: "info" | "warn" | "error", message: string, fields: LogFields = {}, ids: LogIds = {}): void {
  const entry: Record<string, unknown> = { level, message: redact(message) };
  for (const [key, value] of Object.entries(fields)) entry[key] = redacted(value);
  entry.request_id = ids.requestId;
  entry.correlation_id = ids.correlationId;
  const line = JSON.stringify(entry);
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
