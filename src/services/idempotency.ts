// Idempotency-Key, per user, in D1 (idempotency_keys): the first request with a key claims it before
// any Broker API call, and stores its answer; the same key with the same body replays that answer
// and calls nothing; another body is refused. The claim's holder is the server's request id, never a
// client's header. A try whose outcome is unknown (its call timed out, its isolate died) leaves the
// key claimed but lapsed: the next try takes it over and is told it resumes, so that it asks the
// Broker API for the first try's object (a transfer's Broker Idempotency-Key, an order's
// client_order_id, a bank link's details) before it makes one.
import { Failure, isFailure } from "../failures";

/** Keys are kept at least this long (the issue: 24 hours), then cleaned up on the way. */
export const KEY_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** A claim outlives its request's upstream budget by this much: time to record the answer. */
const HOLD_MARGIN_MS = 5_000;

/** How many expired keys a claim removes on the way (bounded, so no request pays for a backlog). */
const CLEANUP_BATCH = 50;

/** One request's use of a key. */
export interface KeyUse {
  sub: string;
  key: string;
  /** fingerprint() of the route and the body. */
  hash: string;
  /** The server's request id (middleware/request-id.ts): who holds the claim. */
  holder: string;
}

/** What a claimed key says about earlier tries. */
export type Claim =
  | { kind: "fresh" }
  /** An earlier try with this key ended without a known outcome: find its result first. */
  | { kind: "resumed" };

/** A stored answer: the status and the exact bytes of the body. */
export interface StoredAnswer {
  status: number;
  body: string;
}

interface KeyRow {
  request_hash: string;
  state: "in_progress" | "done";
  response_status: number | null;
  response_body: string | null;
  created_at: string;
  holder: string | null;
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

/** Failures after which the Broker API may have done the work: the key is kept, for a reconciling retry. */
function outcomeUnknown(error: unknown): boolean {
  return !isFailure(error) || isFailure(error, "upstream_timeout", "upstream_unavailable", "upstream_error", "internal_error");
}

const iso = (ms: number) => new Date(ms).toISOString();

export class IdempotencyKeys {
  readonly #db: D1Database;
  readonly #now: () => number;
  readonly #holdMs: number;

  /** `requestBudgetMs`: how long a request may spend upstream; its claim is held a little longer. */
  constructor(db: D1Database, now: () => number, requestBudgetMs: number) {
    this.#db = db;
    this.#now = now;
    this.#holdMs = requestBudgetMs + HOLD_MARGIN_MS;
  }

  /**
   * One round trip: expired keys go (this one first), then the key is claimed, new or taken over
   * from a lapsed try with the same body, and read back. A key held by a live request is 409, one
   * used with another body 422, a finished one its stored answer.
   */
  async claim(use: KeyUse): Promise<{ claim: Claim } | { replay: StoredAnswer }> {
    const now = this.#now();
    const at = iso(now);
    const [, , , read] = await this.#db.batch<KeyRow>([
      this.#db.prepare("DELETE FROM idempotency_keys WHERE sub = ? AND key = ? AND expires_at < ?").bind(use.sub, use.key, at),
      this.#db
        .prepare(`DELETE FROM idempotency_keys WHERE rowid IN (SELECT rowid FROM idempotency_keys WHERE expires_at < ? LIMIT ${CLEANUP_BATCH})`)
        .bind(at),
      this.#db
        .prepare(
          `INSERT INTO idempotency_keys (sub, key, request_hash, state, created_at, expires_at, holder, held_until)
           VALUES (?1, ?2, ?3, 'in_progress', ?4, ?5, ?6, ?7)
           ON CONFLICT (sub, key) DO UPDATE SET holder = ?6, held_until = ?7
           WHERE state = 'in_progress' AND request_hash = ?3 AND held_until < ?4`,
        )
        .bind(use.sub, use.key, use.hash, at, iso(now + KEY_LIFETIME_MS), use.holder, iso(now + this.#holdMs)),
      this.#db
        .prepare("SELECT request_hash, state, response_status, response_body, created_at, holder FROM idempotency_keys WHERE sub = ? AND key = ?")
        .bind(use.sub, use.key),
    ]);
    const row = read!.results[0]!;
    if (row.request_hash !== use.hash) throw new Failure("idempotency_key_reused");
    if (row.state === "done") return { replay: { status: row.response_status!, body: row.response_body! } };
    if (row.holder !== use.holder) throw new Failure("request_in_progress", { headers: { "retry-after": "1" } });
    return { claim: row.created_at === at ? { kind: "fresh" } : { kind: "resumed" } };
  }

