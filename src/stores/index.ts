// One store per D1 table, each the only place that table's SQL lives (test/node/architecture.test.ts).
import { AssetStore } from "./assets";
import { AuditEventStore } from "./audit-events";
import { BrokerageAccountStore } from "./brokerage-accounts";
import { IdempotencyKeyStore } from "./idempotency-keys";
import { PlaidItemStore } from "./plaid-items";
import { StepUpCodeStore } from "./step-up-codes";
import { WatchlistStore } from "./watchlists";

export interface Stores {
  accounts: BrokerageAccountStore;
  keys: IdempotencyKeyStore;
  audit: AuditEventStore;
  stepUpCodes: StepUpCodeStore;
  plaidItems: PlaidItemStore;
  assets: AssetStore;
  watchlists: WatchlistStore;
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
  };
}
