// D1 keeps every order, transfer and bank link of a user (issue 23): those made from now on by our
// creates and the Broker API's events. Those of an account opened before (orders_filled and the
// others at 0), or one an event named that D1 did not hold, are taken from the Broker API once, by
// the first read that needs them; every read after that answers from D1 alone.
import type { Deps } from "../deps";
import type { FilledKind, OwnedAccountRow } from "../stores/brokerage-accounts";
import { withBrokerFailures } from "./broker-errors";
import { activeRow } from "./funding";
import { bankLinkFields, bankLinkView, orderFields, transferFields, transferView } from "./ledger";

/** How much of an account's history one fill takes (orders 500 a page, transfers 100): older ones are not shown. */
const FILL_PAGES = { orders: 10, transfers: 20 };
/** Statements per D1 batch of a fill. */
const CHUNK = 100;

/** The user's ACTIVE account (services/funding.ts activeAccount), with D1 holding its `kind`. */
export async function ledgerAccount(deps: Deps, sub: string, kind: FilledKind): Promise<OwnedAccountRow> {
  const row = await activeRow(deps, sub);
  if (!row[`${kind}_filled`]) await fill(deps, row, kind);
  return row;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** Inserts what D1 does not hold yet (a row it holds is as new: events and the heal pass keep it), then marks the kind filled. */
async function fill(deps: Deps, { sub, broker_account_id: accountId }: OwnedAccountRow, kind: FilledKind): Promise<void> {
  const { stores, broker } = deps;
  const now = deps.now();
  let writes: D1PreparedStatement[];
  switch (kind) {
    case "orders": {
      const orders = await withBrokerFailures(collect(broker.trading.allOrders(accountId, { status: "all", maxPages: FILL_PAGES.orders })));
      writes = orders.map((order) => stores.orders.write(orderFields(sub, order, null), now, null, false));
      break;
    }
    case "transfers": {
      const transfers = await withBrokerFailures(collect(broker.funding.allTransfers(accountId, { maxPages: FILL_PAGES.transfers })));
      writes = transfers.map((transfer) => stores.transfers.write(transferFields(sub, transferView(transfer), null), now, null, false));
      break;
    }
    case "bank_links": {
      const links = await withBrokerFailures(broker.funding.relationships(accountId));
      writes = links.map((link) => stores.bankLinks.write(bankLinkFields(sub, bankLinkView(link), null), now, null, false));
      break;
    }
  }
  const statements = [...writes, stores.accounts.filled(sub, kind, true)];
  for (let start = 0; start < statements.length; start += CHUNK) await stores.accounts.batch(statements.slice(start, start + CHUNK));
}
