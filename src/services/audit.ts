// The append-only audit trail (audit_events in D1, guarded by triggers): who did what, when, how it
// ended, to which Broker object. Never personal data: the user's `sub`, an action name, the request
// id (the server's) and the client's correlation id, the outcome code, what was moved or traded.
import { Failure, isFailure } from "../failures";
import type { ActivityEntryResponse } from "../schemas/funding-responses";

/** Who acts, and the request they act in. */
export interface Actor {
  sub: string;
  /** The server's id of the request (middleware/request-id.ts): one success row at most per id (a unique index). */
  requestId: string;
  /** The client's X-Request-Id, when it sent a well-formed one: kept beside ours, keys nothing. */
  correlationId?: string;
}

export type AuditAction =
  | "account.open"
  | "account.read"
  | "account.trading.read"
  | "account.update"
  | "account.close"
  | "login.delete"
  | "account.activity.read"
  | "bank_link.create"
  | "bank_link.list"
  | "bank_link.delete"
  | "plaid.link_token"
  | "transfer.create"
  | "transfer.list"
  | "transfer.read"
  | "transfer.cancel"
  | "order.create"
  | "order.list"
  | "order.read"
  | "order.cancel"
  | "position.list"
  | "position.close";

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
}

/**
 * "ok", "replayed" (our stored answer, nothing done), "recovered" (this request recorded an object
 * an earlier try with its key made: its row was never written, or it ended without knowing), or
 * the failure's code (internal_error for anything unexpected).
 */
export function outcomeOf(error?: unknown): string {
  if (error === undefined) return "ok";
  return isFailure(error) ? error.code : "internal_error";
}

const COLUMNS = "sub, action, request_id, correlation_id, idempotency_key, outcome, amount, symbol, direction, bank_link_id, side, qty, order_type, object_id, at";
const PLACEHOLDERS = COLUMNS.split(",").map(() => "?").join(", ");

function values(actor: Actor, action: AuditAction, outcome: string, details: AuditDetails): unknown[] {
  const { idempotencyKey, amount, symbol, direction, bankLinkId, side, qty, orderType, objectId } = details;
  const fields = [idempotencyKey, outcome, amount, symbol, direction, bankLinkId, side, qty, orderType, objectId].map((value) => value ?? null);
  return [actor.sub, action, actor.requestId, actor.correlationId ?? null, ...fields, new Date().toISOString()];
}

/** The row, as a statement to run alone or in a batch with the write it records. */
export function auditEvent(db: D1Database, actor: Actor, action: AuditAction, outcome: string, details: AuditDetails = {}): D1PreparedStatement {
  return db.prepare(`INSERT INTO audit_events (${COLUMNS}) VALUES (${PLACEHOLDERS})`).bind(...values(actor, action, outcome, details));
}

/**
 * The row, written only if the statement run just before it in the same batch changed exactly one
 * row (SQLite's changes()): the success row of a create, which exists only if its answer was stored.
 */
export function auditEventAfterChange(db: D1Database, actor: Actor, action: AuditAction, outcome: string, details: AuditDetails = {}): D1PreparedStatement {
  return db
    .prepare(`INSERT INTO audit_events (${COLUMNS}) SELECT ${PLACEHOLDERS} WHERE changes() = 1`)
    .bind(...values(actor, action, outcome, details));
}

/** Failures whose row is written: a request is recorded once, by its flow or else by auditRefusal. */
const recorded = new WeakSet<object>();

/**
 * The row of a failed flow, and the failure marked as recorded. A request answered 429 writes none:
 * the rows a user can cause a minute stay within the limits, whatever a flood sends.
 */
export async function recordFailure(db: D1Database, actor: Actor, action: AuditAction, error: unknown, details: AuditDetails = {}): Promise<unknown> {
  if (typeof error === "object" && error !== null) recorded.add(error);
  if (isFailure(error, "rate_limited")) return;
  return auditEvent(db, actor, action, outcomeOf(error), details).run();
}

/** The row of a request refused before its flow wrote one (its body, its key, a limit); nothing when the flow wrote it. */
export async function auditRefusal(db: D1Database, actor: Actor, action: AuditAction, error: unknown, details: AuditDetails = {}): Promise<void> {
  if (typeof error === "object" && error !== null && recorded.has(error)) return;
  await recordFailure(db, actor, action, error, details);
}

/** Runs `flow` and writes its row with the outcome, whether it succeeded or failed; `learned` adds what its result tells (an order's id). */
export async function audited<T>(
  db: D1Database,
  actor: Actor,
  action: AuditAction,
  flow: () => Promise<T>,
  details: AuditDetails = {},
  learned: (result: T) => AuditDetails = () => ({}),
): Promise<T> {
  let result: T;
  try {
    result = await flow();
  } catch (error) {
    await recordFailure(db, actor, action, error, details);
    throw error;
  }
  await auditEvent(db, actor, action, "ok", { ...details, ...learned(result) }).run();
  return result;
}

const ACTIVITY_PAGE = 50;

/** The user's own audit rows, newest first; the cursor is the id of the last row of the page before. */
export async function activity(db: D1Database, actor: Actor, cursor: string | undefined): Promise<{ items: ActivityEntryResponse[]; next_cursor: string | null }> {
  return audited(db, actor, "account.activity.read", async () => {
    if (cursor !== undefined && !/^\d{1,15}$/.test(cursor)) throw new Failure("validation_failed", { errors: [{ field: "cursor", message: "cursor is not a cursor of this list" }] });
    const { results } = await db
      .prepare(
        `SELECT id, action, outcome, idempotency_key, amount, symbol, direction, bank_link_id, side, qty, order_type, object_id, request_id, correlation_id, at FROM audit_events
         WHERE sub = ?1 AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3`,
      )
      .bind(actor.sub, cursor === undefined ? null : Number(cursor), ACTIVITY_PAGE + 1)
      .all<Omit<ActivityEntryResponse, "id"> & { id: number }>();
    const items = results.slice(0, ACTIVITY_PAGE).map((row) => ({ ...row, id: String(row.id) }));
    return { items, next_cursor: results.length > ACTIVITY_PAGE ? items.at(-1)!.id : null };
  });
}
