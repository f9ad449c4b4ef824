/**
 * Rate limits, each a Workers Rate Limiting binding (wrangler.toml), checked before any upstream call.
 * `limit({ counter, key })` is the one way a route is limited; the rules of this API:
 *
 * - per client address and route pattern, on every /platform route (IP_RATE_LIMITER): floods stop
 *   here. It starts before the body is read, and an address over it gets 429 whatever else is wrong
 *   with its request;
 * - guesses (a password or a code) per kind, account and address (GUESS_RATE_LIMITER), then per kind
 *   and account for those that passed (ACCOUNT_RATE_LIMITER): the backstop against guessing spread
 *   over many addresses, which no single address can exhaust. Kinds never share a count, so no
 *   amount of wrong reset or confirmation codes touches a log-in's TOTP step;
 * - mail per recipient and address (MAIL_RATE_LIMITER), then per recipient for what passed
 *   (RECIPIENT_RATE_LIMITER): one address cannot block a victim's own reset. Mail to a new address
 *   (email change) is also counted per target address, whichever account asks.
 *
 * The signed-in user's routes key the same counters by the token's `sub` instead of an email. Money
 * and trades are counted per user and action (`actionCounter`), by the flow itself just before its
 * first Broker API call: a refusal that never reached the Broker uses up nothing, and no action's
 * count (cancelling random ids, say) can block another (a deposit).
 */
