/** Who acts, and the request they act in. */
export interface Actor {
  sub: string;
  /** The server's id of the request (middleware/request-id.ts): one success row at most per id (a unique index). */
  requestId: string;
  /** The client's X-Request-Id, when it sent a well-formed one: kept beside ours, keys nothing. */
  correlationId?: string;
}
