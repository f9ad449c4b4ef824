export type EventStream = "accounts" | "trades" | "funding"; // /v1/events/accounts/status, /v2/events/trades, /v2/events/funding/status
export interface BrokerEvent { stream: EventStream; id: string; data: unknown } // id = the stream's cursor/dedupe id (event_ulid for accounts; event_id for v2)
export interface AppliedChange { sub: string; seq: number; kind: "order" | "transfer" | "bank_link" | "account"; objectId: string; body: unknown }
// seq: D1's increasing number for the user's change (the live stream's `id:`); body: exactly the JSON the matching GET answers
