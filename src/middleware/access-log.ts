import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { log } from "../log";
import type { AppEnv } from "../types";

/** One JSON line per request: what was asked, how it ended, and which upstream calls it made. */
export const accessLog: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = Date.now();
  await next();
  const upstream = c.get("upstream")?.calls;
  log(c.res.status >= 500 ? "error" : "info", "request", {
    request_id: c.get("requestId"),
    method: c.req.method,
    route: routePath(c),
    status: c.res.status,
    duration_ms: Date.now() - started,
    ...(upstream?.length ? { upstream } : {}),
  });
};
