// What the tables of a user's Broker objects (orders, transfers, bank_links) share: a row by its owner and id,
// written only while it is as it was read (its version), and the rows the heal pass asks after.
// Each table's own store (orders.ts, transfers.ts, bank-links.ts) adds its lists.
import { iso } from "../time";

/** What every such row has besides its own fields. */
export interface LedgerRow {
  id: string;
  sub: string;
  status: string;
  /** The Broker's time of the last change applied, when an event or the heal pass made it. */
  event_at: string | null;
  heard_at: string;
  version: number;
}

export type LedgerTableName = "orders" | "transfers" | "bank_links";

export class LedgerTable<Row extends LedgerRow> {
  readonly #db: D1Database;
  readonly #table: LedgerTableName;

  constructor(db: D1Database, table: LedgerTableName) {
    this.#db = db;
    this.#table = table;
  }

  get db(): D1Database {
    return this.#db;
  }

  /** The user's own row: another user's id is not found. */
  ofUser(sub: string, id: string): Promise<Row | null> {
    return this.#db.prepare(`SELECT * FROM ${this.#table} WHERE sub = ? AND id = ?`).bind(sub, id).first<Row>();
  }

  /**
   * The row written: inserted when `expected` is null (a row already there is left as it is: what
   * made it is as new), else updated while its version is still `expected`, the version bumped.
   * `afterChange`: only if the statement just before it in the batch changed one row (SQLite's changes()).
   */
  write(fields: Omit<Row, "version" | "heard_at"> & { heard_at?: string }, now: number, expected: number | null, afterChange: boolean): D1PreparedStatement {
    const entries = Object.entries({ ...fields, heard_at: fields.heard_at ?? iso(now) }).filter(([column]) => column !== "version");
    const columns = entries.map(([column]) => column);
    const values = entries.map(([, value]) => value ?? null);
    const gate = afterChange ? "changes() = 1" : "1";
    if (expected === null) {
      return this.#db
        .prepare(`INSERT INTO ${this.#table} (${columns.join(", ")}, version) SELECT ${columns.map(() => "?").join(", ")}, 1 WHERE ${gate} ON CONFLICT (sub, id) DO NOTHING`)
        .bind(...values);
    }
    const sets = columns.filter((column) => column !== "id" && column !== "sub").map((column) => `${column} = ?`);
    const setValues = entries.filter(([column]) => column !== "id" && column !== "sub").map(([, value]) => value ?? null);
    return this.#db
      .prepare(`UPDATE ${this.#table} SET ${sets.join(", ")}, version = version + 1 WHERE sub = ? AND id = ? AND version = ? AND ${gate}`)
      .bind(...setValues, fields.sub, fields.id, expected);
  }

  /** The heal pass heard of the row: written only while it is as read (a write that follows it in a batch is made only then). */
  heardAt(row: Pick<Row, "sub" | "id" | "version">, now: number): D1PreparedStatement {
    return this.#db.prepare(`UPDATE ${this.#table} SET heard_at = ? WHERE sub = ? AND id = ? AND version = ?`).bind(iso(now), row.sub, row.id, row.version);
  }

  /** Rows not in `finalStatuses` that nothing was heard of since `before`, the longest silent first, at most `limit`. */
  async silent(finalStatuses: readonly string[], before: number, limit: number): Promise<Row[]> {
    const { results } = await this.#db
      .prepare(`SELECT * FROM ${this.#table} WHERE heard_at < ? AND status NOT IN (${finalStatuses.map(() => "?").join(", ")}) ORDER BY heard_at LIMIT ?`)
      .bind(iso(before), ...finalStatuses, limit)
      .all<Row>();
    return results;
  }
}
