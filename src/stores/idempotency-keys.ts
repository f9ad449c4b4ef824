// idempotency_keys: every statement on the table. A row is one user's key: held (in_progress, with
// its holder and the time its lease runs to) while a request runs, then done with the stored answer.
import type { Lease } from "./lease";

/** How many expired keys a hold removes on the way (bounded, so no request pays for a backlog). */
const CLEANUP_BATCH = 50;

/** One request's use of a key. */
export interface KeyUse {
  sub: string;
  key: string;
  /** fingerprint() of the route and the body. */
  hash: string;
  /** The actor's id (the server's request id, say): who holds the key. */
  holder: string;
}

export interface KeyRow {
  request_hash: string;
  state: "in_progress" | "done";
  response_status: number | null;
  response_body: string | null;
  created_at: string;
  holder: string | null;
}

export class IdempotencyKeyStore {
  readonly #db: D1Database;

  constructor(db: D1Database) {
    this.#db = db;
  }

  /**
   * One round trip: expired keys go (this one first), then the key is held, new or taken over from a
   * lapsed try with the same body, and read back.
   */
  async hold(use: KeyUse, at: string, expiresAt: string, heldUntil: string): Promise<KeyRow> {
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
        .bind(use.sub, use.key, use.hash, at, expiresAt, use.holder, heldUntil),
      this.#db
        .prepare("SELECT request_hash, state, response_status, response_body, created_at, holder FROM idempotency_keys WHERE sub = ? AND key = ?")
        .bind(use.sub, use.key),
    ]);
    return read!.results[0]!;
  }

  /**
   * Stores the answer, kept for replays until the key expires, with `alongside` in the same batch
   * (one round trip); false when this holder no longer holds the key (nothing stored).
   */
  async finish(use: KeyUse, status: number, body: string, resourceId: string | undefined, alongside: D1PreparedStatement[] = []): Promise<boolean> {
    const finish = this.#db
      .prepare(
        `UPDATE idempotency_keys SET state = 'done', response_status = ?, response_body = ?, resource_id = ?, holder = NULL, held_until = NULL
         WHERE sub = ? AND key = ? AND holder = ? AND state = 'in_progress'`,
      )
      .bind(status, body, resourceId ?? null, use.sub, use.key, use.holder);
    const [stored] = alongside.length > 0 ? await this.#db.batch([finish, ...alongside]) : [await finish.run()];
    return stored!.meta.changes === 1;
  }

  /** The key's row for this body, whoever holds it. */
  read(use: KeyUse): Promise<Pick<KeyRow, "state" | "response_status" | "response_body"> | null> {
    return this.#db
      .prepare("SELECT state, response_status, response_body FROM idempotency_keys WHERE sub = ? AND key = ? AND request_hash = ?")
      .bind(use.sub, use.key, use.hash)
      .first();
  }

  /** The holder's lease on the key (lease.ts). */
  lease(use: KeyUse): Lease {
    return {
      free: () => this.#db.prepare("DELETE FROM idempotency_keys WHERE sub = ? AND key = ? AND holder = ? AND state = 'in_progress'").bind(use.sub, use.key, use.holder),
      lapse: () =>
        this.#db
          .prepare("UPDATE idempotency_keys SET holder = NULL, held_until = created_at WHERE sub = ? AND key = ? AND holder = ? AND state = 'in_progress'")
          .bind(use.sub, use.key, use.holder),
    };
  }

  /** Whether another key of the user's already recorded this Broker object (then it is not this key's). */
  async resourceOfAnotherKey(use: KeyUse, resourceId: string): Promise<boolean> {
    const row = await this.#db.prepare("SELECT 1 FROM idempotency_keys WHERE sub = ? AND resource_id = ? AND key <> ?").bind(use.sub, resourceId, use.key).first();
    return row !== null;
  }
}