import type { Context, Input, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { routePath } from "hono/route";
import { convertIPv4BinaryToString, convertIPv4MappedIPv6ToIPv4, convertIPv6BinaryToString, convertIPv6ToBinary, isIPv4MappedIPv6 } from "hono/utils/ipaddr";
import { count, countPasswordGuess, GUESS_DETAIL, type Counter, type GuessKind } from "../limits";
import type { AuthVariables } from "./require-auth";

export interface AddressLimitVariables {
  /** Settles with the address's verdict; upstream calls wait for it (the request's clearance). */
  addressCheck: Promise<void>;
}

/** One rule: a counter, the key a request counts under, what a client over it is told. */
export interface Rule<E extends LimitEnv, I extends Input = {}> {
  counter: Counter;
  key: (c: Context<E, string, I>) => string;
  detail?: string;
}

type LimitEnv = { Bindings: Env; Variables: AddressLimitVariables };

/**
 * Limits a route by its rules, in order: each is counted only once the one before it passed (a
 * backstop after its per-address rule), all of it beside the address's own check.
 */
export function limit<E extends LimitEnv, I extends Input = {}>(...rules: Rule<E, I>[]): MiddlewareHandler<E, string, I> {
  return createMiddleware<E, string, I>(async (c, next) => {
    await countRules(c, rules);
    await next();
  });
}

/** Counts `rules` as `limit` does, for a step that is not a middleware of its own (a route's declared rules, routes/rules.ts). */
export async function countRules<E extends LimitEnv, I extends Input = {}>(c: Context<E, string, I>, rules: readonly Rule<E, I>[]): Promise<void> {
  const counted = (async () => {
    for (const rule of rules) await count(c.env, rule.counter, rule.key(c), rule.detail ?? "Too many requests; retry later.");
  })();
  await Promise.all([c.get("addressCheck"), counted]);
}

/**
 * Cloudflare sets CF-Connecting-IP on every request and overwrites a client's own. An IPv6 client
 * usually holds a whole /64, so that is one address here; otherwise it could rotate freely. An IPv4
 * client written as IPv6 (::ffff:203.0.113.7) is that IPv4 address, not one /64 shared by all.
 */
export function clientAddress(c: Context): string {
  const ip = c.req.header("cf-connecting-ip") ?? "unknown";
  if (!ip.includes(":")) return ip;
  let address: bigint;
  try {
    address = convertIPv6ToBinary(ip);
  } catch {
    return ip; // not an address Cloudflare would send: counted as the string it is
  }
  if (isIPv4MappedIPv6(address)) return convertIPv4BinaryToString(convertIPv4MappedIPv6ToIPv4(address));
  return `${convertIPv6BinaryToString((address >> 64n) << 64n)}/64`;
}

/**
 * Starts the address's check (to be awaited once the route answered) and lets the request go on meanwhile (reading the body, validating it,
 * starting its own limits), so no route waits for it on its own. Nothing goes upstream before it
 * passes (it is the request's clearance), and after the route has answered, an address over its
 * limit gets 429 instead of whatever the route said. Keyed by the route's pattern, not its path:
 * /platform/me/ reaches the handler of /platform/me and shares its count.
 */
export function startAddressCheck<E extends LimitEnv>(c: Context<E>): Promise<void> {
  const check = count(c.env, "IP_RATE_LIMITER", `${routePath(c, -1)}|${clientAddress(c)}`, "Too many requests from this address; retry later.");
  check.catch(() => undefined); // awaited once the route answered and by every upstream call; never an unhandled rejection
  c.set("addressCheck", check);
  return check;
}

/** A route whose validated body has the email it acts on (after validJson). */
type EmailInput = { out: { json: { email: string } } };
type SignedIn = LimitEnv & { Variables: AuthVariables };

/** The two rules of a guess of `kind` at a login (its email, or a signed-in user's sub): per address, then the login's backstop. */
function guessRules<E extends LimitEnv, I extends Input = {}>(kind: GuessKind, login: (c: Context<E, string, I>) => string): Rule<E, I>[] {
  return [
    { counter: "GUESS_RATE_LIMITER", key: (c) => `${kind}|${login(c)}|${clientAddress(c)}`, detail: GUESS_DETAIL },
    { counter: "ACCOUNT_RATE_LIMITER", key: (c) => `${kind}|${login(c)}`, detail: GUESS_DETAIL },
  ];
}

/** A route that checks a password or a code for the email in its body (after validJson). */
export function limitGuesses(kind: GuessKind) {
  return limit<LimitEnv, EmailInput>(...guessRules<LimitEnv, EmailInput>(kind, (c) => c.req.valid("json").email));
}

/** The rules of a bearer route that checks a password or a code of the signed-in user (after its body). */
export function guessesOfUser(kind: GuessKind): Rule<SignedIn>[] {
  return guessRules<SignedIn>(kind, (c) => c.get("user").sub);
}

const MAIL_DETAIL = "Too many codes sent to this email; retry later.";

/** A route that sends mail to the email in its body: per recipient and address, then per recipient. */
export const limitMail = limit<LimitEnv, EmailInput>(
  { counter: "MAIL_RATE_LIMITER", key: (c) => `${c.req.valid("json").email}|${clientAddress(c)}`, detail: MAIL_DETAIL },
  { counter: "RECIPIENT_RATE_LIMITER", key: (c) => c.req.valid("json").email, detail: MAIL_DETAIL },
);

const MAIL_OF_USER: Rule<SignedIn> = { counter: "MAIL_RATE_LIMITER", key: (c) => `user|${c.get("user").sub}`, detail: "Too many codes sent; retry later." };

/** The rule of a bearer route that sends mail to the signed-in user's own address. */
export const MAIL_TO_USER: readonly Rule<SignedIn>[] = [MAIL_OF_USER];

/**
 * The rules of a bearer route that sends mail to a new address in its body (email change, after its
 * body): per account, and per target address whichever account asks, so many accounts cannot flood one inbox.
 */
export const MAIL_TO_NEW_ADDRESS: readonly Rule<SignedIn, EmailInput>[] = [
  MAIL_OF_USER as Rule<SignedIn, EmailInput>,
  { counter: "MAIL_RATE_LIMITER", key: (c) => `target|${c.req.valid("json").email}`, detail: MAIL_DETAIL },
];

/** The rule of a bearer route counted per user and `route` on `counter` (the brokerage's or the market's): one user's polling cannot spend another's. */
export function perUser(counter: "BROKERAGE_RATE_LIMITER" | "MARKET_RATE_LIMITER", route: string): Rule<SignedIn> {
  return { counter, key: (c) => `${route}|${c.get("user").sub}`, detail: "Too many requests for this account; retry later." };
}
