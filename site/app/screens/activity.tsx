// The user's own audit trail: what was asked, how it ended.
import { api, send } from "../api";
import { Notice, money, useLoad, when } from "../ui";

const ACTIONS: Record<string, string> = {
  "account.open": "Opened the brokerage account",
  "account.update": "Changed the address or phone",
  "account.close": "Closed the account",
  "bank_link.create": "Linked a bank account",
  "bank_link.delete": "Removed a bank account",
  "transfer.create": "Transfer",
  "transfer.cancel": "Cancelled a transfer",
  "order.create": "Order",
  "order.cancel": "Cancelled an order",
  "position.close": "Closed a position",
};

/** The Broker API's activity types a user meets most; others show as sent. */
const TRANSACTION_TYPES: Record<string, string> = {
  FILL: "Trade",
  CSD: "Cash deposit",
  CSW: "Cash withdrawal",
  DIV: "Dividend",
  FEE: "Fee",
  INT: "Interest",
  JNLC: "Cash journal",
  TRANS: "Transfer",
};

export function Activity() {
  const activity = useLoad(() => send(api.platform.accounts.me.activity.$get({ query: {} })));
  const transactions = useLoad(() => send(api.platform.accounts.me.transactions.$get({ query: {} })));
  // Reads are recorded too; the list shows what changed something.
  const events = (activity.data?.events ?? []).filter((event) => event.action in ACTIONS);
  return (
    <section aria-labelledby="activity-title">
      <h1 id="activity-title">Activity</h1>
      <h2>Transactions</h2>
      {transactions.error && <Notice kind="error">{transactions.error}</Notice>}
      {transactions.data && transactions.data.transactions.length === 0 && <p>No transactions yet.</p>}
      <ul class="rows" aria-label="Transactions">
        {(transactions.data?.transactions ?? []).map((entry) => (
          <li data-testid="transaction">
            <span>
              {TRANSACTION_TYPES[entry.activity_type] ?? entry.activity_type}
              {entry.side && <> · {entry.side}</>}
              {entry.qty && <> {entry.qty}</>}
              {entry.symbol && <> {entry.symbol}</>}
              {entry.price && <> at {money(entry.price)}</>} · {when(entry.time)}
            </span>
            {entry.net_amount && <span class="amount">{money(entry.net_amount)}</span>}
          </li>
        ))}
      </ul>
      <h2>What you did</h2>
      {activity.error && <Notice kind="error">{activity.error}</Notice>}
      {activity.data && events.length === 0 && <p>Nothing yet.</p>}
      <ul class="rows" aria-label="Activity">
        {events.map((event) => (
          <li data-testid="activity">
            <span>
              {ACTIONS[event.action]}
              {event.direction && <> {event.direction === "INCOMING" ? "in" : "out"}</>}
              {event.side && <> · {event.side}</>}
              {event.qty && <> {event.qty}</>}
              {event.symbol && <> {event.symbol}</>}
              {event.amount && <> · {money(event.amount)}</>} · {when(event.at)}
            </span>
            <span class={`status ${event.outcome === "ok" || event.outcome === "recovered" ? "ok" : event.outcome === "replayed" ? "" : "refused"}`}>
              {event.outcome === "ok" ? "done" : event.outcome.replaceAll("_", " ")}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
