// brokerage_accounts: every statement on the table. One row per user (`sub`): which Broker API
// account is theirs, the status last seen, the tax id's last 4. A row without a Broker account is an
// opening in flight (PENDING, leased by updated_at: stores/lease.ts) or a login being deleted.
import type { Lease } from "./lease";
import { iso } from "../time";

/** The D1 row of a user. */
export interface AccountRow {
  sub: string;
  broker_account_id: string | null;
  account_number: string | null;
  status: string;
  tax_id_last4: string | null;
  /** 1 while the Broker API's contact may hold an email the user has since changed. */
  broker_email_stale: number;
  created_at: string;
  updated_at: string;
  /** The blocked flags as the Broker API's events last said (null: never said). */
  account_blocked: number | null;
  trading_blocked: number | null;
  /** The Broker's time of the status D1 holds, when an event or the heal pass set it. */
  status_at: string | null;
  /** Bumped by every status write from an event or the heal pass (stores/ledger-table.ts). */
  version: number;
  /** 1 once D1 holds the account's orders, transfers, bank links (0: the next read fills them from the Broker API once). */
  orders_filled: number;
  transfers_filled: number;
  bank_links_filled: number;
}

/** What D1 holds of the account's objects, each filled from the Broker API once. */
export type FilledKind = "orders" | "transfers" | "bank_links";

/** What the Broker API's events (and the heal pass) set on the account. */
export interface AccountStatusFields {
  status: string;
  status_at: string | null;
  account_blocked: number | null;
  trading_blocked: number | null;
}

/** A row with its Broker account. */
export type OwnedAccountRow = AccountRow & { broker_account_id: string };

/** The status of a row whose Broker API call has not answered (or whose answer was never recorded). */
const PENDING = "PENDING";
export const CLOSED = "ACCOUNT_CLOSED";
/** The row of a user whose login is being (or was) deleted: no opening takes it over. */
export const LOGIN_DELETED = "LOGIN_DELETED";

export class BrokerageAccountStore {
  readonly #db: D1Database;

  constructor(db: D1Database) {
    this.#db = db;
  }

  /** Runs the statements in one round trip, in order, as one transaction (a write and its audit row). */
  batch(statements: D1PreparedStatement[]): Promise<D1Result[]> {
    return this.#db.batch(statements);
  }

  /**
   * Holds the opening for `sub` in one statement: a new row (PENDING, no Broker account yet), or the
   * takeover of a PENDING row whose lease has lapsed (its request ended without recording an answer).
   * No row comes back when the user has an account, another request holds a live lease, or the login
   * is being deleted: of ten concurrent openings, exactly one gets a row (the primary key on sub decides).
   */
  holdOpening(sub: string, taxIdLast4: string, now: number, leaseMs: number): Promise<AccountRow | null> {
    return this.#db
      .prepare(
        `INSERT INTO brokerage_accounts (sub, status, tax_id_last4, created_at, updated_at) VALUES (?1, '${PENDING}', ?2, ?3, ?3)
         ON CONFLICT (sub) DO UPDATE SET updated_at = ?3 WHERE broker_account_id IS NULL AND status = '${PENDING}' AND updated_at < ?4
         RETURNING *`,
      )
      .bind(sub, taxIdLast4, iso(now), iso(now - leaseMs))
      .first<AccountRow>();
  }

  /**
   * The opening's lease (lease.ts), of the hold that `heldAt` (its row's updated_at, the server's time
   * of the hold) names: a request whose lease was taken over frees or lapses nothing of the next one's.
   * Freed, the user may try again with other details; lapsed, the next opening searches first.
   */
  openingLease(sub: string, heldAt: string): Lease {
    return {
      free: () => this.#db.prepare(`DELETE FROM brokerage_accounts WHERE sub = ? AND broker_account_id IS NULL AND updated_at = ?`).bind(sub, heldAt),
      lapse: () =>
        this.#db.prepare(`UPDATE brokerage_accounts SET updated_at = '1970-01-01T00:00:00.000Z' WHERE sub = ? AND broker_account_id IS NULL AND updated_at = ?`).bind(sub, heldAt),
    };
  }

  /** The opening's outcome: the Broker account, on the row this hold (`heldAt`) still holds; no row changes once another took it over. */
  opened(sub: string, heldAt: string, account: { id: string; account_number?: string | null; status: string }, taxIdLast4: string | null, now: number): D1PreparedStatement {
    return this.#db
      .prepare(
        `UPDATE brokerage_accounts SET broker_account_id = ?, account_number = ?, status = ?, tax_id_last4 = ?, updated_at = ?
         WHERE sub = ? AND broker_account_id IS NULL AND updated_at = ?`,
      )
      .bind(account.id, account.account_number ?? null, account.status, taxIdLast4, iso(now), sub, heldAt);
  }

