// The one lease protocol of D1 rows that stand for a Broker API call in flight (an Idempotency-Key's
// hold, an account opening): a row held until a time, taken over once that time has passed, and, when
// its holder fails, either freed (nothing can have been done) or lapsed at once (the Broker API may
// have acted: the next try takes it over and looks for what the first one made before it makes one).
import { FAILURES, isFailure } from "../failures";

/** A lease outlives its request's upstream budget by this much: time to record the answer. */
const LEASE_MARGIN_MS = 5_000;

/** How long a request holds a lease: while it may still call upstream, and record what it got. */
export const leaseMsFor = (requestBudgetMs: number) => requestBudgetMs + LEASE_MARGIN_MS;

/**
 * Whether the upstream may have done the work when a flow failed with `error`: yes for anything
 * unexpected and for a 5xx failure (no answer, a fault, an unusable answer); no for a refusal (a 4xx
 * failure: our own check, or the upstream's refusal) and for our settings (misconfigured).
 */
export function mayHaveActed(error: unknown): boolean {
  if (!isFailure(error)) return true;
  return FAILURES[error.code].status >= 500 && !isFailure(error, "misconfigured", "not_configured");
}

/** The two ends of a failed holder's lease, as statements (to batch with the audit row). */
export interface Lease {
  /** Nothing was done: the row goes, and a retry starts afresh (with any body). */
  free(): D1PreparedStatement;
  /** The outcome is unknown: the lease lapses now, and the next try reconciles first. */
  lapse(): D1PreparedStatement;
}

/** How a failed holder gives its lease back: lapsed when the upstream may have acted (or an earlier try's outcome is still unknown), else freed. */
export function releaseAfter(lease: Lease, error: unknown, outcomeStillUnknown = false): D1PreparedStatement {
  return outcomeStillUnknown || mayHaveActed(error) ? lease.lapse() : lease.free();
}
