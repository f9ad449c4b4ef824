// audit_events: every statement on the append-only table (triggers refuse updates and deletes).
import type { Actor } from "../actor";
import type { ActivityEntryResponse as ActivityEntry } from "../schemas/funding-responses";

/** What a money or trading row adds: what was moved or traded, and the Broker object it became. Never a bank number. */
export interface AuditDetails {
  idempotencyKey?: string;
  /** A transfer's amount, an order's notional. */
  amount?: string;
  symbol?: string;
  direction?: "INCOMING" | "OUTGOING";
  bankLinkId?: string;
  side?: string;
  qty?: string;
  orderType?: string;
  /** The Broker API's id of the transfer, order or bank link, once known. */
  objectId?: string;
  /** What an event or the heal pass made the object's status. */
  status?: string;
}

const COLUMNS = "sub, source, action, request_id, correlation_id, idempotency_key, outcome, amount, symbol, direction, bank_link_id, side, qty, order_type, object_id, status, at";
const PLACEHOLDERS = COLUMNS.split(",").map(() => "?").join(", ");

function values(actor: Actor, action: string, outcome: string, details: AuditDetails): unknown[] {
  const { idempotencyKey, amount, symbol, direction, bankLinkId, side, qty, orderType, objectId, status } = details;
  const fields = [idempotencyKey, outcome, amount, symbol, direction, bankLinkId, side, qty, orderType, objectId, status].map((value) => value ?? null);
  return [actor.sub, actor.source, action, actor.id, actor.correlationId ?? null, ...fields, new Date().toISOString()];
}

export class AuditEventStore {
  readonly #db: D1Database;

  constructor(db: D1Database) {
    this.#db = db;
  }

  /** The row, as a statement to run alone or in a batch with the write it records. */
  event(actor: Actor, action: string, outcome: string, details: AuditDetails = {}): D1PreparedStatement {
    return this.#db.prepare(`INSERT INTO audit_events (${COLUMNS}) VALUES (${PLACEHOLDERS})`).bind(...values(actor, action, outcome, details));
  }

  /**
   * The row, written only if the statement run just before it in the same batch changed exactly one
   * row (SQLite's changes()): the success row of a create, which exists only if its answer was stored.
   */
  eventAfterChange(actor: Actor, action: string, outcome: string, details: AuditDetails = {}): D1PreparedStatement {
    return this.#db.prepare(`INSERT INTO audit_events (${COLUMNS}) SELECT ${PLACEHOLDERS} WHERE changes() = 1`).bind(...values(actor, action, outcome, details));
  }

  /** The user's own rows, newest first, before the row `before` (an id) when given: at most `limit`. */
  async page(sub: string, before: number | null, limit: number): Promise<ActivityEntry[]> {
    const { results } = await this.#db
      .prepare(
        `SELECT id, action, outcome, idempotency_key, amount, symbol, direction, bank_link_id, side, qty, order_type, object_id, request_id, correlation_id, at FROM audit_events
         WHERE sub = ?1 AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3`,
      )
      .bind(sub, before, limit)
      .all<Omit<ActivityEntry, "id"> & { id: number }>();
    return results.map((row) => ({ ...row, id: String(row.id) }));
  }
}
