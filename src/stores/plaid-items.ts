// plaid_items: every statement on the table. One row per Plaid Item this API made: its access token
// sealed, 'linking' until its bank link exists, 'linked' to it, 'remove' while its removal is owed.
import { iso } from "../time";
export interface ItemRow {
  id: number;
  sealed_access_token: string;
}

export class PlaidItemStore {
  readonly #db: D1Database;

  constructor(db: D1Database) {
    this.#db = db;
  }

  /** A new Item, 'linking': the row's own id. */
  async linking(itemId: string, sub: string, sealedAccessToken: string, now: number): Promise<number | undefined> {
    const at = iso(now);
    const row = await this.#db
      .prepare("INSERT INTO plaid_items (item_id, sub, sealed_access_token, state, created_at, updated_at) VALUES (?, ?, ?, 'linking', ?, ?) RETURNING id")
      .bind(itemId, sub, sealedAccessToken, at, at)
      .first<{ id: number }>();
    return row?.id;
  }

  async linked(id: number | undefined, bankLinkId: string, now: number): Promise<void> {
    await this.#db.prepare("UPDATE plaid_items SET state = 'linked', bank_link_id = ?, updated_at = ? WHERE id = ?").bind(bankLinkId, iso(now), id ?? null).run();
  }

  /** Its removal is owed (marked before Plaid is asked, so that a failure leaves it to retry). */
  async removalOwed(id: number, now: number): Promise<void> {
    await this.#db.prepare("UPDATE plaid_items SET state = 'remove', updated_at = ? WHERE id = ?").bind(iso(now), id).run();
  }

  async removed(id: number): Promise<void> {
    await this.#db.prepare("DELETE FROM plaid_items WHERE id = ?").bind(id).run();
  }

  async ofBankLink(sub: string, bankLinkId: string): Promise<ItemRow[]> {
    return (await this.#db.prepare("SELECT id, sealed_access_token FROM plaid_items WHERE sub = ? AND bank_link_id = ?").bind(sub, bankLinkId).all<ItemRow>()).results;
  }

  /** At most `limit` of the user's owed removals. */
  async removalsOwed(sub: string, limit: number): Promise<ItemRow[]> {
    return (await this.#db.prepare("SELECT id, sealed_access_token FROM plaid_items WHERE sub = ? AND state = 'remove' LIMIT ?").bind(sub, limit).all<ItemRow>()).results;
  }
}
