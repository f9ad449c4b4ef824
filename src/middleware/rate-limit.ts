import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { rateLimited } from "../errors";
import type { AppEnv } from "../types";

/** The bindings' period (wrangler.toml): a client over the limit is told to come back after it. */
const RETRY_AFTER_SECONDS = 60;

async function enforce(limiter: RateLimit | undefined, key: string, detail: string): Promise<void> {
  if (!limiter) return; // binding not declared: limits are the operator's choice
  const { success } = await limiter.limit({ key });
  if (!success) throw rateLimited(RETRY_AFTER_SECONDS, detail);
}

/** Per client IP and route, before the body is even read: floods stop here, sign-up included. */
export const limitPerIp: MiddlewareHandler<AppEnv> = async (c, next) => {
  // Cloudflare sets CF-Connecting-IP on every request and overwrites a client's own.
  const ip = c.req.header("cf-connecting-ip") ?? "unknown";
  await enforce(c.env.IP_RATE_LIMITER, `${routePath(c)}|${ip}`, "Too many requests from this address; retry later.");
  await next();
};

/**
 * Per normalised email, after validation: stops password guessing against one account from many
 * addresses. Counted across routes, so reset and confirmation codes cannot be guessed either.
 */
export const limitPerEmail: MiddlewareHandler<AppEnv, string, { out: { json: { email: string } } }> = async (c, next) => {
  const { email } = c.req.valid("json");
  c.set("email", email);
  await enforce(c.env.EMAIL_RATE_LIMITER, email, "Too many attempts for this account; retry later.");
  await next();
};
