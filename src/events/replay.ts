// The user's changes after a seq, from D1, with their bodies as the GETs answer them now: what a
// stream resumed with Last-Event-ID missed (ledger_changes, 23A's ledger).
import { notConfigured } from "../config";
import { depsFrom } from "../root";
import { bodyOf } from "../services/ledger";
import type { AppliedChange } from "./types";

/** Changes read from D1 per query. */
const PAGE = 100;

/**
 * Oldest first, a page at a time, each read when the one before was taken: a long gap is never held
 * whole. A change whose object D1 no longer holds is skipped. An object changed several times is
 * sent each time with its body as it is now (D1 keeps the object, not each change's copy).
 */
export async function* changesAfter(env: Env, sub: string, after: number): AsyncGenerator<AppliedChange> {
  // D1 alone: reading the ledger needs none of the Broker API's settings.
  const stores = depsFrom(env).storesIfBound;
  if (!stores) throw notConfigured(["DB"]);
  for (let last = after; ; ) {
    const rows = await stores.brokerEvents.changesAfter(sub, last, PAGE);
    for (const row of rows) {
      const body = await bodyOf(stores, sub, row.kind, row.object_id);
      if (body !== undefined) yield { sub, seq: row.seq, kind: row.kind, objectId: row.object_id, body };
      last = row.seq;
    }
    if (rows.length < PAGE) return;
  }
}
