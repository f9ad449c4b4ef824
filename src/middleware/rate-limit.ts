/**
 * Rate limits, each a Workers Rate Limiting binding (wrangler.toml), checked before Cognito is called:
 *
 * - per client address and route, on every /platform route (IP_RATE_LIMITER): floods stop here. It
 *   starts before the body is read, and an address over it gets 429 whatever else is wrong with its
 *   request;
 * - per email and address, for guesses (GUESS_RATE_LIMITER): a password (log-in, resuming a sign-up)
 *   or a code (reset, confirmation). Keyed by the address too, so nobody can use up a victim's
 *   allowance from elsewhere;
 * - per email alone, for guesses that passed the per-address limits (ACCOUNT_RATE_LIMITER): the
 *   backstop against guessing spread over many addresses. Only passing requests count, so no single
 *   address can exhaust it;
 * - per email, for requests that send mail (MAIL_RATE_LIMITER): forgot-password and resend.
 *
 * Routes for the signed-in user (bearer) key the same counters by the token's `sub` instead of an
 * email: changing the password, TOTP codes, re-authenticating, email verification codes and mail.
 *
 * Mail and code limits never touch the password counters: no amount of forgot, reset, confirm or
 * resend traffic for a victim's email blocks the victim's log-in.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { Failure } from "../failures";

/** The bindings' period (wrangler.toml): a client over a limit is told to come back after it. */
const RETRY_AFTER_SECONDS = "60";

export type GuessKind = "password" | "code";

export interface AddressLimitVariables {
  /** Settles with the address's verdict: rejects with a 429 problem when it is over its limit. */
  addressCheck: Promise<void>;
}

export interface AccountLimitVariables {
  /** The normalised email a route acts on: the limits' key, and (masked) in the log. */
  email: string;
}

type EmailInput = { out: { json: { email: string } } };
type LimitEnv = { Bindings: Env; Variables: AddressLimitVariables & AccountLimitVariables };

async function withinLimit(limiter: RateLimit | undefined, key: string, detail: string): Promise<void> {
  if (!limiter) return; // binding not declared: limits are the operator's choice
  const { success } = await limiter.limit({ key });
  if (!success) throw new Failure("rate_limited", { detail, headers: { "retry-after": RETRY_AFTER_SECONDS } });
}

/**
 * Cloudflare sets CF-Connecting-IP on every request and overwrites a client's own. An IPv6 client
 * usually holds a whole /64, so that is one address here; otherwise it could rotate freely.
 */
function clientAddress(c: Context): string {
  const ip = c.req.header("cf-connecting-ip") ?? "unknown";
  if (!ip.includes(":")) return ip;
  // An IPv4 client written as IPv6 (::ffff:203.0.113.7) is that IPv4 address, not one shared /64.
  const mappedIpv4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  if (mappedIpv4) return mappedIpv4[1]!;
  const [head = "", tail = ""] = ip.split("::");
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const groups = ip.includes("::") ? [...headGroups, ...Array(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill("0"), ...tailGroups] : headGroups;
  return `${groups.slice(0, 4).map((group) => group.toLowerCase().replace(/^0+(?=.)/, "")).join(":")}::/64`;
}

/**
 * Starts the address's check and lets the request go on meanwhile (reading the body, validating it,
 * starting the per-email checks), so no route waits for it on its own. Nothing reaches Cognito before
 * it passes (withCognito makes it the request's clearance), and after the route has answered, an
 * address over its limit gets 429 instead of whatever the route said.
 */
export const limitPerAddress = createMiddleware<LimitEnv>(async (c, next) => {
  const check = withinLimit(c.env.IP_RATE_LIMITER, `${c.req.path}|${clientAddress(c)}`, "Too many requests from this address; retry later.");
  check.catch(() => undefined); // awaited below and by every upstream call; never an unhandled rejection
  c.set("addressCheck", check);
  await next();
  await check;
});

/** Counts one guess for `email` from `address`: the per-address limit, then the account's backstop. */
async function countGuess(env: Env, address: string, kind: GuessKind, email: string): Promise<void> {
  await withinLimit(env.GUESS_RATE_LIMITER, `${kind}|${email}|${address}`, "Too many attempts for this account; retry later.");
  await withinLimit(env.ACCOUNT_RATE_LIMITER, `${kind}|${email}`, "Too many attempts for this account; retry later.");
}

/** For a route that checks a password or a code for the email in its body: counted before Cognito sees it. */
export function limitGuesses(kind: GuessKind) {
  return createMiddleware<LimitEnv, string, EmailInput>(async (c, next) => {
    const { email } = c.req.valid("json");
    c.set("email", email);
    await Promise.all([c.get("addressCheck"), countGuess(c.env, clientAddress(c), kind, email)]);
    await next();
  });
}

/** The same count, for a flow that only sometimes checks a password (resuming a sign-up). */
export function passwordGuessCounter<E extends { Bindings: Env }>(c: Context<E>, email: string): () => Promise<void> {
  return () => countGuess(c.env, clientAddress(c), "password", email);
}

type UserLimitEnv = { Bindings: Env; Variables: AddressLimitVariables & { auth: { sub: string } } };

/** For a bearer route that checks a password or a code of the signed-in user (after requireAuth). */
export function limitGuessesOfUser(kind: GuessKind) {
  return createMiddleware<UserLimitEnv>(async (c, next) => {
    await Promise.all([c.get("addressCheck"), countGuess(c.env, clientAddress(c), kind, c.get("auth").sub)]);
    await next();
  });
}

/** For a bearer route that sends mail to the signed-in user (after requireAuth). */
export const limitMailOfUser = createMiddleware<UserLimitEnv>(async (c, next) => {
  await Promise.all([c.get("addressCheck"), withinLimit(c.env.MAIL_RATE_LIMITER, c.get("auth").sub, "Too many codes sent; retry later.")]);
  await next();
});

/** For a route that sends mail to the email in its body. */
export const limitMail = createMiddleware<LimitEnv, string, EmailInput>(async (c, next) => {
  const { email } = c.req.valid("json");
  c.set("email", email);
  await Promise.all([c.get("addressCheck"), withinLimit(c.env.MAIL_RATE_LIMITER, email, "Too many codes sent to this email; retry later.")]);
  await next();
});

/** Names the email of a route that has no per-email limit (sign-up), for the log. */
export const noteEmail = createMiddleware<LimitEnv, string, EmailInput>(async (c, next) => {
  c.set("email", c.req.valid("json").email);
  await next();
});
