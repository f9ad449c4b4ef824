// One store per D1 table, each the only place that table's SQL lives (test/node/architecture.test.ts).
import { AuditEventStore } from "./audit-events";
import { BrokerageAccountStore } from "./brokerage-accounts";
import { EventStreamTicketStore } from "./event-stream-tickets";
import { IdempotencyKeyStore } from "./idempotency-keys";
import { PlaidItemStore } from "./plaid-items";
import { StepUpCodeStore } from "./step-up-codes";

export interface Stores {
  accounts: BrokerageAccountStore;
  keys: IdempotencyKeyStore;
  audit: AuditEventStore;
  stepUpCodes: StepUpCodeStore;
  plaidItems: PlaidItemStore;
  streamTickets: EventStreamTicketStore;
}

export function storesOf(db: D1Database): Stores {
  return {
    accounts: new BrokerageAccountStore(db),
    keys: new IdempotencyKeyStore(db),
    audit: new AuditEventStore(db),
    stepUpCodes: new StepUpCodeStore(db),
    plaidItems: new PlaidItemStore(db),
    streamTickets: new EventStreamTicketStore(db),
  };
}
