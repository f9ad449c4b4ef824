// The contract between the event consumers (23B), the ledger that applies events to D1 (23A) and the
// user's live stream (23C).

/** The Broker API's event streams this API follows: /v1/events/accounts/status, /v2/events/trades, /v2/events/funding/status. */
export type EventStream = "accounts" | "trades" | "funding";

/** One event as its stream sent it: `id` is the stream's cursor and dedupe id (event_ulid for accounts; event_id for v2), `data` the parsed `data:` JSON. */
export interface BrokerEvent {
  stream: EventStream;
  id: string;
  data: unknown;
}

export type ChangeKind = "order" | "transfer" | "bank_link" | "account";

/**
 * A change D1 applied to one of a user's objects. `seq` is D1's increasing number of the change (the
 * live stream's `id:`); `body` is exactly the JSON the matching GET answers (an OrderResponse, a
 * TransferResponse, a BankLinkResponse, the AccountStatusResponse).
 */
export interface AppliedChange {
  sub: string;
  seq: number;
  kind: ChangeKind;
  objectId: string;
  body: unknown;
}

/** What became of an event: applied (a row changed), duplicate (seen before), not_ours (an account we do not hold), kept (stored; nothing to change). */
export type ApplyOutcome = "applied" | "duplicate" | "not_ours" | "kept";

export interface ApplyResult {
  outcome: ApplyOutcome;
  changes: AppliedChange[];
}
