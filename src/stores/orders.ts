// orders: every statement on the table. Every order of a user, from our creates and the Broker API's
// events: `view` is the JSON the GET answers; the columns beside it are what the lists, the
// forward-only rule (events/lifecycle.ts) and the heal pass read.
import { LedgerTable, type LedgerRow } from "./ledger-table";

export interface OrderRow extends LedgerRow {
  open: number;
  filled_qty: string | null;
  filled_avg_price: string | null;
  filled_at: string | null;
  canceled_at: string | null;
  replaces: string | null;
  replaced_by: string | null;
  cancel_asked: number;
  created_at: string;
  /** The order as GET answers it (an OrderResponse), as JSON text. */
  view: string;
}

export type OrderListStatus = "open" | "closed" | "all";

export class OrderStore extends LedgerTable<OrderRow> {
  constructor(db: D1Database) {
    super(db, "orders");
  }

  /** The user's orders created before `before` (all when null), newest first, at most `limit`. */
  async page(sub: string, { status, before, limit }: { status: OrderListStatus; before: string | null; limit: number }): Promise<OrderRow[]> {
    const open = status === "open" ? 1 : status === "closed" ? 0 : null;
    const { results } = await this.db
      .prepare("SELECT * FROM orders WHERE sub = ?1 AND (?2 IS NULL OR open = ?2) AND (?3 IS NULL OR created_at < ?3) ORDER BY created_at DESC, id DESC LIMIT ?4")
      .bind(sub, open, before, limit)
      .all<OrderRow>();
    return results;
  }

  /** The user asked for these orders to be canceled: their cancellation is not the Broker's own. One statement however many (a cancel-all). */
  cancelAsked(sub: string, ...ids: string[]): Promise<D1Result> {
    return this.db.prepare("UPDATE orders SET cancel_asked = 1 WHERE sub = ? AND id IN (SELECT value FROM json_each(?))").bind(sub, JSON.stringify(ids)).run();
  }
}
