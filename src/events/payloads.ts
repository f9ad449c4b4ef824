// The Broker API's event payloads (broker-api.md section 7), as far as this API reads them: every
// field optional but what identifies the event's object, every status any string (the enums grow).
// What is not read here is never kept: no names, addresses, tax ids or KYC text.
import * as z from "zod/mini";
import { BrokerOrderSchema } from "../broker/trading";

const text = z.nullish(z.string());
const flagChange = z.nullish(z.object({ to: z.nullish(z.boolean()) }));

/** /v1/events/accounts/status. */
export const AccountEvent = z.object({
  account_id: z.string().check(z.minLength(1)),
  at: text,
  status_from: text,
  status_to: text,
  account_blocked: flagChange,
  trading_blocked: flagChange,
});
export type AccountEvent = z.infer<typeof AccountEvent>;

/** /v2/events/trades: the order as it is after the event. */
export const TradeEvent = z.object({
  account_id: z.string().check(z.minLength(1)),
  event: z.string(),
  at: text,
  timestamp: text,
  order: BrokerOrderSchema,
});
export type TradeEvent = z.infer<typeof TradeEvent>;

/** /v2/events/funding/status. */
export const FundingEvent = z.object({
  account_id: z.string().check(z.minLength(1)),
  entity_type: z.string(),
  entity_id: z.string().check(z.minLength(1)),
  status_to: z.string(),
  reason: text,
  at: text,
});
export type FundingEvent = z.infer<typeof FundingEvent>;

/** Trade events that correct a fill already reported: applied as sent, whatever the order's status. */
export const CORRECTIONS: ReadonlySet<string> = new Set(["trade_bust", "trade_correct"]);
