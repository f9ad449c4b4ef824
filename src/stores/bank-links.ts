// bank_links: every statement on the table. Every bank link (ACH relationship) of a user, from our
// creates and the Broker API's events: what BankLinkResponse answers (the last 4 digits, never the
// number), and the Broker's reason. A link the user deleted stays, marked, and no list shows it.
import { LedgerTable, type LedgerRow } from "./ledger-table";

export interface BankLinkRow extends LedgerRow {
  reason: string | null;
  nickname: string | null;
  bank_account_type: string | null;
  account_number_last4: string | null;
  created_at: string;
  deleted: number;
}

export class BankLinkStore extends LedgerTable<BankLinkRow> {
  constructor(db: D1Database) {
    super(db, "bank_links");
  }

  /** The user's links not deleted, oldest first (the order the Broker API lists them in). */
  async ofAccount(sub: string): Promise<BankLinkRow[]> {
    const { results } = await this.db.prepare("SELECT * FROM bank_links WHERE sub = ? AND deleted = 0 ORDER BY created_at, id").bind(sub).all<BankLinkRow>();
    return results;
  }

  /** The user deleted the link. */
  deleted(sub: string, id: string): D1PreparedStatement {
    return this.db.prepare("UPDATE bank_links SET deleted = 1, version = version + 1 WHERE sub = ? AND id = ?").bind(sub, id);
  }
}