  /** Another user's row holds this Broker account: the unique key on broker_account_id said no. */
  static isTakenAccount(error: unknown): boolean {
    return error instanceof Error && /UNIQUE constraint failed: brokerage_accounts\.broker_account_id/.test(error.message);
  }

  /** The user's row, with or without a Broker account. */
  rowOf(sub: string): Promise<AccountRow | null> {
    return this.#db.prepare("SELECT * FROM brokerage_accounts WHERE sub = ?").bind(sub).first<AccountRow>();
  }

  /** The status (and account number) the Broker API answered last. */
  async noteStatus(sub: string, status: string, accountNumber: string | null, now: number): Promise<void> {
    await this.#db.prepare("UPDATE brokerage_accounts SET status = ?1, account_number = ?2, updated_at = ?3, status_at = ?3, version = version + 1 WHERE sub = ?4").bind(status, accountNumber, iso(now), sub).run();
  }

  /** The row of the Broker account, whoever's it is (events name the account, not the user). */
  rowOfBrokerAccount(brokerAccountId: string): Promise<AccountRow | null> {
    return this.#db.prepare("SELECT * FROM brokerage_accounts WHERE broker_account_id = ?").bind(brokerAccountId).first<AccountRow>();
  }

  /** The status and flags, while the row's version is still `expected` (and, `afterChange`, only if the statement before it changed a row). */
  applyStatus(sub: string, fields: AccountStatusFields, now: number, expected: number, afterChange: boolean): D1PreparedStatement {
    return this.#db
      .prepare(
        `UPDATE brokerage_accounts SET status = ?, status_at = ?, account_blocked = ?, trading_blocked = ?, updated_at = ?, version = version + 1
         WHERE sub = ? AND version = ? AND ${afterChange ? "changes() = 1" : "1"}`,
      )
      .bind(fields.status, fields.status_at, fields.account_blocked, fields.trading_blocked, iso(now), sub, expected);
  }

  /** The heal pass heard of the account: written only while it is as read (a write that follows it in a batch is made only then). */
  heardAt(row: Pick<AccountRow, "sub" | "version">, now: number): D1PreparedStatement {
    return this.#db.prepare("UPDATE brokerage_accounts SET updated_at = ? WHERE sub = ? AND version = ?").bind(iso(now), row.sub, row.version);
  }

  /** D1 now holds the account's `kind` (filled from the Broker API), or must fill it again (an event named one it did not hold). */
  filled(sub: string, kind: FilledKind, filled: boolean): D1PreparedStatement {
    return this.#db.prepare(`UPDATE brokerage_accounts SET ${kind}_filled = ? WHERE sub = ?`).bind(filled ? 1 : 0, sub);
  }

  /** Accounts in a status that is not final which nothing was heard of since `before`, the longest silent first. */
  async silent(finalStatuses: readonly string[], before: number, limit: number): Promise<OwnedAccountRow[]> {
    const { results } = await this.#db
      .prepare(
        `SELECT * FROM brokerage_accounts WHERE broker_account_id IS NOT NULL AND updated_at < ? AND status NOT IN (${finalStatuses.map(() => "?").join(", ")}) ORDER BY updated_at LIMIT ?`,
      )
      .bind(iso(before), ...finalStatuses, limit)
      .all<OwnedAccountRow>();
    return results;
  }

  /** The Broker API's contact has the user's email. */
  async emailSent(sub: string): Promise<void> {
    await this.#db.prepare("UPDATE brokerage_accounts SET broker_email_stale = 0 WHERE sub = ?").bind(sub).run();
  }

  /** Marks the Broker API's contact email stale, for an account that is not closed: its row, or null. */
  markEmailStale(sub: string): Promise<OwnedAccountRow | null> {
    return this.#db
      .prepare(`UPDATE brokerage_accounts SET broker_email_stale = 1 WHERE sub = ? AND broker_account_id IS NOT NULL AND status <> '${CLOSED}' RETURNING *`)
      .bind(sub)
      .first<OwnedAccountRow>();
  }

  /** A row of the login's deletion, when the user has none: true when it was made. */
  async holdForLoginDeletion(sub: string, now: number): Promise<boolean> {
    const at = iso(now);
    const held = await this.#db
      .prepare(`INSERT INTO brokerage_accounts (sub, status, created_at, updated_at) VALUES (?1, '${LOGIN_DELETED}', ?2, ?2) ON CONFLICT (sub) DO NOTHING RETURNING sub`)
      .bind(sub, at)
      .first();
    return held !== null;
  }

  /** Gives the login deletion's row back (the deletion failed). */
  releaseLoginDeletion(sub: string): Promise<D1Result> {
    return this.#db.prepare(`DELETE FROM brokerage_accounts WHERE sub = ? AND status = '${LOGIN_DELETED}' AND broker_account_id IS NULL`).bind(sub).run();
  }
}
