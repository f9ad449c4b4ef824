// Idempotency keys on the real D1: claims, replays, another body, races, freed and lapsed keys, expiry.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Failure, isFailure } from "../../src/failures";
import { AuditEventStore } from "../../src/stores/audit-events";
import { IdempotencyKeyStore } from "../../src/stores/idempotency-keys";
import { brokerTransferKey, clientOrderId, fingerprint, fingerprintKey, IdempotencyKeys, KEY_LIFETIME_MS, type KeyUse } from "../../src/services/idempotency";

const BUDGET_MS = 8_000;

function use(overrides: Partial<KeyUse> = {}): KeyUse {
  return { sub: crypto.randomUUID(), key: crypto.randomUUID(), hash: "h1", holder: crypto.randomUUID(), ...overrides };
}

/** A clock the test moves. */
function clock(start = Date.parse("2026-12-01T10:00:00.000Z")) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const ANSWER = { status: 201, body: '{"id":"750d8323-19f6-47d5-8e9a-a34ed4a6f2d2","amount":"100.00"}' };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (isFailure(error)) return error.code;
    throw error;
  }
  return "ok";
}

describe("IdempotencyKeys", () => {
  it("runs the flow once and replays its exact answer to the same key and body", async () => {
    const keys = new IdempotencyKeys(new IdempotencyKeyStore(env.DB), Date.now, BUDGET_MS);
    const first = use();
    let runs = 0;
    const flow = async () => (runs++, { ...ANSWER, resourceId: "750d8323-19f6-47d5-8e9a-a34ed4a6f2d2" });
    expect(await keys.once(first, flow)).toEqual({ ...ANSWER, replayed: false });
    expect(await keys.once({ ...first, holder: crypto.randomUUID() }, flow)).toEqual({ ...ANSWER, replayed: true });
    expect(runs).toBe(1);
    const row = await env.DB.prepare("SELECT state, resource_id, holder, held_until FROM idempotency_keys WHERE sub = ? AND key = ?").bind(first.sub, first.key).first();
    expect(row).toEqual({ state: "done", resource_id: "750d8323-19f6-47d5-8e9a-a34ed4a6f2d2", holder: null, held_until: null });
  });

  it("refuses the key with another body (422), keeping the first answer", async () => {
    const keys = new IdempotencyKeys(new IdempotencyKeyStore(env.DB), Date.now, BUDGET_MS);
    const first = use();
    await keys.once(first, async () => ANSWER);
    expect(await codeOf(keys.once({ ...first, hash: "h2", holder: "other" }, async () => ANSWER))).toBe("idempotency_key_reused");
    expect(await keys.once({ ...first, holder: "again" }, async () => ANSWER)).toEqual({ ...ANSWER, replayed: true });
  });

  it("keeps keys per user: another user's same key is a key of its own", async () => {
    const keys = new IdempotencyKeys(new IdempotencyKeyStore(env.DB), Date.now, BUDGET_MS);
    const first = use();
    await keys.once(first, async () => ANSWER);
    expect(await keys.once({ ...first, sub: crypto.randomUUID(), hash: "h2" }, async () => ({ status: 201, body: "{}" }))).toEqual({ status: 201, body: "{}", replayed: false });
  });

  it("lets one of ten concurrent requests with one key run; the others get 409 request_in_progress", async () => {
    const keys = new IdempotencyKeys(new IdempotencyKeyStore(env.DB), Date.now, BUDGET_MS);
    const shared = use();
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const flow = async () => {
      runs++;
      await gate;
      return ANSWER;
    };
    // The winner waits at the gate until the nine others have been answered: they never waited for it.
    let answered = 0;
    let allAnswered!: () => void;
    const losersDone = new Promise<void>((resolve) => (allAnswered = resolve));
    const racing = Array.from({ length: 10 }, () =>
      codeOf(keys.once({ ...shared, holder: crypto.randomUUID() }, flow)).then((code) => {
        if (code !== "ok" && ++answered === 9) allAnswered();
        return code;
      }),
    );
    await losersDone;
    release();
    expect((await Promise.all(racing)).sort()).toEqual(["ok", ...Array(9).fill("request_in_progress")]);
    expect(runs).toBe(1);
  });

  it("frees the key after a failure that did nothing, so a retry runs afresh (even with another body)", async () => {
    const keys = new IdempotencyKeys(new IdempotencyKeyStore(env.DB), Date.now, BUDGET_MS);
    const first = use();
    const refused = keys.once(first, async () => {
      throw new Failure("insufficient_funds");
    });
    expect(await codeOf(refused)).toBe("insufficient_funds");
    const claims: string[] = [];
    await keys.once({ ...first, hash: "h2", holder: "retry" }, async (claim) => (claims.push(claim.kind), ANSWER));
    expect(claims).toEqual(["fresh"]);
  });

  it("keeps the key after a timeout: the next try takes it over at once and is told it resumes the first", async () => {
    const time = clock();
    const keys = new IdempotencyKeys(new IdempotencyKeyStore(env.DB), time.now, BUDGET_MS);
    const first = use();
    expect(await codeOf(keys.once(first, async () => Promise.reject(new Failure("upstream_timeout"))))).toBe("upstream_timeout");
    time.advance(1_000);
    const claims: unknown[] = [];
    await keys.once({ ...first, holder: "retry" }, async (claim) => (claims.push(claim), ANSWER));
    expect(claims).toEqual([{ kind: "resumed" }]);
    // The other body is still refused while the outcome is unknown.
    expect(await codeOf(keys.once({ ...first, hash: "h2", holder: "x" }, async () => ANSWER))).toBe("idempotency_key_reused");
  });

  it("holds a claim whose request vanished until its budget has passed, then hands it over resumed", async () => {
    const time = clock();
    const keys = new IdempotencyKeys(new IdempotencyKeyStore(env.DB), time.now, BUDGET_MS);
    const first = use();
    expect(await keys.hold(first)).toEqual({ hold: { kind: "fresh" } });
    time.advance(BUDGET_MS);
    expect(await codeOf(keys.hold({ ...first, holder: "early" }))).toBe("request_in_progress");
    time.advance(5_001);
    expect(await keys.hold({ ...first, holder: "late" })).toEqual({ hold: { kind: "resumed" } });
  });

  it("a try that lost its claim stores nothing, writes no row of its own, and answers the try that took over", async () => {
    const time = clock();
    const keys = new IdempotencyKeys(new IdempotencyKeyStore(env.DB), time.now, BUDGET_MS);
    const first = use();
    const taker = { ...first, holder: crypto.randomUUID() };
    const taken = { status: 201, body: '{"id":"taker"}' };
    // The first try outlives its hold: meanwhile the next try takes the key over and finishes.
    const late = keys.once(
      first,
      async () => {
        time.advance(BUDGET_MS + 5_001);
        expect(await keys.once(taker, async () => taken)).toEqual({ ...taken, replayed: false });
        return { ...ANSWER, resourceId: "late" };
      },
      () => [new AuditEventStore(env.DB).eventAfterChange({ sub: first.sub, source: "request", id: first.holder }, "transfer.create", "ok")],
    );
    expect(await late).toEqual({ ...taken, replayed: true });
    expect(await env.DB.prepare("SELECT resource_id FROM idempotency_keys WHERE sub = ? AND key = ?").bind(first.sub, first.key).first("resource_id")).toBe(null);
    expect(await env.DB.prepare("SELECT count(*) AS n FROM audit_events WHERE request_id = ?").bind(first.holder).first("n")).toBe(0);
  });

  it("a try that lost its claim to a try still running answers 409 request_in_progress, not its own answer", async () => {
    const time = clock();
    const keys = new IdempotencyKeys(new IdempotencyKeyStore(env.DB), time.now, BUDGET_MS);
    const first = use();
    const late = keys.once(first, async () => {
      time.advance(BUDGET_MS + 5_001);
      expect(await keys.hold({ ...first, holder: crypto.randomUUID() })).toMatchObject({ hold: { kind: "resumed" } });
      return ANSWER;
    });
    expect(await codeOf(late)).toBe("request_in_progress");
    expect(await env.DB.prepare("SELECT state FROM idempotency_keys WHERE sub = ? AND key = ?").bind(first.sub, first.key).first("state")).toBe("in_progress");
  });

  it("lets the claim lapse when D1 fails to store the answer, so that the next try takes it over at once, resumed", async () => {
    const time = clock();
    let batches = 0;
    // The second batch (the answer's) fails as a lost connection would; the claim's passes.
    const db = new Proxy(env.DB, {
      get(target, name) {
        const value = Reflect.get(target, name, target) as unknown;
        if (name === "batch") return (statements: D1PreparedStatement[]) => (++batches === 2 ? Promise.reject(new Error("D1_ERROR: Network connection lost.")) : target.batch(statements));
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const keys = new IdempotencyKeys(new IdempotencyKeyStore(db), time.now, BUDGET_MS);
    const first = use();
    await expect(keys.once(first, async () => ANSWER, () => [env.DB.prepare("SELECT 1")])).rejects.toThrow(/Network connection lost/);
    time.advance(1);
    const claims: string[] = [];
    await keys.once({ ...first, holder: crypto.randomUUID() }, async (claim) => (claims.push(claim.kind), ANSWER));
    expect(claims).toEqual(["resumed"]);
  });

  it("keeps a key 24 hours, then forgets it and cleans expired keys of other users on the way", async () => {
    const time = clock(Date.parse("2026-11-01T00:00:00.000Z"));
    const keys = new IdempotencyKeys(new IdempotencyKeyStore(env.DB), time.now, BUDGET_MS);
    const first = use();
    const other = use();
    await keys.once(first, async () => ANSWER);
    await keys.once(other, async () => ANSWER);
    time.advance(KEY_LIFETIME_MS - 1);
    expect(await keys.once({ ...first, holder: "a" }, async () => ANSWER)).toMatchObject({ replayed: true });
    time.advance(2);
    expect(await keys.once({ ...first, hash: "h2", holder: "b" }, async () => ({ status: 201, body: "new" }))).toEqual({ status: 201, body: "new", replayed: false });
    expect(await env.DB.prepare("SELECT count(*) AS n FROM idempotency_keys WHERE sub = ?").bind(other.sub).first("n")).toBe(0);
  });
});

describe("fingerprints and client order ids", () => {
  it("fingerprints the route and the body under the server's key, whatever the order of the fields", async () => {
    const key = await fingerprintKey("server-secret");
    const a = await fingerprint(key, "POST /transfers", { amount: "100.00", direction: "INCOMING", nested: { b: 1, a: [2, { d: 3, c: 4 }] } });
    const b = await fingerprint(key, "POST /transfers", { nested: { a: [2, { c: 4, d: 3 }], b: 1 }, direction: "INCOMING", amount: "100.00" });
    expect(a).toBe(b);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await fingerprint(key, "POST /orders", { amount: "100.00", direction: "INCOMING", nested: { b: 1, a: [2, { d: 3, c: 4 }] } })).not.toBe(a);
    expect(await fingerprint(key, "POST /transfers", { amount: "100.0" })).not.toBe(await fingerprint(key, "POST /transfers", { amount: "100.00" }));
    // Not a plain hash: without the key, a short bank number cannot be found from it.
    const plain = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode('POST /bank-links\n{"bank_account_number":"1234"}')));
    const hex = [...plain].map((byte) => byte.toString(16).padStart(2, "0")).join("");
    expect(await fingerprint(key, "POST /bank-links", { bank_account_number: "1234" })).not.toBe(hex);
    expect(await fingerprint(await fingerprintKey("other-secret"), "POST /transfers", { amount: "100.00", direction: "INCOMING", nested: { b: 1, a: [2, { d: 3, c: 4 }] } })).not.toBe(a);
  });

  it("derives one Broker Idempotency-Key per user and key: a version 5 UUID, 36 characters, the same for the same pair", async () => {
    const id = await brokerTransferKey("sub-1", "key-1");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await brokerTransferKey("sub-1", "key-1")).toBe(id);
    expect(await brokerTransferKey("sub-2", "key-1")).not.toBe(id);
    expect(await brokerTransferKey("sub-1", "key-2")).not.toBe(id);
    // The pair is unambiguous: moving a character from the sub to the key makes another key.
    expect(await brokerTransferKey("sub-1k", "ey-1")).not.toBe(await brokerTransferKey("sub-1", "key-1"));
  });

  it("derives one client_order_id per user and key, at most 48 URL-safe characters", async () => {
    const id = await clientOrderId("sub-1", "key-1");
    expect(id).toMatch(/^[\w-]{43}$/);
    expect(await clientOrderId("sub-1", "key-1")).toBe(id);
    expect(await clientOrderId("sub-2", "key-1")).not.toBe(id);
    expect(await clientOrderId("sub-1", "key-2")).not.toBe(id);
  });
});
