// The brokerage routes' answers: the one definition of the account view, for the OpenAPI document,
// and by its derived type for the flows and hc<AppType>. Imported as types only by the Worker, so
// they cost nothing in its bundle. The trading account is the Broker API's own, passed on as it is:
// its one schema is the Broker client's (broker/accounts.ts BrokerTradingAccount).
import * as z from "zod/mini";

/** The one view of a brokerage account: never the full tax id, the date of birth or the street address. */
export const AccountViewResponse = z.object({
  /** The Broker API's account id. */
  id: z.string(),
  account_number: z.nullable(z.string()),
  /** The Broker API's status (SUBMITTED, APPROVED, ACTIVE, ACTION_REQUIRED, ACCOUNT_CLOSED, ...). */
  status: z.string(),
  created_at: z.string(),
  given_name: z.nullable(z.string()),
  family_name: z.nullable(z.string()),
  email: z.nullable(z.string()),
  tax_id_last4: z.nullable(z.string()),
  agreements: z.array(z.object({ agreement: z.string(), signed_at: z.nullable(z.string()) })),
});
export type AccountViewResponse = z.output<typeof AccountViewResponse>;

/** The account's status as D1 holds it (the Broker API's events keep it current): no personal data. */
export const AccountStatusResponse = z.object({
  /** The Broker API's account id. */
  id: z.string(),
  account_number: z.nullable(z.string()),
  /** SUBMITTED, APPROVED, ACTIVE, ACTION_REQUIRED, REJECTED, ACCOUNT_CLOSED, ... as the Broker API sent it. */
  status: z.string(),
  /** As the Broker API's events last said; null until one said. */
  account_blocked: z.nullable(z.boolean()),
  trading_blocked: z.nullable(z.boolean()),
});
export type AccountStatusResponse = z.output<typeof AccountStatusResponse>;
