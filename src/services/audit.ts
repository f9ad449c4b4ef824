// The append-only audit trail (audit_events in D1, guarded by triggers): who did what, when, how it
// ended. Never personal data: the user's `sub`, an action name, the request id, the outcome code.
import { isFailure } from "../failures";

/** Who acts, and the request they act in. */
export interface Actor {
  sub: string;
  requestId: string;
}

type AuditAction = "account.open" | "account.read" | "account.trading.read" | "account.update" | "account.close" | "login.delete";

/** "ok", or the failure's code (internal_error for anything unexpected). */
export function outcomeOf(error?: unknown): string {
  if (error === undefined) return "ok";
  return isFailure(error) ? error.code : "internal_error";
}

/** The row, as a statement to run alone or in a batch with the write it records. */
export function auditEvent(db: D1Database, actor: Actor, action: AuditAction, outcome: string, now = new Date()): D1PreparedStatement {
  return db
    .prepare("INSERT INTO audit_events (sub, action, request_id, outcome, at) VALUES (?, ?, ?, ?, ?)")
    .bind(actor.sub, action, actor.requestId, outcome, now.toISOString());
}

/** Runs `flow` and writes its row with the outcome, whether it succeeded or failed. */
export async function audited<T>(db: D1Database, actor: Actor, action: AuditAction, flow: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await flow();
  } catch (error) {
    await auditEvent(db, actor, action, outcomeOf(error)).run();
    throw error;
  }
  await auditEvent(db, actor, action, "ok").run();
  return result;
}
