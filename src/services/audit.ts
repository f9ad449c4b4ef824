// The append-only audit trail (audit_events in D1, guarded by triggers): who did what, when, how it
// ended, to which Broker object. Never personal data: the user's `sub`, an action name, the request
// id (the server's) and the client's correlation id, the outcome code, what was moved or traded.
import type { Actor } from "../actor";
import type { Deps } from "../deps";
import { Failure, isFailure } from "../failures";
import type { ActivityEntryResponse } from "../schemas/funding-responses";
import type { AuditDetails, AuditEventStore } from "../stores/audit-events";

export type { Actor, AuditDetails };

export type AuditAction =
  | "account.open"
  | "account.read"
  | "account.status.read"
  | "account.trading.read"
  | "account.update"
  | "account.close"
  | "login.delete"
  | "account.activity.read"
  | "account.transactions.read"
  | "account.portfolio_history.read"
  | "document.list"
  | "document.download"
  | "document.upload"
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
  | "order.replace"
  | "order.cancel_all"
  | "position.list"
  | "position.close"
  // A change the Broker API's events or the heal pass applied to D1 (the actor's source says which).
  | "account.status"
  | "bank_link.status"
  | "transfer.status"
  | "order.status";

/**
 * "ok", "replayed" (our stored answer, nothing done), "recovered" (this request recorded an object
 * an earlier try with its key made: its row was never written, or it ended without knowing), or
 * the failure's code (internal_error for anything unexpected).
 */
export function outcomeOf(error?: unknown): string {
  if (error === undefined) return "ok";
  return isFailure(error) ? error.code : "internal_error";
}

/** What a flow that did what it was asked writes: "ok", or a create's "replayed" (our stored answer, nothing done) or "recovered". */
type Success = "ok" | "replayed" | "recovered";

/**
 * The one writer of success rows: the row, as a statement to run or to batch with what the flow
 * records (an opened account, a create's stored answer). `afterChange`: written only if the statement
 * just before it in its batch changed one row (the audit store's eventAfterChange).
 */
export function successRow(audit: AuditEventStore, actor: Actor, action: AuditAction, outcome: Success, details: AuditDetails = {}, afterChange = false): D1PreparedStatement {
  return afterChange ? audit.eventAfterChange(actor, action, outcome, details) : audit.event(actor, action, outcome, details);
}

/** The one writer of failure rows: the row of `error` (its code), as a statement to run or to batch with a lease's release. */
export function failureRow(audit: AuditEventStore, actor: Actor, action: AuditAction, error: unknown, details: AuditDetails = {}): D1PreparedStatement {
  return audit.event(actor, action, outcomeOf(error), details);
}

/**
 * The row of a failed flow, or of a request refused before its flow ran (its body, its key, a limit:
 * the route declaration's auditRefusals, routes/rules.ts). A request answered 429 writes
 * none: the rows a user can cause a minute stay within the limits, whatever a flood sends.
 */
export async function auditFailure(audit: AuditEventStore, actor: Actor, action: AuditAction, error: unknown, details: AuditDetails = {}): Promise<unknown> {
  if (isFailure(error, "rate_limited")) return;
  return failureRow(audit, actor, action, error, details).run();
}

/** Runs `flow` and writes its row with the outcome, whether it succeeded or failed; `learned` adds what its result tells (an order's id). */
export async function audited<T>(
  audit: AuditEventStore,
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
    await auditFailure(audit, actor, action, error, details);
    throw error;
  }
  await successRow(audit, actor, action, "ok", { ...details, ...learned(result) }).run();
  return result;
}

const ACTIVITY_PAGE = 50;

/** The user's own audit rows, newest first; the cursor is the id of the last row of the page before. */
export async function activity({ stores: { audit } }: Pick<Deps, "stores">, actor: Actor, cursor: string | undefined): Promise<{ items: ActivityEntryResponse[]; next_cursor: string | null }> {
  return audited(audit, actor, "account.activity.read", async () => {
    if (cursor !== undefined && !/^\d{1,15}$/.test(cursor)) throw new Failure("validation_failed", { errors: [{ field: "cursor", message: "cursor is not a cursor of this list" }] });
    const rows = await audit.page(actor.sub, cursor === undefined ? null : Number(cursor), ACTIVITY_PAGE + 1);
    const items = rows.slice(0, ACTIVITY_PAGE);
    return { items, next_cursor: rows.length > ACTIVITY_PAGE ? items.at(-1)!.id : null };
  });
}
