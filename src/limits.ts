// The Workers Rate Limiting bindings (wrangler.toml) as plain functions of `env`: every count this API
// makes, whatever started the flow. middleware/rate-limit.ts keys them by the request (its route,
// its address); a flow counts its own actions (actionCounter) and password guesses through these.
import { Failure } from "./failures";
import { keptFor } from "./isolate";

/** The bindings' period (wrangler.toml): a client over a limit is told to come back after it. */
const RETRY_AFTER_SECONDS = "60";

export type Counter = "IP_RATE_LIMITER" | "GUESS_RATE_LIMITER" | "ACCOUNT_RATE_LIMITER" | "MAIL_RATE_LIMITER" | "RECIPIENT_RATE_LIMITER" | "BROKERAGE_RATE_LIMITER" | "TRANSFER_RATE_LIMITER" | "ORDER_RATE_LIMITER" | "MARKET_RATE_LIMITER";

/** What a guess is of: each kind is counted on its own. */
export type GuessKind = "password" | "totp" | "confirmation_code" | "reset_code" | "email_code";

/** The counters an operator turned off on purpose: RATE_LIMITS_OFF="MAIL_RATE_LIMITER,…" (docs/security.md). */
function countersOff(env: Env): Set<string> {
  const names = (env as { RATE_LIMITS_OFF?: string }).RATE_LIMITS_OFF ?? "";
  return new Set(names.split(",").map((name) => name.trim()).filter(Boolean));
}

/**
 * One count against a counter. A binding that is not declared fails closed (503 misconfigured, the
 * binding named in the log only) unless RATE_LIMITS_OFF names it: a deploy that forgot the
 * bindings must not silently remove every limit.
 */
export async function count(env: Env, counter: Counter, key: string, detail: string): Promise<void> {
  const limiter = (env as Partial<Record<Counter, RateLimit>>)[counter];
  if (!limiter) {
    if (keptFor(env, countersOff).has(counter)) return;
    throw new Failure("misconfigured", { cause: new Error(`the rate-limit binding ${counter} is not declared, and RATE_LIMITS_OFF does not name it`) });
  }
  const { success } = await limiter.limit({ key });
  if (!success) throw new Failure("rate_limited", { detail, headers: { "retry-after": RETRY_AFTER_SECONDS } });
}

/** The actions of money and trades, each with an allowance of its own per user (wrangler.toml). */
const ACTION_LIMITS = {
  "transfer.create": { counter: "TRANSFER_RATE_LIMITER", detail: "Too many transfers for this account; retry later." },
  "transfer.cancel": { counter: "TRANSFER_RATE_LIMITER", detail: "Too many transfer cancels for this account; retry later." },
  "order.create": { counter: "ORDER_RATE_LIMITER", detail: "Too many orders for this account; retry later." },
  "order.cancel": { counter: "ORDER_RATE_LIMITER", detail: "Too many order cancels for this account; retry later." },
  "order.replace": { counter: "ORDER_RATE_LIMITER", detail: "Too many order replaces for this account; retry later." },
  "position.close": { counter: "ORDER_RATE_LIMITER", detail: "Too many position closes for this account; retry later." },
} as const satisfies Record<string, { counter: Counter; detail: string }>;

export type CountedAction = keyof typeof ACTION_LIMITS;

/**
 * The user's count of one action, for a flow to call just before its first Broker API call (a
 * dependency of the flow, free of Hono): 429 rate_limited over the action's allowance.
 */
export function actionCounter(env: Env, sub: string): (action: CountedAction) => Promise<void> {
  return (action) => count(env, ACTION_LIMITS[action].counter, `${action}|${sub}`, ACTION_LIMITS[action].detail);
}

export const GUESS_DETAIL = "Too many attempts for this account; retry later.";

/** A password guess at `login` (an email, or a signed-in user's sub) from `address`: per address, then the login's backstop (the keys of middleware/rate-limit.ts guessRules). */
export async function countPasswordGuess(env: Env, login: string, address: string): Promise<void> {
  await count(env, "GUESS_RATE_LIMITER", `password|${login}|${address}`, GUESS_DETAIL);
  await count(env, "ACCOUNT_RATE_LIMITER", `password|${login}`, GUESS_DETAIL);
}

/** The most a KYC document may hold, decoded: the Broker API's limit of 10 MB a document (broker-api.md section 13). */
export const MAX_DOCUMENT_BYTES = 10_000_000;

/** The upload's own body limit (middleware/json-body.ts): the document's base64 text, and room for its other fields. Every other body: 16 KiB. */
export const MAX_UPLOAD_BODY_BYTES = 4 * Math.ceil(MAX_DOCUMENT_BYTES / 3) + 4096;
