// The funding and trading routes' answers: the one definition of each entity they answer, for the
// OpenAPI document, and by its derived type for the flows that make it and hc<AppType>. Amounts,
// quantities and prices as decimal strings, bank accounts as their last 4 digits. Imported as types
// only by the Worker.
import * as z from "zod/mini";
import { Decimal } from "../decimal";

export const BankLinkResponse = z.object({
  id: z.string(),
  /** QUEUED, then APPROVED (transfers need it), or REJECTED, CANCEL_REQUESTED... */
  status: z.string(),
  nickname: z.nullable(z.string()),
  bank_account_type: z.nullable(z.string()),
  account_number_last4: z.nullable(z.string().check(z.maxLength(4))),
  created_at: z.string(),
});
export type BankLinkResponse = z.output<typeof BankLinkResponse>;

export const BankLinksResponse = z.object({ bank_links: z.array(BankLinkResponse) });

export const LinkTokenResponse = z.object({ link_token: z.string(), expiration: z.string() });
export type LinkTokenResponse = z.output<typeof LinkTokenResponse>;

export const TransferResponse = z.object({
  id: z.string(),
  /** QUEUED -> PENDING -> SENT_TO_CLEARING -> APPROVED -> COMPLETE; or REJECTED, CANCELED, RETURNED. */
  status: z.string(),
  amount: Decimal,
  direction: z.enum(["INCOMING", "OUTGOING"]),
  created_at: z.string(),
});
export type TransferResponse = z.output<typeof TransferResponse>;

export const TransfersResponse = z.object({ transfers: z.array(TransferResponse), next_cursor: z.nullable(z.string()) });

export const OrderResponse = z.object({
  id: z.string(),
  client_order_id: z.string(),
  status: z.string(),
  symbol: z.string(),
  side: z.string(),
  type: z.string(),
  time_in_force: z.string(),
  qty: z.nullable(Decimal),
  notional: z.nullable(Decimal),
  filled_qty: z.nullable(Decimal),
  filled_avg_price: z.nullable(Decimal),
  limit_price: z.nullable(Decimal),
  stop_price: z.nullable(Decimal),
  /** A trailing stop's trail, by price or by percent; its stop_price moves with the high-water mark. */
  trail_price: z.nullable(Decimal),
  trail_percent: z.nullable(Decimal),
  extended_hours: z.boolean(),
  /** The order this one replaced, and the one that replaced it (PATCH /orders/{id}). */
  replaces: z.nullable(z.string()),
  replaced_by: z.nullable(z.string()),
  created_at: z.string(),
});
export type OrderResponse = z.output<typeof OrderResponse>;

/** DELETE /orders: each open order, and whether the broker took its cancel ("failed": it may have filled first). */
export const CancelAllResponse = z.object({ orders: z.array(z.object({ id: z.string(), cancel: z.enum(["requested", "failed"]) })) });
export type CancelAllResponse = z.output<typeof CancelAllResponse>;

export const OrdersResponse = z.object({ orders: z.array(OrderResponse), next_cursor: z.nullable(z.string()) });

export const PositionResponse = z.object({
  symbol: z.string(),
  qty: Decimal,
  qty_available: z.nullable(Decimal),
  side: z.string(),
  avg_entry_price: Decimal,
  market_value: z.nullable(Decimal),
  cost_basis: Decimal,
  unrealized_pl: z.nullable(Decimal),
  unrealized_plpc: z.nullable(Decimal),
  current_price: z.nullable(Decimal),
});
export type PositionResponse = z.output<typeof PositionResponse>;

export const PositionsResponse = z.object({ positions: z.array(PositionResponse) });

/** One row of the user's activity: what was done, how it ended, with which key, to what. */
export const ActivityEntryResponse = z.object({
  id: z.string(),
  action: z.string(),
  outcome: z.string(),
  idempotency_key: z.nullable(z.string()),
  amount: z.nullable(Decimal),
  symbol: z.nullable(z.string()),
  direction: z.nullable(z.enum(["INCOMING", "OUTGOING"])),
  bank_link_id: z.nullable(z.string()),
  side: z.nullable(z.string()),
  qty: z.nullable(Decimal),
  order_type: z.nullable(z.string()),
  object_id: z.nullable(z.string()),
  request_id: z.string(),
  correlation_id: z.nullable(z.string()),
  at: z.string(),
});
export type ActivityEntryResponse = z.output<typeof ActivityEntryResponse>;

export const ActivityResponse = z.object({ events: z.array(ActivityEntryResponse), next_cursor: z.nullable(z.string()) });
