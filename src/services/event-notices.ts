// The notices of what happened at the Broker (issue 23, item 5): an account approved, needing
// action or rejected; a deposit completed or returned; a withdrawal sent; an order filled, partly
// filled, canceled by the Broker or rejected. Short, in our words, with no personal data beyond the
// first name, and no link. Each follows one change D1 applied (an event's, or the heal pass's), so
// that it is sent once, whatever the replays (events/apply.ts claims it with the event's row).
import type { BrokerAccounts } from "../broker/accounts";
import type { OwnedAccountRow } from "../stores/brokerage-accounts";
import type { OrderRow } from "../stores/orders";
import type { TransferRow } from "../stores/transfers";
import type { PlainEmail, Ses } from "../ses/client";
import { sendSecurityNotice } from "./notices";
import { orderOfRow, type Fields } from "./ledger";

export type EventNotice =
  | { kind: "account_approved" | "account_action_required" | "account_rejected" }
  | { kind: "deposit_completed" | "deposit_returned" | "withdrawal_sent"; amount: string }
  | { kind: "order_filled" | "order_partially_filled" | "order_canceled" | "order_rejected"; side: string; symbol: string; filledQty: string | null; averagePrice: string | null };

/** Sends the owner of the account the notice; never throws (a notice never fails the change it reports). */
export type Tell = (owner: Pick<OwnedAccountRow, "sub" | "broker_account_id">, notice: EventNotice) => Promise<string>;

const ACCOUNT_NOTICES: Record<string, EventNotice["kind"]> = { APPROVED: "account_approved", ACTION_REQUIRED: "account_action_required", REJECTED: "account_rejected" };

export function accountNotice(from: string, to: string): EventNotice | undefined {
  const kind = from === to ? undefined : ACCOUNT_NOTICES[to];
  return kind && ({ kind } as EventNotice);
}

const DONE = new Set(["COMPLETE", "SETTLED"]);

export function transferNotice(held: Pick<TransferRow, "status" | "direction" | "amount">, to: string): EventNotice | undefined {
  if (held.status === to || (DONE.has(held.status) && DONE.has(to))) return undefined;
  const kind = held.direction === "INCOMING" ? (DONE.has(to) ? "deposit_completed" : to === "RETURNED" ? "deposit_returned" : undefined) : DONE.has(to) ? "withdrawal_sent" : undefined;
  return kind && { kind, amount: held.amount };
}

/** The notice of an order's change from `held` (null: D1 did not hold it) to `next`. */
export function orderNotice(held: Pick<OrderRow, "status" | "filled_qty"> | null, next: Fields<OrderRow>): EventNotice | undefined {
  const order = orderOfRow(next);
  const about = { side: order.side, symbol: order.symbol, filledQty: order.filled_qty, averagePrice: order.filled_avg_price };
  if (held?.status === next.status && next.status !== "partially_filled") return undefined;
  if (held?.status === "partially_filled" && next.status === "partially_filled" && held.filled_qty === next.filled_qty) return undefined;
  switch (next.status) {
    case "filled":
      return { kind: "order_filled", ...about };
    case "partially_filled":
      return { kind: "order_partially_filled", ...about };
    case "rejected":
      return { kind: "order_rejected", ...about };
    case "canceled":
      // One the user asked for is no news to them.
      return next.cancel_asked ? undefined : { kind: "order_canceled", ...about };
    default:
      return undefined;
  }
}

const money = (amount: string) => `$${amount}`;

function wordingOf(notice: EventNotice): { subject: string; what: string } {
  switch (notice.kind) {
    case "account_approved":
      return { subject: "Your brokerage account was approved", what: "Your brokerage account was approved. You can fund it and trade once it is active." };
    case "account_action_required":
      return { subject: "Your brokerage account needs your action", what: "Your brokerage account application needs more information from you. Open the app to see what is needed." };
    case "account_rejected":
      return { subject: "Your brokerage account application was declined", what: "Your brokerage account application was declined. Contact support to learn more." };
    case "deposit_completed":
      return { subject: "Your deposit arrived", what: `Your deposit of ${money(notice.amount)} arrived in your brokerage account.` };
    case "deposit_returned":
      return { subject: "Your deposit was returned", what: `Your deposit of ${money(notice.amount)} was returned by your bank, and taken back out of your brokerage account.` };
    case "withdrawal_sent":
      return { subject: "Your withdrawal was sent", what: `Your withdrawal of ${money(notice.amount)} was sent to your bank.` };
    case "order_filled":
      return { subject: `Your order to ${notice.side} ${notice.symbol} was filled`, what: `Your order to ${notice.side} ${notice.symbol} was filled: ${notice.filledQty ?? "?"} at an average price of ${money(notice.averagePrice ?? "?")}.` };
    case "order_partially_filled":
      return { subject: `Your order to ${notice.side} ${notice.symbol} was partly filled`, what: `Your order to ${notice.side} ${notice.symbol} was partly filled: ${notice.filledQty ?? "?"} so far, at an average price of ${money(notice.averagePrice ?? "?")}.` };
    case "order_canceled":
      return { subject: `Your order to ${notice.side} ${notice.symbol} was canceled`, what: `Your order to ${notice.side} ${notice.symbol} was canceled by the broker.` };
    case "order_rejected":
      return { subject: `Your order to ${notice.side} ${notice.symbol} was rejected`, what: `Your order to ${notice.side} ${notice.symbol} was rejected by the broker.` };
  }
}

/** The email of `notice`, to `to`, greeting the first name when there is one. */
export function eventEmail(to: string, firstName: string | null, notice: EventNotice): PlainEmail {
  const { subject, what } = wordingOf(notice);
  return { to, subject, text: [firstName ? `Hello ${firstName},` : "Hello,", "", what, ""].join("\n") };
}

/**
 * The Tell of an invocation: the account's email of record and first name from the Broker API (D1
 * keeps neither), then SES. "no_address" when the account has no email; never throws.
 */
export function tellThrough(accounts: () => BrokerAccounts, ses: Pick<Ses, "sendEmail"> | undefined): Tell {
  return async (owner, notice) => {
    if (!ses) return "not_configured";
    try {
      const account = await accounts().get(owner.broker_account_id);
      const to = account.contact?.email_address;
      if (!to) return "no_address";
      return await sendSecurityNotice(ses, eventEmail(to, account.identity?.given_name ?? null, notice));
    } catch {
      return "failed";
    }
  };
}
