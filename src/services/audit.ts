// The append-only audit trail (audit_events in D1, guarded by triggers): who did what, when, how it
// ended. Never personal data: the user's `sub`, an action name, the request id, the outcome code.
import { Failure, isFailure } from "../failures";

/** Who acts, and the request they act in. */
export interface Actor {
  sub: string;
  requestId: string;
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

/** What a money or trading row adds: the request's Idempotency-Key, the amount or the symbol. Never a bank number. */
export interface AuditDetails {
  idempotencyKey?: string;
  amount?: string;
  symbol?: string;
}

/** "ok", or the failure's code (internal_error for anything unexpected). */
export function outcomeOf(error?: unknown): string {
  if (error === undefined) return "ok";
  return isFailure(error) ? error.code : "internal_error";
}

/** The row, as a statement to run alone or in a batch with the write it records. */
export function auditEvent(db: D1Database, actor: Actor, action: AuditAction, outcome: string, details: AuditDetails = {}): D1PreparedStatement {
  return db
    .prepare("INSERT INTO audit_events (sub, action, request_id, idempotency_key, outcome, amount, symbol, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
    .bind(actor.sub, action, actor.requestId, details.idempotencyKey ?? null, outcome, details.amount ?? null, details.symbol ?? null, new Date().toISOString());
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

/** Runs `flow` and writes its row with the outcome, whether it succeeded or failed. */
export async function audited<T>(db: D1Database, actor: Actor, action: AuditAction, flow: () => Promise<T>, details: AuditDetails = {}): Promise<T> {
  let result: T;
  try {
    result = await flow();
  } catch (error) {
    await recordFailure(db, actor, action, error, details);
    throw error;
  }
  await auditEvent(db, actor, action, "ok", details).run();
  return result;
}

/** One row of the user's activity: what was done, how it ended, with which key, amount or symbol. */
export interface ActivityEntry {
  id: string;
  action: string;
  outcome: string;
  idempotency_key: string | null;
  amount: string | null;
  symbol: string | null;
  request_id: string;
  at: string;
}

const ACTIVITY_PAGE = 50;

/** The user's own audit rows, newest first; the cursor is the id of the last row of the page before. */
export async function activity(db: D1Database, actor: Actor, cursor: string | undefined): Promise<{ items: ActivityEntry[]; next_cursor: string | null }> {
  return audited(db, actor, "account.activity.read", async () => {
    if (cursor !== undefined && !/^\d{1,15}$/.test(cursor)) throw new Failure("validation_failed", { errors: [{ field: "cursor", message: "cursor is not a cursor of this list" }] });
    const { results } = await db
      .prepare(
        `SELECT id, action, outcome, idempotency_key, amount, symbol, request_id, at FROM audit_events
         WHERE sub = ?1 AND (?2 IS NULL OR id < ?2) ORDER BY id DESC LIMIT ?3`,
      )
      .bind(actor.sub, cursor === undefined ? null : Number(cursor), ACTIVITY_PAGE + 1)
      .all<Omit<ActivityEntry, "id"> & { id: number }>();
    const items = results.slice(0, ACTIVITY_PAGE).map((row) => ({ ...row, id: String(row.id) }));
    return { items, next_cursor: results.length > ACTIVITY_PAGE ? items.at(-1)!.id : null };
  });
}
