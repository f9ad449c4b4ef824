import type { Context } from "hono";
import { cors } from "hono/cors";
import { createMiddleware } from "hono/factory";
import type { ConfigVariables } from "./config";

/**
 * CORS for the origins in CORS_ORIGINS only: no wildcard, no credentials (clients send bearer
 * tokens, not cookies). Other origins, or none configured, get no Access-Control-Allow-Origin.
 */
const corsForOrigins = cors({
  origin: (origin, c: Context<{ Variables: ConfigVariables }>) => {
    const result = c.get("configResult");
    return result.ok && result.config.corsOrigins.includes(origin) ? origin : null;
  },
  allowMethods: ["GET", "POST", "DELETE", "OPTIONS"],
  allowHeaders: ["authorization", "content-type", "x-request-id"],
  exposeHeaders: ["retry-after", "x-request-id", "www-authenticate"],
  maxAge: 600,
  credentials: false,
});

/**
 * Hono's cors sets its headers before the route answers, which makes it build a placeholder
 * response and copy its headers into the real one: the costliest middleware of a request. A request
 * without an Origin header (apps, servers, curl) is not a browser's cross-origin request, so it only
 * gets the Vary that keeps a shared cache from serving its answer to one.
 */
export const corsFromConfig = createMiddleware<{ Variables: ConfigVariables }>(async (c, next) => {
  if (c.req.header("origin") !== undefined) return corsForOrigins(c, next);
  await next();
  c.header("Vary", "Origin", { append: true });
});
