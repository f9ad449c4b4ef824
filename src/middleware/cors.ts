import type { Context, MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { RouterRoute } from "hono/types";
import { headersReadBy } from "./client-headers";
import type { ConfigVariables } from "./config";

/**
 * What a browser's script may read of an answer: a 429's Retry-After, the request id, whether an
 * Idempotency-Key's answer is a replay, and a 401's WWW-Authenticate.
 */
const EXPOSED = ["retry-after", "x-request-id", "idempotency-replayed", "www-authenticate"];

/** Hono's method of a handler that answers every method (middleware): no method to allow. */
const ANY_METHOD = "ALL";

/**
 * CORS for the origins in CORS_ORIGINS only: no wildcard, no credentials (clients send bearer
 * tokens, not cookies). Other origins, or none configured, get no Access-Control-Allow-Origin.
 * The methods and request headers allowed are the ones the app's routes use and read, taken from
 * `routes` on the first request (all are registered by then): a new route cannot be forgotten.
 */
function corsForOrigins(routes: readonly RouterRoute[]): MiddlewareHandler {
  return cors({
    origin: (origin, c: Context<{ Variables: ConfigVariables }>) => {
      const result = c.get("root").configResult;
      return result.ok && result.config.corsOrigins.includes(origin) ? origin : null;
    },
    allowMethods: [...new Set(routes.map((route) => route.method).filter((method) => method !== ANY_METHOD))],
    allowHeaders: headersReadBy(routes),
    exposeHeaders: EXPOSED,
    maxAge: 600,
    credentials: false,
  });
}

/**
 * `routes`: the app's own list, which its routes are added to. Hono's cors sets its headers before
 * the route answers, which makes it build a placeholder response and copy its headers into the real
 * one: the costliest middleware of a request. A request without an Origin header (apps, servers,
 * curl) is not a browser's cross-origin request, so it only gets the Vary that keeps a shared cache
 * from serving its answer to one.
 */
export function corsFor(routes: readonly RouterRoute[]) {
  let forOrigins: MiddlewareHandler | undefined;
  /** Runs `next` inside CORS; a preflight's own answer is returned, not handed to `next`. */
  return async <E extends { Variables: ConfigVariables }>(c: Context<E>, next: () => Promise<void>): Promise<Response | void> => {
    if (c.req.header("origin") !== undefined) return (forOrigins ??= corsForOrigins(routes))(c, next);
    await next();
    // On the answer's own headers, as the security headers are set: Hono's c.header would copy the
    // finished Response into a new one first.
    c.res.headers.append("Vary", "Origin");
  };
}
