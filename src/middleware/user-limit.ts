import type { Context, MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { Failure } from "../failures";
import type { AddressLimitVariables } from "./rate-limit";

/** The bindings' period (wrangler.toml). */
const RETRY_AFTER_SECONDS = "60";

type UserLimitEnv = { Bindings: Env; Variables: AddressLimitVariables };

/** One rule: a counter (a Rate Limiting binding), the key a request counts under, what a client over it is told. */
export interface UserRule<E extends UserLimitEnv> {
  counter: "BROKERAGE_RATE_LIMITER";
  key: (c: Context<E>) => string;
  detail?: string;
}

/**
 * A per-user limit of the signed-in user's routes (after requireAuth), beside the address's own
 * check. The rule has the shape of the coming `limit({ counter, key })` of rate-limit.ts, which
 * will replace this. A binding that is not declared means no limit, as for the other limiters.
 */
export function limitUser<E extends UserLimitEnv>(rule: UserRule<E>): MiddlewareHandler<E> {
  return createMiddleware<E>(async (c, next) => {
    const limiter = (c.env as Partial<Record<UserRule<E>["counter"], RateLimit>>)[rule.counter];
    const counted = async () => {
      if (!limiter) return;
      const { success } = await limiter.limit({ key: rule.key(c) });
      if (!success) throw new Failure("rate_limited", { detail: rule.detail ?? "Too many requests for this account; retry later.", headers: { "retry-after": RETRY_AFTER_SECONDS } });
    };
    await Promise.all([c.get("addressCheck"), counted()]);
    await next();
  });
}
