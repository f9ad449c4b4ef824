// broker_events and ledger_changes: every statement on the two tables. An event's row is inserted
// in the batch that applies it, and only while the object it changes is as it was read (its
// version): a replay finds the row and does nothing, and a write that raced it makes the applier
// read again. ledger_changes numbers each applied change of a user (the live stream's `id:`).
import type { EventStream, ChangeKind } from "../events/types";
import { iso } from "../time";

/** The event as D1 keeps it: the fields we use, never a name, an address, a tax id or KYC text. */
export interface EventRow {
  stream: EventStream;
  id: string;
  sub: string | null;
  type: string;
  objectId: string | null;
  status: string | null;
  outcome: "applied" | "kept" | "not_ours";
  at: string | null;
  /** Whether the owner is owed a notice of it (services/notices.ts eventNotice). */
  noticeOwed: boolean;
}

/** A guard: the statement runs only while the object's row has this version (null: no row yet). */
export interface VersionGuard {
  table: "orders" | "transfers" | "bank_links" | "brokerage_accounts";
  sub: string;
  /** The object's id; none for brokerage_accounts (one row per sub). */
  id?: string;
  version: number | null;
}

export interface ChangeRow {
  seq: number;
  kind: ChangeKind;
  object_id: string;
}

export class BrokerEventStore {
  readonly #db: D1Database;

  constructor(db: D1Database) {
    this.#db = db;
  }

  batch(statements: D1PreparedStatement[]): Promise<D1Result[]> {
    return this.#db.batch(statements);
  }

  async seen(stream: EventStream, id: string): Promise<boolean> {
    return (await this.#db.prepare("SELECT 1 FROM broker_events WHERE stream = ? AND id = ?").bind(stream, id).first()) !== null;
  }

  /**
   * The event's row, inserted unless it exists, and, with `guard`, only while that row's version is
   * the one read: the first statement of an event's batch, whose changes() the rest are written after.
   */
  insert(row: EventRow, now: number, guard?: VersionGuard): D1PreparedStatement {
    const values = [row.stream, row.id, row.sub, row.type, row.objectId, row.status, row.outcome, row.at, iso(now), row.noticeOwed ? "owed" : null];
    const condition = guard ? `(SELECT version FROM ${guard.table} WHERE sub = ?11 AND ${guard.id === undefined ? "?13 IS NULL" : "id = ?13"}) IS ?12` : "?11 IS ?12 AND ?13 IS NULL";
    return this.#db
      .prepare(
        `INSERT INTO broker_events (stream, id, sub, type, object_id, status, outcome, at, received_at, notice)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 WHERE ${condition} ON CONFLICT (stream, id) DO NOTHING`,
      )
      .bind(...values, guard?.sub ?? null, guard?.version ?? null, guard?.id ?? null);
  }

  /** Takes the notice of the event, once: true for the one caller that gets it, whatever the replays. */
  async claimNotice(stream: EventStream, id: string): Promise<boolean> {
    const claimed = await this.#db.prepare("UPDATE broker_events SET notice = 'sent' WHERE stream = ? AND id = ? AND notice = 'owed' RETURNING id").bind(stream, id).first();
    return claimed !== null;
  }

  /** A change of the user's object, numbered, written only if the statement before it in the batch changed a row. */
  changeAfterChange(sub: string, kind: ChangeKind, objectId: string, now: number): D1PreparedStatement {
    return this.#db.prepare("INSERT INTO ledger_changes (sub, kind, object_id, at) SELECT ?, ?, ?, ? WHERE changes() = 1 RETURNING seq").bind(sub, kind, objectId, iso(now));
  }

  /** The user's changes after `seq`, oldest first, at most `limit` (Last-Event-ID). */
  async changesAfter(sub: string, seq: number, limit: number): Promise<ChangeRow[]> {
    const { results } = await this.#db.prepare("SELECT seq, kind, object_id FROM ledger_changes WHERE sub = ? AND seq > ? ORDER BY seq LIMIT ?").bind(sub, seq, limit).all<ChangeRow>();
    return results;
  }
}
