import { createMiddleware } from "hono/factory";
import type { RouterRoute } from "hono/types";
import type { Root } from "../deps";
import { logAccess, type AccessLogVariables } from "./access-log";
import { readsHeaders } from "./client-headers";
import type { ConfigVariables } from "./config";
import { corsFor } from "./cors";
import { giveRequestIds } from "./request-id";
import { setSecurityHeaders } from "./security-headers";

/**
 * What every request goes through, as plain steps of one middleware (each Hono middleware is an
 * async call, a promise and a closure of its own): its ids, the isolate's composition root
 * (index.ts passes root.ts depsFrom), CORS for `routes` (the app's own list), the security headers
 * and, once answered, its access log line. A preflight is CORS's own answer, without the security
 * headers, as before.
 */
export function everyRequest(depsFrom: (env: Env) => Root, routes: readonly RouterRoute[]) {
  const cors = corsFor(routes);
  const handler = createMiddleware<{ Bindings: Env; Variables: AccessLogVariables & ConfigVariables }>(async (c, next) => {
    const started = Date.now();
    const requestId = giveRequestIds(c);
    c.set("root", depsFrom(c.env));
    const preflight = await cors(c, next);
    if (preflight) c.res = preflight;
    else setSecurityHeaders(c.res.headers);
    c.res.headers.set("x-request-id", requestId);
    await logAccess(c, started);
  });
  readsHeaders(handler, "x-request-id");
  return handler;
}
