// transfers: every statement on the table. Every ACH transfer of a user, from our creates and the
// Broker API's events: what TransferResponse answers, and the Broker's reason.
import { LedgerTable, type LedgerRow } from "./ledger-table";

export interface TransferRow extends LedgerRow {
  reason: string | null;
  amount: string;
  direction: "INCOMING" | "OUTGOING";
  created_at: string;
}

export class TransferStore extends LedgerTable<TransferRow> {
  constructor(db: D1Database) {
    super(db, "transfers");
  }

  /** The user's transfers, newest first, `limit` from `offset` (the cursor the list has always had). */
  async page(sub: string, offset: number, limit: number): Promise<TransferRow[]> {
    const { results } = await this.db
      .prepare("SELECT * FROM transfers WHERE sub = ? ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?")
      .bind(sub, limit, offset)
      .all<TransferRow>();
    return results;
  }
}
