// The one lease (src/stores/lease.ts) on the real D1: the account opening's and the Idempotency-Key's
// follow the same rule after a failure: freed when the Broker API cannot have acted, lapsed otherwise.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Failure } from "../../src/failures";
import { storesOf } from "../../src/stores";
import { mayHaveActed, releaseAfter } from "../../src/stores/lease";

const stores = storesOf(env.DB);
const T0 = Date.parse("2026-12-01T10:00:00.000Z");
const LEASE_MS = 13_000;

describe("mayHaveActed", () => {
  it("says yes for no answer, a fault, an unusable answer and anything unexpected; no for a refusal and for our own settings", () => {
    for (const code of ["upstream_timeout", "upstream_unavailable", "upstream_error", "internal_error"] as const) expect(mayHaveActed(new Failure(code))).toBe(true);
    expect(mayHaveActed(new Error("D1 went away"))).toBe(true);
    for (const code of ["account_details_rejected", "rate_limited", "insufficient_funds", "bank_link_not_found", "misconfigured", "not_configured"] as const) {
      expect(mayHaveActed(new Failure(code))).toBe(false);
    }
  });
});

describe("the account opening's lease", () => {
  it("is held by one of ten concurrent openings, taken over only once it has lapsed", async () => {
    const sub = crypto.randomUUID();
    const held = await Promise.all(Array.from({ length: 10 }, () => stores.accounts.holdOpening(sub, "6789", T0, LEASE_MS)));
    expect(held.filter((row) => row !== null)).toHaveLength(1);
    expect(await stores.accounts.holdOpening(sub, "6789", T0 + LEASE_MS - 1, LEASE_MS)).toBeNull();
    const taken = await stores.accounts.holdOpening(sub, "6789", T0 + LEASE_MS + 1, LEASE_MS);
    expect(taken).toMatchObject({ sub, status: "PENDING", broker_account_id: null });
    expect(taken!.created_at).not.toBe(taken!.updated_at);
  });

  it("after a failure that may have acted, lapses at once (the next opening takes over and searches); after a refusal, is freed", async () => {
    const [unknown, refused] = [crypto.randomUUID(), crypto.randomUUID()];
    for (const sub of [unknown, refused]) await stores.accounts.holdOpening(sub, "6789", T0, LEASE_MS);
    const heldAt = new Date(T0).toISOString();
    await releaseAfter(stores.accounts.openingLease(unknown, heldAt), new Failure("upstream_timeout")).run();
    await releaseAfter(stores.accounts.openingLease(refused, heldAt), new Failure("account_details_rejected")).run();
    expect(await stores.accounts.holdOpening(unknown, "6789", T0 + 1, LEASE_MS)).toMatchObject({ created_at: new Date(T0).toISOString() });
    expect(await stores.accounts.rowOf(refused)).toBeNull();
  });

  it("is its holder's only: a request whose lease was taken over frees, lapses and records nothing of the next one's", async () => {
    const sub = crypto.randomUUID();
    const first = await stores.accounts.holdOpening(sub, "6789", T0, LEASE_MS);
    const second = await stores.accounts.holdOpening(sub, "6789", T0 + LEASE_MS + 1, LEASE_MS);
    await releaseAfter(stores.accounts.openingLease(sub, first!.updated_at), new Failure("account_details_rejected")).run();
    await releaseAfter(stores.accounts.openingLease(sub, first!.updated_at), new Failure("upstream_timeout")).run();
    const late = await stores.accounts.opened(sub, first!.updated_at, { id: crypto.randomUUID(), status: "SUBMITTED" }, "6789", T0 + LEASE_MS + 2).run();
    expect(late.meta.changes).toBe(0);
    expect(await stores.accounts.rowOf(sub)).toMatchObject({ status: "PENDING", broker_account_id: null, updated_at: second!.updated_at });
    const own = await stores.accounts.opened(sub, second!.updated_at, { id: crypto.randomUUID(), status: "SUBMITTED" }, "6789", T0 + LEASE_MS + 3).run();
    expect(own.meta.changes).toBe(1);
  });
});

describe("the Idempotency-Key's hold", () => {
  const use = () => ({ sub: crypto.randomUUID(), key: crypto.randomUUID(), hash: "h", holder: crypto.randomUUID() });
  const iso = (ms: number) => new Date(ms).toISOString();

  it("follows the same rule: lapsed after a failure that may have acted, freed after a refusal", async () => {
    const [unknown, refused] = [use(), use()];
    for (const held of [unknown, refused]) await stores.keys.hold(held, iso(T0), iso(T0 + 86_400_000), iso(T0 + LEASE_MS));
    await releaseAfter(stores.keys.lease(unknown), new Failure("upstream_error")).run();
    await releaseAfter(stores.keys.lease(refused), new Failure("insufficient_funds")).run();
    // The lapsed key is taken over by the next try at once (its holder changes); the freed one is new again.
    expect(await stores.keys.hold({ ...unknown, holder: "next" }, iso(T0 + 1), iso(T0 + 86_400_000), iso(T0 + LEASE_MS))).toMatchObject({ holder: "next", created_at: iso(T0) });
    expect(await stores.keys.hold({ ...refused, holder: "next" }, iso(T0 + 1), iso(T0 + 86_400_000), iso(T0 + LEASE_MS))).toMatchObject({ holder: "next", created_at: iso(T0 + 1) });
  });
});