  /** The answer, kept for replays until the key expires; it changes no row when this request no longer holds the claim. */
  finish(use: KeyUse, answer: StoredAnswer, resourceId: string | undefined): D1PreparedStatement {
    return this.#db
      .prepare(
        `UPDATE idempotency_keys SET state = 'done', response_status = ?, response_body = ?, resource_id = ?, holder = NULL, held_until = NULL
         WHERE sub = ? AND key = ? AND holder = ? AND state = 'in_progress'`,
      )
      .bind(answer.status, answer.body, resourceId ?? null, use.sub, use.key, use.holder);
  }

  /**
   * After a finish that stored nothing (the claim lapsed and another try took it over): that try's
   * answer if it has one, else 409 request_in_progress. A try that lost its claim never answers as
   * if it had won.
   */
  async #afterLostClaim(use: KeyUse): Promise<StoredAnswer & { replayed: true }> {
    const row = await this.#db
      .prepare("SELECT state, response_status, response_body FROM idempotency_keys WHERE sub = ? AND key = ? AND request_hash = ?")
      .bind(use.sub, use.key, use.hash)
      .first<Pick<KeyRow, "state" | "response_status" | "response_body">>();
    if (row?.state !== "done") throw new Failure("request_in_progress", { headers: { "retry-after": "1" } });
    return { status: row.response_status!, body: row.response_body!, replayed: true };
  }

  /** Nothing was done: the key is free for a retry (with any body). */
  forget(use: KeyUse): D1PreparedStatement {
    return this.#db.prepare("DELETE FROM idempotency_keys WHERE sub = ? AND key = ? AND holder = ? AND state = 'in_progress'").bind(use.sub, use.key, use.holder);
  }

  /** The outcome is unknown: the claim lapses now, and the next try with the key reconciles first. */
  lapse(use: KeyUse): D1PreparedStatement {
    return this.#db
      .prepare("UPDATE idempotency_keys SET holder = NULL, held_until = created_at WHERE sub = ? AND key = ? AND holder = ? AND state = 'in_progress'")
      .bind(use.sub, use.key, use.holder);
  }

  /**
   * Runs `flow` once per key: a replay returns the stored answer without running it. After a failure
   * the key is forgotten when nothing can have been done (a refusal, a check before any call), and
   * lapses otherwise, so that the next try reconciles. A resumed claim always lapses: its first try's
   * outcome is still unknown unless the flow found it. A flow whose claim was taken over meanwhile
   * stores nothing and answers as a replay of the try that took it (or 409 while that one runs).
   */
  async once<A extends StoredAnswer & { resourceId?: string }>(
    use: KeyUse,
    flow: (claim: Claim) => Promise<A>,
    /** Written in the same batch right after the answer, and only if the answer was stored (audit.ts auditEventAfterChange): one round trip. */
    alongside?: (answer: A) => D1PreparedStatement,
  ): Promise<StoredAnswer & { replayed: boolean }> {
    const claimed = await this.claim(use);
    if ("replay" in claimed) return { ...claimed.replay, replayed: true };
    let answer: A;
    try {
      answer = await flow(claimed.claim);
    } catch (error) {
      const release = claimed.claim.kind === "resumed" || outcomeUnknown(error) ? this.lapse(use) : this.forget(use);
      await release.run();
      throw error;
    }
    const finish = this.finish(use, answer, answer.resourceId);
    let stored: D1Result | undefined;
    try {
      [stored] = alongside ? await this.#db.batch([finish, alongside(answer)]) : [await finish.run()];
    } catch (error) {
      // The Broker API acted but D1 did not record it: the claim lapses now, so that the next try
      // records the object (a retry's Broker answer) at once. D1 may still be down: it then lapses at held_until.
      await this.lapse(use).run().catch(() => undefined);
      throw error;
    }
    if (stored!.meta.changes !== 1) return this.#afterLostClaim(use);
    return { status: answer.status, body: answer.body, replayed: false };
  }
}
