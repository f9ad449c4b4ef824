import { createMiddleware } from "hono/factory";
import type { RequestIdVariables } from "hono/request-id";
import { routePath } from "hono/route";
import type { UpstreamCall } from "../upstream";
import { log, maskEmail } from "../log";

export interface AccessLogVariables extends RequestIdVariables {
  upstreamCalls?: UpstreamCall[];
  /** Why the request failed, set by the error handler: problem code and its cause. */
  failure?: Record<string, string>;
}

/**
 * One JSON line per request: what was asked, for whom (the email, masked), which upstream calls it made and, for a
 * failure, why (the Cognito error type and message are for the log only, never the response).
 */
export const accessLog = createMiddleware<{ Variables: AccessLogVariables }>(async (c, next) => {
  const started = Date.now();
  await next();
  const [email, upstreamCalls, failure] = [emailOf(c.req.valid("json" as never)), c.get("upstreamCalls"), c.get("failure")];
  log(
    c.res.status >= 500 ? "error" : "info",
    "request",
    {
      method: c.req.method,
      route: routePath(c, -1),
      status: c.res.status,
      duration_ms: Date.now() - started,
      ...(email ? { user: maskEmail(email) } : {}),
      ...(upstreamCalls?.length ? { upstream: upstreamCalls } : {}),
      ...(failure ? { error: failure } : {}),
    },
    c.get("requestId"),
  );
});

/** The email a route acted on: the `email` of its validated body (none before validation, or without one). */
function emailOf(body: unknown): string | undefined {
  return typeof body === "object" && body !== null && "email" in body && typeof body.email === "string" ? body.email : undefined;
}
