// watchlists and watchlist_symbols: every statement on the two tables. Every statement names the
// user's `sub` with the list's id, so another user's list is simply not found. A change and the read of
// the list after it go in one batch (one round trip, one transaction).
import type { AssetRow } from "./assets";

export interface WatchlistRow {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  /** Its assets, in the order they were added. */
  assets: AssetRow[];
}

/** At most this many lists a user, and symbols a list. */
export const WATCHLIST_LIMITS = { lists: 20, symbols: 100 } as const;

type Joined = Omit<WatchlistRow, "assets"> & { [K in keyof AssetRow as `a_${K}`]: AssetRow[K] | null };

const SELECT = `SELECT w.id, w.name, w.created_at, w.updated_at, a.symbol AS a_symbol, a.name AS a_name, a.class AS a_class, a.exchange AS a_exchange, a.status AS a_status,
  a.tradable AS a_tradable, a.fractionable AS a_fractionable, a.shortable AS a_shortable, a.marginable AS a_marginable
  FROM watchlists w LEFT JOIN watchlist_symbols s ON s.watchlist_id = w.id LEFT JOIN assets a ON a.symbol = s.symbol`;

/** Rows of the join, one per symbol, as lists. */
function listsOf(rows: Joined[]): WatchlistRow[] {
  const lists = new Map<string, WatchlistRow>();
  for (const row of rows) {
    let list = lists.get(row.id);
    if (!list) lists.set(row.id, (list = { id: row.id, name: row.name, created_at: row.created_at, updated_at: row.updated_at, assets: [] }));
    if (row.a_symbol === null) continue;
    list.assets.push({
      symbol: row.a_symbol,
      name: row.a_name!,
      class: row.a_class!,
      exchange: row.a_exchange!,
      status: row.a_status!,
      tradable: row.a_tradable!,
      fractionable: row.a_fractionable!,
      shortable: row.a_shortable!,
      marginable: row.a_marginable!,
    });
  }
  return [...lists.values()];
}

/** D1's refusal of a second list of one name (watchlists_sub_name). */
export const isNameTaken = (error: unknown) => error instanceof Error && /UNIQUE constraint failed: watchlists\.sub, watchlists\.name/.test(error.message);

export class WatchlistStore {
  readonly #db: D1Database;

  constructor(db: D1Database) {
    this.#db = db;
  }

  #one(sub: string, id: string): D1PreparedStatement {
    return this.#db.prepare(`${SELECT} WHERE w.sub = ? AND w.id = ? ORDER BY s.position`).bind(sub, id);
  }

  /** Runs the changes, then reads the list: null when the user has no list of this id. */
  async #changeThenRead(sub: string, id: string, changes: D1PreparedStatement[]): Promise<WatchlistRow | null> {
    const results = await this.#db.batch<Joined>([...changes, this.#one(sub, id)]);
    return listsOf(results.at(-1)!.results)[0] ?? null;
  }

  /** The user's lists, oldest first. */
  async list(sub: string): Promise<WatchlistRow[]> {
    const { results } = await this.#db.prepare(`${SELECT} WHERE w.sub = ? ORDER BY w.created_at, w.id, s.position`).bind(sub).all<Joined>();
    return listsOf(results);
  }

  async read(sub: string, id: string): Promise<WatchlistRow | null> {
    return listsOf((await this.#one(sub, id).all<Joined>()).results)[0] ?? null;
  }

  /**
   * A new list with its symbols, unless the user has WATCHLIST_LIMITS.lists already (then null). A
   * name the user has already throws (isNameTaken).
   */
  create(sub: string, id: string, name: string, symbols: readonly string[], at: string): Promise<WatchlistRow | null> {
    return this.#changeThenRead(sub, id, [
      this.#db
        .prepare("INSERT INTO watchlists (id, sub, name, created_at, updated_at) SELECT ?1, ?2, ?3, ?4, ?4 WHERE (SELECT count(*) FROM watchlists WHERE sub = ?2) < ?5")
        .bind(id, sub, name, at, WATCHLIST_LIMITS.lists),
      this.#db
        .prepare("INSERT INTO watchlist_symbols (watchlist_id, symbol, position) SELECT ?1, value, key FROM json_each(?2) WHERE EXISTS (SELECT 1 FROM watchlists WHERE id = ?1)")
        .bind(id, JSON.stringify(symbols)),
    ]);
  }

  /** Renames the list; a name the user has already throws (isNameTaken). */
  rename(sub: string, id: string, name: string, at: string): Promise<WatchlistRow | null> {
    return this.#changeThenRead(sub, id, [this.#db.prepare("UPDATE watchlists SET name = ?, updated_at = ? WHERE sub = ? AND id = ?").bind(name, at, sub, id)]);
  }

  /** Whether the user had the list. */
  async delete(sub: string, id: string): Promise<boolean> {
    const [, deleted] = await this.#db.batch([
      this.#db.prepare("DELETE FROM watchlist_symbols WHERE watchlist_id = (SELECT id FROM watchlists WHERE sub = ? AND id = ?)").bind(sub, id),
      this.#db.prepare("DELETE FROM watchlists WHERE sub = ? AND id = ?").bind(sub, id),
    ]);
    return deleted!.meta.changes === 1;
  }

  /** Adds the symbol at the end, unless it is there already or the list is full (the list read after tells which). */
  add(sub: string, id: string, symbol: string, at: string): Promise<WatchlistRow | null> {
    return this.#changeThenRead(sub, id, [
      this.#db
        .prepare(
          `INSERT INTO watchlist_symbols (watchlist_id, symbol, position)
           SELECT w.id, ?3, (SELECT coalesce(max(position) + 1, 0) FROM watchlist_symbols WHERE watchlist_id = w.id) FROM watchlists w
           WHERE w.sub = ?1 AND w.id = ?2 AND (SELECT count(*) FROM watchlist_symbols WHERE watchlist_id = w.id) < ?4
           ON CONFLICT DO NOTHING`,
        )
        .bind(sub, id, symbol, WATCHLIST_LIMITS.symbols),
      this.#db.prepare("UPDATE watchlists SET updated_at = ?3 WHERE sub = ?1 AND id = ?2 AND changes() = 1").bind(sub, id, at),
    ]);
  }

  /** Removes the symbol (none to remove is no change). */
  remove(sub: string, id: string, symbol: string, at: string): Promise<WatchlistRow | null> {
    return this.#changeThenRead(sub, id, [
      this.#db.prepare("DELETE FROM watchlist_symbols WHERE watchlist_id = (SELECT id FROM watchlists WHERE sub = ? AND id = ?) AND symbol = ?").bind(sub, id, symbol),
      this.#db.prepare("UPDATE watchlists SET updated_at = ?3 WHERE sub = ?1 AND id = ?2 AND changes() = 1").bind(sub, id, at),
    ]);
  }
}
