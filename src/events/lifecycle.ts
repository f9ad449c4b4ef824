// State only moves forward: which status may follow which, for the Broker API's orders, transfers,
// bank links and accounts (broker-api.md sections 2-4 and 7). An older or repeated event never moves
// a row back; the Broker's own exceptions are a COMPLETE deposit turning RETURNED and a trade
// correction (trade_bust, trade_correct), which events/apply.ts applies as sent. A status we do not
// know (the Broker's enums grow) is kept as sent: it follows any status that is not final, by time.
import { compareDecimals } from "../decimal";

export interface Lifecycle {
  /** Known statuses, by how far along they are. */
  rank: Record<string, number>;
  /** Statuses nothing follows, but the exceptions. */
  final: ReadonlySet<string>;
  /** `from>to` pairs allowed out of a final status. */
  exceptions?: ReadonlySet<string>;
}

/** A status and the Broker's time of it (null when unknown: a create's answer). */
export interface Stamped {
  status: string;
  at: string | null;
}

const ORDER_FINAL = ["filled", "canceled", "expired", "rejected", "replaced"] as const;

export const ORDER: Lifecycle = {
  rank: {
    pending_new: 0,
    accepted: 0,
    accepted_for_bidding: 0,
    new: 1,
    held: 1,
    suspended: 1,
    calculated: 1,
    stopped: 1,
    pending_cancel: 1,
    pending_replace: 1,
    done_for_day: 1,
    partially_filled: 2,
    ...Object.fromEntries(ORDER_FINAL.map((status) => [status, 3])),
  },
  final: new Set(ORDER_FINAL),
};

const TRANSFER_FINAL = ["COMPLETE", "SETTLED", "REJECTED", "CANCELED", "EXPIRED", "RETURNED"] as const;

export const TRANSFER: Lifecycle = {
  rank: { QUEUED: 0, APPROVAL_PENDING: 1, PENDING: 2, SENT_TO_CLEARING: 3, APPROVED: 4, COMPLETE: 5, SETTLED: 5, REJECTED: 6, CANCELED: 6, EXPIRED: 6, RETURNED: 6 },
  final: new Set(TRANSFER_FINAL),
  // A deposit can be returned after it completed (broker-api.md section 3).
  exceptions: new Set(["COMPLETE>RETURNED", "SETTLED>RETURNED"]),
};

const BANK_LINK_FINAL = ["REJECTED", "CANCELED"] as const;

export const BANK_LINK: Lifecycle = {
  rank: { QUEUED: 0, PENDING: 1, SENT_TO_CLEARING: 2, APPROVED: 3, CANCEL_REQUESTED: 4, CANCEL_SENT: 5, CANCEL_FAILED: 6, REJECTED: 7, CANCELED: 7 },
  final: new Set(BANK_LINK_FINAL),
};

/** Statuses the heal pass no longer asks after. */
export const FINAL = {
  order: [...ORDER_FINAL],
  transfer: [...TRANSFER_FINAL],
  bankLink: [...BANK_LINK_FINAL],
  // An account moves on from every status but these (ACCOUNT_UPDATED and ACTION_REQUIRED come back).
  account: ["ACTIVE", "REJECTED", "ACCOUNT_CLOSED", "DISABLED", "INACTIVE"],
} as const;

const newer = (to: Stamped, from: Stamped) => from.at === null || (to.at !== null && to.at >= from.at);

/** Whether `to` may replace `from` (the same status moves nothing: the caller compares the rest). */
export function movesForward(lifecycle: Lifecycle, from: Stamped, to: Stamped): boolean {
  if (from.status === to.status) return false;
  if (lifecycle.final.has(from.status)) return lifecycle.exceptions?.has(`${from.status}>${to.status}`) ?? false;
  const rankFrom = lifecycle.rank[from.status];
  const rankTo = lifecycle.rank[to.status];
  if (rankFrom === undefined || rankTo === undefined) return newer(to, from);
  return rankTo > rankFrom || (rankTo === rankFrom && newer(to, from));
}

/**
 * Whether an order as an event (or the heal pass) sent it may replace the row: a status further on,
 * or the same one with as much filled and no older (a partial fill after a partial fill). A final
 * order stays as it is.
 */
export function orderMovesForward(from: Stamped & { filled_qty: string | null }, to: Stamped & { filled_qty: string | null }): boolean {
  if (from.status !== to.status) return movesForward(ORDER, from, to);
  if (ORDER.final.has(from.status)) return false;
  return compareDecimals(to.filled_qty ?? "0", from.filled_qty ?? "0") > 0 && newer(to, from);
}

/**
 * An account's status: accounts go back and forth (ACTION_REQUIRED -> SUBMITTED, ACTIVE ->
 * ACCOUNT_UPDATED -> ACTIVE), so only time orders them: an event older than the status held is not applied.
 */
export function accountMovesForward(from: Stamped, to: Stamped): boolean {
  return to.at !== null && (from.at === null || to.at > from.at);
}
