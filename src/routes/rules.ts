import type { Context, Input, MiddlewareHandler, Next } from "hono";
import { createMiddleware } from "hono/factory";
import type { FundingConfig } from "../config";
import type { GuessKind } from "../limits";
import { giveBrokerDeps, type BrokerVariables } from "../middleware/broker";
import { readsHeaders } from "../middleware/client-headers";
import { giveFundingConfig, takeIdempotencyKey, type IdempotencyKeyInput, type MoneyVariables } from "../middleware/money";
import { countRules, guessesOfUser, MAIL_TO_NEW_ADDRESS, MAIL_TO_USER, perUser, type Rule } from "../middleware/rate-limit";
import { ensureRecentSignIn } from "../middleware/recent-sign-in";
import { authenticate, type AuthVariables } from "../middleware/require-auth";
import { auditFailure, type AuditAction } from "../services/audit";
import { ensureEmailVerified } from "../services/profile";
import { requestActor } from "./actor";
import type { PlatformEnv } from "./env";

/** How a signed-in route is counted. */
type Limit =
  /** Per user and key, on the brokerage's counter or the market's (wrangler.toml), before the body. */
  | { brokerage: string }
  | { market: string }
  /** The flow counts its own action just before its first Broker call (Deps.allow): a refusal before it uses up nothing. */
  | "flow"
  /** Mail to the user's own address, before the body. */
  | "mail"
  /** A guess (a password or a code) of the user, once the body is valid: a malformed request guesses nothing. */
  | { guesses: GuessKind }
  /** Mail to the new address in the body (email change): per user and per target address, once the body is valid. */
  | "mail to new address"
  /** Only the address's own limit (forPlatform); a step up counts its password guesses in its flow. */
  | "none";

interface Common {
  limit: Limit;
  /** A change only a sign-in of the last this many seconds may make (403 recent_sign_in_required). */
  recentSignIn?: number;
  /**
   * Only a user who proved the account's email gets through (403 email_not_verified; money in or
   * out, trades, opening an account): before the Idempotency-Key and the body, or after the body.
   */
  verifiedEmail?: true | "after body";
  /** A create: 400 without a usable Idempotency-Key (the route's typed header input, for hc<AppType>). */
  idempotent?: boolean;
  /** The body's (or query's) validator, when a rule must follow it ("after body" rules); otherwise the route validates after its rules. */
  body?: MiddlewareHandler<any, string, any>;
}

/**
 * What a signed-in route declares. `uses`: the dependencies beyond the login's, "broker" D1 and the
 * Broker API (the flow `deps`), "money" also the funding limits. A money route names its audit
 * `action`: the row of a request refused before its flow ran (from then on, the flow writes it).
 */
export type Declaration = Common & ({ uses: "money"; action: AuditAction } | { uses?: "broker"; action?: undefined });

type RulesEnv = PlatformEnv & { Variables: AuthVariables & BrokerVariables & MoneyVariables & { flowRan?: boolean } };
type RulesContext = Context<RulesEnv>;
/** One rule: sets what it gives, or throws the failure the request is answered with. Each is typed by the context it reads. */
// `any`: each rule reads its own context type.
type Check = (c: Context<any, string, any>) => void | Promise<void>;
// `any`: each limit reads its own context type.
type AnyRule = Rule<any, any>;

type Step<V extends object = {}, I extends Input = {}> = MiddlewareHandler<{ Bindings: Env; Variables: V }, string, I>;
type VariablesOf<D> = AuthVariables &
  (D extends { uses: "broker" | "money" } ? BrokerVariables : {}) &
  (D extends { uses: "money" } ? { fundingConfig: FundingConfig; flowRan?: boolean } : {}) &
  (D extends { idempotent: true } ? { idempotencyKey: string } : {});
type ChecksBeforeBody<D> = D extends { limit: { brokerage: string } | { market: string } | "mail" } ? true : D extends { verifiedEmail: true } ? true : D extends { idempotent: true } ? true : false;
type ChecksAfterBody<D> = D extends { limit: { guesses: GuessKind } | "mail to new address" } ? true : D extends { verifiedEmail: "after body" } ? true : false;

/** The middleware `rules(declaration)` gives, as Hono's types see them: their variables, the Idempotency-Key input, the body's validator. */
export type Rules<D> = readonly [
  Step<VariablesOf<D>, D extends { idempotent: true } ? IdempotencyKeyInput : {}>,
  ...(D extends { action: AuditAction } ? (ChecksBeforeBody<D> extends true ? [Step, Step] : [Step]) : []),
  ...(D extends { body: infer Body } ? [Body] : []),
  ...(ChecksAfterBody<D> extends true ? [Step] : []),
];

