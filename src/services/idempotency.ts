// Idempotency-Key, per user, in D1 (stores/idempotency-keys.ts): the first request with a key holds it
// before any Broker API call, and stores its answer; the same key with the same body replays that
// answer and calls nothing; another body is refused. The holder is the actor's id (the server's
// request id), never a client's header. A try whose outcome is unknown (its call timed out, its
// isolate died) leaves the key held but lapsed: the next try takes it over and is told it resumes, so that it asks the
// Broker API for the first try's object (a transfer's Broker Idempotency-Key, an order's
// client_order_id, a bank link's details) before it makes one.
import { Failure } from "../failures";
import type { IdempotencyKeyStore, KeyUse } from "../stores/idempotency-keys";
import { leaseMsFor, releaseAfter } from "../stores/lease";
import { iso } from "../time";

/** Keys are kept at least this long (the issue: 24 hours), then cleaned up on the way. */
export const KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;

export type { KeyUse };

/** What a held key says about earlier tries. */
export type Hold =
  | { kind: "fresh" }
  /** An earlier try with this key ended without a known outcome: find its result first. */
  | { kind: "resumed" };

/** A stored answer: the status and the exact bytes of the body. */
export interface StoredAnswer {
  status: number;
  body: string;
}

/** JSON with every object's keys sorted: one text for one body, however its fields were ordered. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).filter(([, field]) => field !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, field]) => `${JSON.stringify(name)}:${canonicalJson(field)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * HMAC-SHA-256 (hex) of the route and the canonical body, under a key of the server's: a body may
 * carry a bank account number, and a plain hash of a short number could be reversed by trying them
 * all. The caller leaves out the step up's password and code: a retry with a corrected code is the
 * same request.
 */
export async function fingerprint(key: CryptoKey, route: string, body: unknown): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${route}\n${canonicalJson(body)}`));
  return hex(new Uint8Array(mac));
}

/** The fingerprints' key, derived from a server secret for this purpose alone (made once per isolate by the caller). */
export async function fingerprintKey(secret: string): Promise<CryptoKey> {
  const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const derived = await crypto.subtle.sign("HMAC", base, new TextEncoder().encode("idempotency-key fingerprint v1"));
  return crypto.subtle.importKey("raw", derived, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

const hex = (bytes: Uint8Array) => [...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("");

/** Our namespace for the Broker Idempotency-Keys of transfers (a random UUID, fixed forever: changing it would re-key every retry). */
const TRANSFER_KEY_NAMESPACE = "8f0c6b1e-4d2a-4c57-9a53-2f6e1d7b9c40";

/**
 * The Broker API's `Idempotency-Key` of a transfer for a user's key: a version 5 UUID (SHA-1 of our
 * namespace and the name, RFC 9562) of the JSON pair [sub, key], 36 characters as the Broker API
 * takes them. The same (user, key) always makes the same Broker key, so a retry, whatever happened
 * to the first try or to our records, is answered with the first try's transfer; the pair is
 * unambiguous, so two users or two keys never share one.
 */
export async function brokerTransferKey(sub: string, key: string): Promise<string> {
  const namespace = Uint8Array.from(TRANSFER_KEY_NAMESPACE.replace(/-/g, "").match(/../g)!, (pair) => parseInt(pair, 16));
  const name = new TextEncoder().encode(JSON.stringify([sub, key]));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-1", new Uint8Array([...namespace, ...name])));
  const bytes = digest.slice(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const text = hex(bytes);
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}

/**
 * The Broker API's `client_order_id` for a user's key: base64url of SHA-256 over the sub and the key,
 * 43 characters (the older limit is 48). The same key always makes the same id, so the Broker API's
 * own uniqueness refuses a second order for it whatever happens to our records.
 */
export async function clientOrderId(sub: string, key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`client_order_id\n${sub}\n${key}`)));
  return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export class IdempotencyKeys {
  readonly #store: IdempotencyKeyStore;
  readonly #now: () => number;
  readonly #leaseMs: number;

  /** `requestBudgetMs`: how long a request may spend upstream; its hold lasts a little longer (stores/lease.ts). */
  constructor(store: IdempotencyKeyStore, now: () => number, requestBudgetMs: number) {
    this.#store = store;
    this.#now = now;
    this.#leaseMs = leaseMsFor(requestBudgetMs);
  }

  /**
   * One round trip: the key is held, new or taken over from a lapsed try with the same body. A key
   * held by a live request is 409, one used with another body 422, a finished one its stored answer.
   */
  async hold(use: KeyUse): Promise<{ hold: Hold } | { replay: StoredAnswer }> {
    const now = this.#now();
    const at = iso(now);
    const row = await this.#store.hold(use, at, iso(now + KEY_LIFETIME_MS), iso(now + this.#leaseMs));
    if (row.request_hash !== use.hash) throw new Failure("idempotency_key_reused");
    if (row.state === "done") return { replay: { status: row.response_status!, body: row.response_body! } };
    if (row.holder !== use.holder) throw new Failure("request_in_progress", { headers: { "retry-after": "1" } });
    return { hold: row.created_at === at ? { kind: "fresh" } : { kind: "resumed" } };
  }

  /**
   * After a finish that stored nothing (the hold lapsed and another try took it over): that try's
   * answer if it has one, else 409 request_in_progress. A try that lost its hold never answers as
   * if it had won.
   */
  async #afterLostHold(use: KeyUse): Promise<StoredAnswer & { replayed: true }> {
    const row = await this.#store.read(use);
    if (row?.state !== "done") throw new Failure("request_in_progress", { headers: { "retry-after": "1" } });
    return { status: row.response_status!, body: row.response_body!, replayed: true };
  }


  /**
   * Runs `flow` once per key: a replay returns the stored answer without running it. After a failure
   * the key is freed when nothing can have been done (stores/lease.ts mayHaveActed), and lapses
   * otherwise, so that the next try reconciles. A resumed hold always lapses: its first try's outcome
   * is still unknown unless the flow found it. A flow whose hold was taken over meanwhile stores
   * nothing and answers as a replay of the try that took it (or 409 while that one runs).
   */
  async once<A extends StoredAnswer & { resourceId?: string }>(
    use: KeyUse,
    flow: (hold: Hold) => Promise<A>,
    /** Written in the same batch right after the answer, each only if the answer was stored (the audit store's eventAfterChange): one round trip. */
    alongside?: (answer: A) => D1PreparedStatement[],
  ): Promise<StoredAnswer & { replayed: boolean }> {
    const held = await this.hold(use);
    if ("replay" in held) return { ...held.replay, replayed: true };
    const lease = this.#store.lease(use);
    let answer: A;
    try {
      answer = await flow(held.hold);
    } catch (error) {
      // The flow's failure is what the user is told; a D1 fault here leaves the hold to lapse at held_until.
      await releaseAfter(lease, error, held.hold.kind === "resumed").run().catch(() => undefined);
      throw error;
    }
    let stored: boolean;
    try {
      stored = await this.#store.finish(use, answer.status, answer.body, answer.resourceId, alongside?.(answer));
    } catch (error) {
      // The Broker API acted but D1 did not record it: the hold lapses now, so that the next try
      // records the object (a retry's Broker answer) at once. D1 may still be down: it then lapses at held_until.
      await lease.lapse().run().catch(() => undefined);
      throw error;
    }
    if (!stored) return this.#afterLostHold(use);
    return { status: answer.status, body: answer.body, replayed: false };
  }
}
