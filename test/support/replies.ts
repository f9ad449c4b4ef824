// How a scripted upstream picks and shapes its answer, shared by the fake upstream (a Node server) and
// the in-isolate one (a mocked fetch): one place, so the two cannot answer differently.

export interface Reply {
  status?: number;
  /** An object is sent as JSON, a string as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Wait this long before answering (a slow answer; not for ordering calls: see holdUntilReleased). */
  delayMs?: number;
  /** Never answer (until the client gives up); with `chunks`, send them and then keep the body open. */
  hang?: boolean;
  /** Send the headers at once, then the body as these pieces, one by one (an event stream; the fake upstream only). */
  chunks?: string[];
  /** Wait this long before each of the `chunks`. */
  chunkGapMs?: number;
  /**
   * Answer only once the action's next call has arrived: a request that reaches the upstream late,
   * after the client gave up on it and retried (the fake upstream only; its answer goes nowhere).
   */
  holdUntilNext?: boolean;
  /**
   * Answer only once the test releases the scenario's held answers (Scenario.release; a call arriving
   * after that is answered at once): the call stays in flight for exactly as
   * long as the test needs, where a delay would race the machine's load (the fake upstream only).
   */
  holdUntilReleased?: boolean;
  /** Close the connection without an answer. */
  destroy?: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * What a request is scripted by: "JWKS" for a JWKS document; the X-Amz-Target action (e.g.
 * "InitiateAuth") for an AWS JSON call; otherwise, for a REST upstream, the method and the path below
 * the scenario with each UUID segment as {id}, e.g. "POST /v1/accounts/{id}/transfers".
 */
export function actionOf(method: string, path: string, target: string | undefined): { action: string; rest: boolean } {
  if (path.endsWith("/.well-known/jwks.json")) return { action: "JWKS", rest: false };
  if (target) return { action: target.split(".").pop() ?? "", rest: false };
  const pattern = path
    .split("/")
    .map((segment) => (UUID.test(segment) ? "{id}" : segment))
    .join("/");
  return { action: `${method} ${pattern}`, rest: true };
}

/** The reply for the action's `callIndex`th call: the last one repeats; an unscripted action is refused. */
export function nextReply(replies: Reply[] | undefined, callIndex: number): Reply {
  return replies?.[Math.min(callIndex, replies.length - 1)] ?? { status: 400, body: { __type: "UnknownOperationException", message: "not scripted" } };
}

/** The reply as HTTP: an object body as JSON (AWS's JSON type, or plain JSON for a REST upstream), a string as HTML. */
export function answerOf(reply: Reply, rest: boolean): { status: number; headers: Record<string, string>; body: string } {
  const isText = typeof reply.body === "string";
  return {
    status: reply.status ?? 200,
    headers: { "content-type": isText ? "text/html" : rest ? "application/json" : "application/x-amz-json-1.1", ...reply.headers },
    body: isText ? (reply.body as string) : JSON.stringify(reply.body ?? {}),
  };
}
