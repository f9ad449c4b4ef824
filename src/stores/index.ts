// One store per D1 table, each the only place that table's SQL lives (test/node/architecture.test.ts).
import { AssetStore } from "./assets";
import { AuditEventStore } from "./audit-events";
import { BankLinkStore } from "./bank-links";
import { BrokerEventStore } from "./broker-events";
import { BrokerageAccountStore } from "./brokerage-accounts";
import { EventStreamTicketStore } from "./event-stream-tickets";
import { IdempotencyKeyStore } from "./idempotency-keys";
import { OrderStore } from "./orders";
import { PlaidItemStore } from "./plaid-items";
import { StepUpCodeStore } from "./step-up-codes";
import { WatchlistStore } from "./watchlists";
import { TransferStore } from "./transfers";

export interface Stores {
  accounts: BrokerageAccountStore;
  keys: IdempotencyKeyStore;
  audit: AuditEventStore;
  stepUpCodes: StepUpCodeStore;
  plaidItems: PlaidItemStore;
  assets: AssetStore;
  watchlists: WatchlistStore;
  brokerEvents: BrokerEventStore;
  orders: OrderStore;
  transfers: TransferStore;
  bankLinks: BankLinkStore;
  streamTickets: EventStreamTicketStore;
}

export function storesOf(db: D1Database): Stores {
  return {
    accounts: new BrokerageAccountStore(db),
    keys: new IdempotencyKeyStore(db),
    audit: new AuditEventStore(db),
    stepUpCodes: new StepUpCodeStore(db),
    plaidItems: new PlaidItemStore(db),
    assets: new AssetStore(db),
    watchlists: new WatchlistStore(db),
    brokerEvents: new BrokerEventStore(db),
    orders: new OrderStore(db),
    transfers: new TransferStore(db),
    bankLinks: new BankLinkStore(db),
    streamTickets: new EventStreamTicketStore(db),
  };
}
