/** Structured JSON log lines. Values pass through `redact` so no email, token or key leaks into logs. */

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
const JWT_LIKE = /eyJ[\w-]*\.[\w-]*\.[\w-]*/g;
const LONG_SECRET = /[A-Za-z0-9+/=_-]{40,}/g;

/** a***@example.com: enough to correlate a support request, not enough to enumerate users. */
export function maskEmail(email: string): string {
  return email.replace(EMAIL, "$1***@$2");
}

export function redact(text: string): string {
  return maskEmail(text).replace(JWT_LIKE, "[token]").replace(LONG_SECRET, "[redacted]");
}

export type LogFields = Record<string, string | number | boolean | undefined | object>;

export function log(level: "info" | "warn" | "error", message: string, fields: LogFields = {}): void {
  const line = JSON.stringify({ level, message: redact(message), ...fields }, (_key, value) =>
    typeof value === "string" ? redact(value) : value,
  );
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