/** Rules that run one after another as one middleware: a throw is answered as a middleware's own. */
function step(checks: readonly Check[]): MiddlewareHandler<RulesEnv> {
  return async (c: RulesContext, next: Next) => {
    for (const check of checks) {
      const pending = check(c);
      if (pending) await pending;
    }
    await next();
  };
}

const verifiedEmail: Check = (c: RulesContext) => ensureEmailVerified(c.get("loginDeps"), { user: c.get("user") });

const counted = (rules: readonly AnyRule[]): Check => (c) => countRules(c, rules);

/** The limit's rules counted before the body, and after it. */
function limitRules(limit: Limit): [before: readonly AnyRule[], after: readonly AnyRule[]] {
  if (limit === "mail") return [MAIL_TO_USER, []];
  if (limit === "mail to new address") return [[], MAIL_TO_NEW_ADDRESS];
  if (limit === "flow" || limit === "none") return [[], []];
  if ("guesses" in limit) return [[], guessesOfUser(limit.guesses)];
  return [["brokerage" in limit ? perUser("BROKERAGE_RATE_LIMITER", limit.brokerage) : perUser("MARKET_RATE_LIMITER", limit.market)], []];
}

/**
 * Writes the audit row of a request refused before its flow ran (a body, a key, a missing setting):
 * every request of a money route has its row, once. Not for an address over its limit: that request
 * is answered 429 whatever the route said, and a 429 writes no row.
 */
function auditRefusals(action: AuditAction) {
  return createMiddleware<RulesEnv>(async (c, next) => {
    await next();
    if (!c.error) return;
    const cleared = await c.get("addressCheck").then(
      () => true,
      () => false,
    );
    if (cleared && !c.get("flowRan")) await auditFailure(c.get("deps").stores.audit, requestActor(c), action, c.error, { idempotencyKey: c.get("idempotencyKey") });
  });
}

/** The dependencies of a money route's one flow call: from here on the flow writes the request's audit row, not auditRefusals. */
export function flowDeps(c: { set(name: "flowRan", value: true): void; get(name: "deps"): BrokerVariables["deps"] }): BrokerVariables["deps"] {
  c.set("flowRan", true);
  return c.get("deps");
}

/** Each route's declaration, by the first middleware of its rules: what the app's route list shows (test/node/architecture.test.ts). */
const declarations = new WeakMap<object, Declaration>();

/** The declaration whose rules `handler` starts, if any. */
export function declarationOf(handler: unknown): Declaration | undefined {
  return typeof handler === "function" ? declarations.get(handler) : undefined;
}

/**
 * Every cross-cutting rule of a route that needs a signed-in user, declared once and always in one
 * order, so that no route can forget one: its dependencies, the user (and how recent a sign-in),
 * the audit row of a money request refused before its flow, the limit, the verified email, the
 * Idempotency-Key; then the body's validator when a rule follows it (a guess, mail to a new address,
 * a verified email "after body"), and those rules. Rules with nothing between them run as one
 * middleware (fewer layers than one each); the audit row's middleware waits for everything after it.
 */
export function rules<const D extends Declaration>(declared: D): Rules<D> {
  const { uses, action, limit, recentSignIn, verifiedEmail: verified, idempotent, body } = declared;
  const [before, after] = limitRules(limit);
  const signIn: Check[] = [...(uses ? [giveBrokerDeps] : []), ...(uses === "money" ? [giveFundingConfig] : []), authenticate];
  if (recentSignIn !== undefined) signIn.push((c) => ensureRecentSignIn(c, recentSignIn));
  const beforeBody: Check[] = [...(before.length ? [counted(before)] : []), ...(verified === true ? [verifiedEmail] : []), ...(idempotent ? [takeIdempotencyKey] : [])];
  const afterBody: Check[] = [...(after.length ? [counted(after)] : []), ...(verified === "after body" ? [verifiedEmail] : [])];

  const first = step(action ? signIn : [...signIn, ...beforeBody]);
  const second = action && beforeBody.length ? step(beforeBody) : undefined;
  const chain: MiddlewareHandler<any, string, any>[] = [first, ...(action ? [auditRefusals(action)] : []), ...(second ? [second] : []), ...(body ? [body] : []), ...(afterBody.length ? [step(afterBody)] : [])];
  readsHeaders(first, "authorization");
  const keyStep = second ?? first;
  if (idempotent) readsHeaders(keyStep, "idempotency-key");
  declarations.set(first, declared);
  return chain as unknown as Rules<D>;
}
