/** Where an action comes from: a user's request, the Broker API's event stream, or the heal pass. */
export type ActorSource = "request" | "broker_event" | "heal";

/** Who acts, and in which invocation: every audit row names both. */
export interface Actor {
  /** The user the action is for (the token's `sub`, or the owner of the account an event is about). */
  sub: string;
  source: ActorSource;
  /**
   * The server's id of the invocation (a request's id: middleware/request-id.ts; an event's or a heal
   * pass item's own): the audit row's request_id, one success row at most per id (a unique index), and
   * the holder of any lease it takes.
   */
  id: string;
  /** The client's X-Request-Id, when it sent a well-formed one: kept beside ours, keys nothing. */
  correlationId?: string;
}
