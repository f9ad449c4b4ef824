import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { log, maskEmail } from "../log";
import type { AppEnv } from "../types";

/**
 * One JSON line per request: what was asked, how it ended, which upstream calls it made and, for a
 * failure, why (the Cognito error type and message are for the log only, never the response).
 */
export const accessLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = Date.now();
  await next();
  const upstream = c.get("upstream")?.calls;
  const email = c.get("email");
  const failure = c.get("failure");
  log(c.res.status >= 500 ? "error" : "info", "request", {
    request_id: c.get("requestId"),
    method: c.req.method,
    route: routePath(c, -1),
    status: c.res.status,
    duration_ms: Date.now() - started,
    ...(email ? { user: maskEmail(email) } : {}),
    ...(upstream?.length ? { upstream } : {}),
    ...(failure ? { error: failure } : {}),
  });
};
