// assets and asset_sync: every statement on the two tables. The Broker API's asset list as the last
// sync loaded it (services/assets.ts), and the sync's one row: when the list was last loaded whole,
// and the lease of the load running now (lease.ts's protocol: held until a time, taken over after it).

/** An asset as D1 keeps it: flags as 0 or 1. */
export interface AssetRow {
  symbol: string;
  name: string;
  class: string;
  exchange: string;
  status: string;
  tradable: number;
  fractionable: number;
  shortable: number;
  marginable: number;
}

/** An asset of the Broker API's list, to load. */
export interface AssetInput extends Omit<AssetRow, "tradable" | "fractionable" | "shortable" | "marginable"> {
  id: string;
  tradable: boolean;
  fractionable: boolean;
  shortable: boolean;
  marginable: boolean;
}

/** What a read found, and whether the list was ever loaded (else the table is to be filled first). */
export interface AssetsRead {
  loaded: boolean;
  assets: AssetRow[];
}

const COLUMNS = "symbol, name, class, exchange, status, tradable, fractionable, shortable, marginable";

/**
 * Assets a load writes in one statement, as one JSON parameter (json_each): D1 allows 100 bound
 * parameters a statement, and a statement a few hundred bytes of SQL, so rows are sent as data.
 */
const LOAD_CHUNK = 1_000;

/** LIKE's wildcards in a user's text, escaped: "a_b" finds "A_B", not "AXB". */
const likeText = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

export class AssetStore {
  readonly #db: D1Database;

  constructor(db: D1Database) {
    this.#db = db;
  }

  /** `statement`'s rows, and whether the list was ever loaded: one round trip. */
  async #read(statement: D1PreparedStatement): Promise<AssetsRead> {
    const [sync, found] = await this.#db.batch<{ synced_at: string | null } & AssetRow>([this.#db.prepare("SELECT synced_at FROM asset_sync WHERE id = 1"), statement]);
    return { loaded: sync!.results[0]?.synced_at != null, assets: found!.results };
  }

  /** The assets of these symbols (those the list has). */
  bySymbols(symbols: readonly string[]): Promise<AssetsRead> {
    return this.#read(this.#db.prepare(`SELECT ${COLUMNS} FROM assets WHERE symbol IN (SELECT value FROM json_each(?))`).bind(JSON.stringify(symbols)));
  }

  /**
   * Active assets whose symbol begins with `query` or whose name holds it (any case): the exact
   * symbol first, then symbols that begin with it, tradable ones first, then by symbol.
   */
  search(query: string, limit: number): Promise<AssetsRead> {
    const upper = query.toUpperCase();
    return this.#read(
      this.#db
        .prepare(
          `SELECT ${COLUMNS} FROM assets
           WHERE status = 'active' AND (symbol LIKE ?1 ESCAPE '\\' OR name LIKE ?2 ESCAPE '\\')
           ORDER BY symbol = ?3 DESC, symbol LIKE ?1 ESCAPE '\\' DESC, tradable DESC, symbol
           LIMIT ?4`,
        )
        .bind(`${likeText(upper)}%`, `%${likeText(query)}%`, upper, limit),
    );
  }

  /**
   * Takes the sync's lease for `holder` until `heldUntil`, unless another holds a live one: true if
   * taken. One statement, so of a burst of first requests in any number of isolates one takes it.
   */
  async hold(holder: string, now: string, heldUntil: string): Promise<boolean> {
    const row = await this.#db
      .prepare("UPDATE asset_sync SET holder = ?1, held_until = ?2 WHERE id = 1 AND (held_until IS NULL OR held_until < ?3) RETURNING id")
      .bind(holder, heldUntil, now)
      .first();
    return row !== null;
  }

  /** Gives the lease back unused (the load failed): the next use or sync tries again at once. */
  async release(holder: string): Promise<void> {
    await this.#db.prepare("UPDATE asset_sync SET holder = NULL, held_until = NULL WHERE id = 1 AND holder = ?").bind(holder).run();
  }

  /**
   * Loads the list whole in one transaction (readers see the old list or the new one): each asset
   * written, any the list no longer has kept as inactive and untradable, the sync's time recorded and
   * its lease given back.
   */
  async load(assets: readonly AssetInput[], holder: string, at: string): Promise<void> {
    const upserts: D1PreparedStatement[] = [];
    for (let start = 0; start < assets.length; start += LOAD_CHUNK) {
      const rows = assets.slice(start, start + LOAD_CHUNK).map((a) => [a.symbol, a.id, a.name, a.class, a.exchange, a.status, a.tradable, a.fractionable, a.shortable, a.marginable]);
      upserts.push(
        this.#db
          .prepare(
            `INSERT INTO assets (symbol, id, name, class, exchange, status, tradable, fractionable, shortable, marginable, synced_at)
             SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, value ->> 6, value ->> 7, value ->> 8, value ->> 9, ?2 FROM json_each(?1) WHERE true
             ON CONFLICT (symbol) DO UPDATE SET id = excluded.id, name = excluded.name, class = excluded.class, exchange = excluded.exchange, status = excluded.status,
               tradable = excluded.tradable, fractionable = excluded.fractionable, shortable = excluded.shortable, marginable = excluded.marginable, synced_at = excluded.synced_at`,
          )
          .bind(JSON.stringify(rows), at),
      );
    }
    await this.#db.batch([
      ...upserts,
      this.#db.prepare("UPDATE assets SET status = 'inactive', tradable = 0 WHERE synced_at <> ?").bind(at),
      this.#db.prepare("UPDATE asset_sync SET synced_at = ?1, holder = NULL, held_until = NULL WHERE id = 1 AND holder = ?2").bind(at, holder),
    ]);
  }
}
