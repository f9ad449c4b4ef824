import type { Context } from "hono";

/** A client's X-Request-Id is kept, for correlation, only when it is 1 to 128 of [A-Za-z0-9_=-]: safe in a log line. */
const CORRELATION_ID = /^[\w=-]{1,128}$/;

export interface RequestIdVariables {
  /** The server's UUID for this request: the X-Request-Id answered, problem bodies, the log, audit rows, idempotency holders. */
  requestId: string;
  /** The client's well-formed X-Request-Id, if it sent one: logged and kept in audit rows beside ours, never the key of anything. */
  correlationId?: string;
}

/**
 * Every request gets an id the server makes: a client's header is never an id of ours, since what
 * is keyed by it (a lease's holder, an audit row) must not be chosen by the client. The client's own
 * id is kept beside it, for tracing across its services. The answer's X-Request-Id is set once it
 * is made (every-request.ts), with the security headers: set before, it would give Hono a Headers
 * object of its own to copy into every answer.
 */
export function giveRequestIds<E extends { Variables: RequestIdVariables }>(c: Context<E>): string {
  const id = crypto.randomUUID();
  c.set("requestId", id);
  const theirs = c.req.header("x-request-id");
  if (theirs !== undefined && CORRELATION_ID.test(theirs)) c.set("correlationId", theirs);
  return id;
}
