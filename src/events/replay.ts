// The user's changes after a seq, from D1, with their bodies: what a stream resumed with Last-Event-ID
// missed. Built on 23A's ledger (stores.brokerEvents.changesAfter and the body of each change); until
// that lands on main, nothing is replayed.
import type { AppliedChange } from "./types";

export async function changesAfter(_env: Env, _sub: string, _seq: number, _limit: number): Promise<AppliedChange[]> {
  return [];
}
