import type { Context } from "hono";
import { routePath } from "hono/route";
import type { UpstreamCall } from "../upstream";
import { log, maskEmail } from "../log";
import type { RequestIdVariables } from "./request-id";

export interface AccessLogVariables extends RequestIdVariables {
  upstreamCalls?: UpstreamCall[];
  /** Why the request failed, set by the error handler: problem code and its cause. */
  failure?: Record<string, string>;
  /** What became of the security notice the request sends (services/notices.ts, NoticeOutcome); never rejects. */
  notice?: Promise<string>;
}

/**
 * One JSON line per request: what was asked, for whom (the email, masked), which upstream calls it made and, for a
 * failure, why (the Cognito error type and message are for the log only, never the response). A
 * request that sends a security notice is logged once the send settles, with the outcome and the
 * SendEmail call; the answer does not wait for it. `started`: when the request came in.
 */
export async function logAccess<E extends { Variables: AccessLogVariables }>(c: Context<E>, started: number): Promise<void> {
  const [email, upstreamCalls, failure, notice] = [emailOf(c.req.valid("json" as never)), c.get("upstreamCalls"), c.get("failure"), c.get("notice")];
  const status = c.res.status;
  const answered = { method: c.req.method, route: routePath(c, -1), status, duration_ms: Date.now() - started, ...(email ? { user: maskEmail(email) } : {}) };
  // The request's own call list, read when the line is written: after a notice, SendEmail is in it.
  const write = (outcome?: string) =>
    log(
      status >= 500 ? "error" : "info",
      "request",
      { ...answered, ...(upstreamCalls?.length ? { upstream: upstreamCalls } : {}), ...(outcome ? { notice: outcome } : {}), ...(failure ? { error: failure } : {}) },
      { requestId: c.get("requestId"), correlationId: c.get("correlationId") },
    );
  if (!notice) return write();
  await afterAnswer(c, notice.then(write));
}

/** The email a route acted on: the `email` of its validated body (none before validation, or without one). */
function emailOf(body: unknown): string | undefined {
  return typeof body === "object" && body !== null && "email" in body && typeof body.email === "string" ? body.email : undefined;
}

/**
 * Lets `work` finish after the answer, by waitUntil. Without an execution context (`app.request`
 * with no fourth argument, as tests call it) Hono's getter throws, and the answer waits for the work
 * instead, as Hono's own mount() falls back.
 */
async function afterAnswer(c: Context, work: Promise<void>): Promise<void> {
  let context: Context["executionCtx"];
  try {
    context = c.executionCtx;
  } catch {
    return work;
  }
  context.waitUntil(work);
}
