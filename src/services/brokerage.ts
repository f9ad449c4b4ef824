// Brokerage accounts: which Broker API account belongs to which user (D1, by the token's `sub`),
// opening one exactly once however many requests race, and the one view of it. The Broker API is
// the system of record for personal data; D1 keeps ids, the status last seen and the tax id's last 4.
import type { SignedInUser } from "../auth/signed-in-user";
import type { Account, BrokerAccounts, ContactChange, NewAccount } from "../broker/accounts";
import { BrokerError } from "../broker/errors";
import { findIn } from "../broker/pages";
import type { BrokerFunding } from "../broker/funding";
import type { BrokerTrading } from "../broker/trading";
import { compareDecimals } from "../decimal";
import { BoundedMap } from "../bounded-map";
import type { UserPool } from "../cognito/user-pool";
import { Failure } from "../failures";
import { log } from "../log";
import type { OpenAccount } from "../schemas/brokerage";
import type { AccountViewResponse } from "../schemas/brokerage-responses";
import { audited, auditEvent, outcomeOf, type Actor } from "./audit";
import { brokerMeaningOf, detailsRejected, inBrokerTerms } from "./broker-errors";
import type { NotifyOwner } from "./notices";
import { userProfile } from "./profile";
import type { StepUpCheck } from "./step-up";


/** The D1 row of a user. */
interface AccountRecord {
  sub: string;
  broker_account_id: string | null;
  account_number: string | null;
  status: string;
  tax_id_last4: string | null;
  /** 1 while the Broker API's contact may hold an email the user has since changed. */
  broker_email_stale: number;
  created_at: string;
  updated_at: string;
}

/** The status of a row whose Broker API call has not answered (or whose answer was never recorded). */
const PENDING = "PENDING";
const CLOSED = "ACCOUNT_CLOSED";
/** The row of a user whose login is being (or was) deleted: no opening takes it over. */
const LOGIN_DELETED = "LOGIN_DELETED";

/**
 * How long an isolate answers GET /platform/accounts/me from its copy: the status shown is at most
 * this old. Short, because a new account moves on (SUBMITTED -> ACTIVE) within seconds; every change
 * this API makes replaces the copy at once.
 */
const VIEW_TTL_MS = 5_000;

const views = new BoundedMap<string, { view: AccountViewResponse; expiresAt: number }>(10_000);

function remember(sub: string, view: AccountViewResponse, now: number): AccountViewResponse {
  views.set(sub, { view, expiresAt: now + VIEW_TTL_MS });
  return view;
}

/** What every brokerage flow works with: the database, the Broker API bound to the request, the clock. */
export interface Brokerage {
  db: D1Database;
  broker: BrokerAccounts;
  now: () => number;
}

function viewOf(account: Account, taxIdLast4: string | null): AccountViewResponse {
  return {
    id: account.id,
    account_number: account.account_number ?? null,
    status: account.status,
    created_at: account.created_at,
    given_name: account.identity?.given_name ?? null,
    family_name: account.identity?.family_name ?? null,
    email: account.contact?.email_address ?? null,
    tax_id_last4: taxIdLast4,
    agreements: (account.agreements ?? []).map(({ agreement, signed_at }) => ({ agreement, signed_at: signed_at ?? null })),
  };
}

/** What a user opening an account brings besides the body: their verified email and the address they consent from. */
interface Opener extends Actor {
  email: string;
  /** The address to stamp the agreements with (routes/brokerage.ts, agreementAddress). */
  address: string;
}

/** The email the Broker API contacts: the user's own, verified (requireVerifiedEmail checked it; this reads the same cached answer). */
async function verifiedEmail(pool: Pick<UserPool, "getUser">, user: SignedInUser): Promise<string> {
  const profile = await userProfile(pool, user, false);
  if (!profile.emailVerified || !profile.email) throw new Failure("email_not_verified");
  return profile.email;
}

const digitsOf = (taxId: string) => taxId.replace(/\D/g, "");

/** The Broker API's body: the email from Cognito, each agreement stamped with now and the user's address. */
function newAccount(request: OpenAccount, opener: Opener, signedAt: string): NewAccount {
  const digits = digitsOf(request.identity.tax_id);
  return {
    contact: { ...request.contact, email_address: opener.email },
    identity: { ...request.identity, tax_id: `${digits.slice(0, 3)}-${digits.slice(3, 5)}-${digits.slice(5)}` },
    disclosures: request.disclosures,
    agreements: request.agreements.map((agreement) => ({ agreement, signed_at: signedAt, ip_address: opener.address })),
  };
}

/**
 * A claim is live while its request may still be calling the Broker API (the request's budget) or
 * recording the answer (this margin); after that it has lapsed, and the next opening takes it over.
 */
const CLAIM_MARGIN_MS = 5_000;

/**
 * Claims the opening for `sub` in one statement: a new row (PENDING, no Broker account yet), or the
 * takeover of a PENDING row whose claim has lapsed (its request ended without recording an answer).
 * No row comes back when the user has an account, another request holds a live claim, or the login
 * is being deleted (holdForLoginDeletion): of ten concurrent openings, exactly one gets a row (the
 * primary key on sub decides).
 */
async function claimOpening(db: D1Database, sub: string, taxIdLast4: string, now: number, leaseMs: number): Promise<AccountRecord | null> {
  const at = new Date(now).toISOString();
  return db
    .prepare(
      `INSERT INTO brokerage_accounts (sub, status, tax_id_last4, created_at, updated_at) VALUES (?1, '${PENDING}', ?2, ?3, ?3)
       ON CONFLICT (sub) DO UPDATE SET updated_at = ?3 WHERE broker_account_id IS NULL AND status = '${PENDING}' AND updated_at < ?4
       RETURNING *`,
    )
    .bind(sub, taxIdLast4, at, new Date(now - leaseMs).toISOString())
    .first<AccountRecord>();
}

/** Lets the next opening take over at once: the outcome of the Broker call is unknown, so it searches first. */
const releaseClaim = (db: D1Database, sub: string) =>
  db.prepare(`UPDATE brokerage_accounts SET updated_at = '1970-01-01T00:00:00.000Z' WHERE sub = ? AND broker_account_id IS NULL`).bind(sub);

/** Nothing was created: the user may try again with other details. */
const dropClaim = (db: D1Database, sub: string) => db.prepare(`DELETE FROM brokerage_accounts WHERE sub = ? AND broker_account_id IS NULL`).bind(sub);

const recordAccount = (db: D1Database, sub: string, account: Account, taxIdLast4: string | null, now: number) =>
  db
    .prepare(
      `UPDATE brokerage_accounts SET broker_account_id = ?, account_number = ?, status = ?, tax_id_last4 = ?, updated_at = ?
       WHERE sub = ? AND broker_account_id IS NULL`,
    )
    .bind(account.id, account.account_number ?? null, account.status, taxIdLast4, new Date(now).toISOString(), sub);

/** Another user's row holds this Broker account: the unique key on broker_account_id said no. */
function isTakenAccount(error: unknown): boolean {
  return error instanceof Error && /UNIQUE constraint failed: brokerage_accounts\.broker_account_id/.test(error.message);
}

/**
 * Opens the user's one brokerage account. The row is written before the Broker API call, so that
 * racing requests make one account (the others: 409). An opening whose request ended between the
 * call and the record (a crash, a timeout) is completed by the next one, which takes over its lapsed
 * claim: it looks for the account by the email first, and records it instead of creating a second,
 * but only when its holder (names and date of birth) is the one submitted. A Broker API that says the
 * email is taken (409) to a fresh claim is another person's account: refused, never searched.
 */
export async function openAccount(
  brokerage: Brokerage,
  pool: Pick<UserPool, "getUser">,
  user: SignedInUser,
  consent: { requestId: string; address: string },
  request: OpenAccount,
  requestBudgetMs: number,
): Promise<AccountViewResponse> {
  const { db, broker, now } = brokerage;
  const opener: Opener = { sub: user.sub, requestId: consent.requestId, address: consent.address, email: await verifiedEmail(pool, user) };
  const started = now();
  const last4 = digitsOf(request.identity.tax_id).slice(-4);
  const claim = await claimOpening(db, opener.sub, last4, started, requestBudgetMs + CLAIM_MARGIN_MS);
  if (!claim) {
    await auditEvent(db, opener, "account.open", "brokerage_account_exists").run();
    throw new Failure("brokerage_account_exists");
  }
  // A takeover keeps the last 4 of the opening that may have reached the Broker API.
  const takenOver = claim.created_at !== claim.updated_at;
  let account: Account | undefined;
  let taxIdLast4 = takenOver ? claim.tax_id_last4 : last4;
  try {
    if (takenOver) account = await earlierOpening(broker, opener.email, request.identity);
    if (!account) {
      taxIdLast4 = last4;
      account = await createOrRecover(broker, newAccount(request, opener, new Date(started).toISOString()), takenOver);
    }
  } catch (error) {
    // A refusal created nothing: the claim goes. Anything else (no answer, a fault) may have: the
    // claim stays and lapses at once, so the next opening searches before it creates.
    const undo = error instanceof Failure && NOTHING_CREATED.has(error.code) ? dropClaim(db, opener.sub) : releaseClaim(db, opener.sub);
    await db.batch([undo, auditEvent(db, opener, "account.open", outcomeOf(error))]);
    throw error;
  }
  try {
    await db.batch([recordAccount(db, opener.sub, account, taxIdLast4, now()), auditEvent(db, opener, "account.open", "ok")]);
  } catch (error) {
    if (!isTakenAccount(error)) throw error;
    // The Broker API's account for this email is another user's (a login deleted after its account
    // was closed, whose email signed up again): never handed to this one.
    await db.batch([dropClaim(db, opener.sub), auditEvent(db, opener, "account.open", "account_details_rejected")]);
    throw emailTaken(error);
  }
  return remember(opener.sub, viewOf(account, taxIdLast4), now());
}

/** Failures that mean the Broker API created nothing. */
const NOTHING_CREATED = new Set(["account_details_rejected", "rate_limited", "misconfigured"]);

/** The email has an account at the Broker API that is not this opening's: nothing of it is shown. */
const emailTaken = (cause?: unknown) =>
  new Failure("account_details_rejected", { detail: "The broker already has an account for this email; open one with another email.", cause });

/** Whether the account found by the email is held by the person this opening names: compared exactly. */
function sameHolder(account: Account, identity: NewAccount["identity"]): boolean {
  const held = account.identity;
  return held?.given_name === identity.given_name && held.family_name === identity.family_name && held.date_of_birth === identity.date_of_birth;
}

/**
 * The account an earlier, unfinished try of this user's opening made, found by the email: none
 * (undefined), or 422 when the email's account has another holder (it was never this user's).
 */
async function earlierOpening(broker: BrokerAccounts, email: string, identity: NewAccount["identity"]): Promise<Account | undefined> {
  const found = await inBrokerTerms(broker.findByEmail(email));
  if (found && !sameHolder(found, identity)) throw emailTaken();
  return found;
}

/**
 * CreateAccount. Its 409 (the email has an account) to a fresh claim is another person's account:
 * 422. To a takeover it may be the earlier try's, made after our search: found and compared again.
 */
async function createOrRecover(broker: BrokerAccounts, account: NewAccount, takenOver: boolean): Promise<Account> {
  try {
    return await broker.create(account);
  } catch (error) {
    if (!(error instanceof BrokerError && error.httpStatus === 409)) throw brokerMeaningOf(error, { 400: detailsRejected, 422: detailsRejected });
    if (!takenOver) throw emailTaken(error);
  }
  const found = await earlierOpening(broker, account.contact.email_address, account.identity);
  if (!found) throw new Failure("upstream_error", { detail: "The Broker API failed to complete the request.", cause: new Error("CreateAccount said 409, ListAccounts found no account with the email") });
  return found;
}

/** The user's row with a Broker account, or 404. */
export async function recordOf(db: D1Database, sub: string): Promise<AccountRecord & { broker_account_id: string }> {
  const record = await db.prepare("SELECT * FROM brokerage_accounts WHERE sub = ?").bind(sub).first<AccountRecord>();
  if (!record?.broker_account_id) throw new Failure("brokerage_account_not_found");
  return record as AccountRecord & { broker_account_id: string };
}

/** Keeps D1's status the one last seen, written only when it changed. */
export async function noteStatus(db: D1Database, record: AccountRecord, account: Account, now: number): Promise<void> {
  if (record.status === account.status && record.account_number === (account.account_number ?? null)) return;
  await db
    .prepare("UPDATE brokerage_accounts SET status = ?, account_number = ?, updated_at = ? WHERE sub = ?")
    .bind(account.status, account.account_number ?? null, new Date(now).toISOString(), record.sub)
    .run();
}

/** The user's verified email as Cognito has it now (null when unverified): the only address the Broker API is sent. */
export type VerifiedEmailOf = () => Promise<string | null>;

export function verifiedEmailOf(pool: Pick<UserPool, "getUser">, user: SignedInUser): VerifiedEmailOf {
  return async () => {
    const profile = await userProfile(pool, user, false);
    return profile.emailVerified ? profile.email : null;
  };
}

const failureName = (error: unknown) => (error instanceof Failure ? error.code : error instanceof Error ? error.name : "unknown");

/** Sends the verified email to the Broker API's contact, then clears the mark: the account as it answers, or undefined (no verified email). */
async function sendEmail({ db, broker }: Brokerage, record: AccountRecord & { broker_account_id: string }, email: VerifiedEmailOf): Promise<Account | undefined> {
  const address = await email();
  if (!address) return undefined;
  const account = await inBrokerTerms(broker.updateEmail(record.broker_account_id, address));
  await db.prepare("UPDATE brokerage_accounts SET broker_email_stale = 0 WHERE sub = ?").bind(record.sub).run();
  return account;
}

/**
 * After the user verified a (new) email: the Broker API's contact follows. D1 marks it stale first,
 * so that a failure, or a request that ends half-way, is retried by the next account view. Never
 * fails the verification: a failure is logged. A closed account is left as it is.
 */
export async function followEmailChange(brokerage: Brokerage, sub: string, email: VerifiedEmailOf, requestId: string): Promise<void> {
  try {
    const record = await brokerage.db
      .prepare(`UPDATE brokerage_accounts SET broker_email_stale = 1 WHERE sub = ? AND broker_account_id IS NOT NULL AND status <> '${CLOSED}' RETURNING *`)
      .bind(sub)
      .first<AccountRecord & { broker_account_id: string }>();
    if (!record) return;
    views.delete(sub);
    await sendEmail(brokerage, record, email);
  } catch (error) {
    log("warn", "broker contact email not updated; the next account view retries", { error: failureName(error) }, { requestId });
  }
}

/**
 * The account view with its current status: from this isolate's copy of the last VIEW_TTL_MS, else
 * from the Broker API. An email change the Broker API has not taken yet is sent first (a failure is
 * logged, and the view answers all the same).
 */
export async function accountView(brokerage: Brokerage, actor: Actor, email: VerifiedEmailOf): Promise<AccountViewResponse> {
  const { db, broker, now } = brokerage;
  return audited(db, actor, "account.read", async () => {
    const cached = views.get(actor.sub);
    if (cached && cached.expiresAt > now()) return cached.view;
    const record = await recordOf(db, actor.sub);
    let account: Account | undefined;
    if (record.broker_email_stale) {
      account = await sendEmail(brokerage, record, email).catch((error: unknown) => {
        log("warn", "broker contact email not updated; the next account view retries", { error: failureName(error) }, { requestId: actor.requestId, correlationId: actor.correlationId });
        return undefined;
      });
    }
    account ??= await inBrokerTerms(broker.get(record.broker_account_id));
    await noteStatus(db, record, account, now());
    return remember(actor.sub, viewOf(account, record.tax_id_last4), now());
  });
}

/** The trading account (cash, buying power, equity...), never cached: money moves. */
export async function tradingAccount({ db, broker }: Brokerage, actor: Actor) {
  return audited(db, actor, "account.trading.read", async () => {
    const record = await recordOf(db, actor.sub);
    return inBrokerTerms(broker.trading(record.broker_account_id));
  });
}

/**
 * Contact details only: the identity, tax fields and the email never reach the Broker API from here.
 * Where statements and confirmations go is a change of control: after the step up, and the account's
 * email of record is told (never the new address or phone).
 */
export async function changeContact({ db, broker, now }: Brokerage, actor: Actor, contact: ContactChange, stepUp: StepUpCheck, notify: NotifyOwner): Promise<AccountViewResponse> {
  return audited(db, actor, "account.update", async () => {
    const record = await recordOf(db, actor.sub);
    await stepUp();
    views.delete(actor.sub);
    const account = await inBrokerTerms(broker.updateContact(record.broker_account_id, contact), { 400: detailsRejected, 422: detailsRejected });
    notify(account.contact?.email_address ?? null, { kind: "contact_changed" });
    await noteStatus(db, record, account, now());
    return remember(actor.sub, viewOf(account, record.tax_id_last4), now());
  });
}

/** The Broker API's reads of what an account holds and is owed (positions, orders, transfers). */
export interface Holdings {
  funding: Pick<BrokerFunding, "allTransfers">;
  trading: Pick<BrokerTrading, "positions" | "orders">;
}

/** A transfer in one of these states moves no more money; any other may still (RETURNED can follow COMPLETE, and is final itself). */
const FINAL_TRANSFER = new Set(["COMPLETE", "CANCELED", "REJECTED", "RETURNED", "EXPIRED"]);

/** Whether any of the account's transfers is not final: every page, until one is found. */
async function transferInFlight(funding: Holdings["funding"], accountId: string): Promise<boolean> {
  const inFlight = await inBrokerTerms(findIn(funding.allTransfers(accountId), (transfer) => !FINAL_TRANSFER.has(transfer.status)));
  return inFlight !== undefined;
}

/** What keeps the account from closing, in the user's words: nothing when it holds nothing and is owed nothing. */
async function whatRemains(broker: BrokerAccounts, { funding, trading }: Holdings, accountId: string): Promise<string[]> {
  const [positions, orders, account, inFlight] = await Promise.all([
    inBrokerTerms(trading.positions(accountId)),
    inBrokerTerms(trading.orders(accountId, { status: "open", limit: 1 })),
    inBrokerTerms(broker.trading(accountId)),
    transferInFlight(funding, accountId),
  ]);
  return [
    positions.length > 0 && "it holds positions (sell them)",
    orders.length > 0 && "it has open orders (cancel them or let them finish)",
    compareDecimals(account.cash, "0") !== 0 && "it holds cash (withdraw it)",
    inFlight && "a deposit or withdrawal is still in progress (wait until it completes, or cancel it)",
  ].filter((part): part is string => typeof part === "string");
}

/**
 * Closes the account (the Broker API keeps its record, ACCOUNT_CLOSED), once the step up has proved
 * it is the user, and only when it holds nothing and is owed nothing: no positions, no open orders,
 * no cash, no transfer that is not final. Else 409 naming what remains. A refused close of an
 * account that is closed already is no failure.
 */
export async function closeAccount({ db, broker, now }: Brokerage, holdings: Holdings, actor: Actor, stepUp: StepUpCheck): Promise<AccountViewResponse> {
  return audited(db, actor, "account.close", async () => {
    await stepUp();
    views.delete(actor.sub);
    const record = await recordOf(db, actor.sub);
    if (record.status !== CLOSED) {
      const remaining = await whatRemains(broker, holdings, record.broker_account_id);
      if (remaining.length > 0) throw new Failure("brokerage_account_not_closable", { detail: `The brokerage account cannot be closed yet: ${remaining.join("; ")}.` });
    }
    let refusal: unknown;
    try {
      await broker.close(record.broker_account_id);
    } catch (error) {
      if (!(error instanceof BrokerError && error.httpStatus < 500 && error.httpStatus !== 401 && error.httpStatus !== 429)) throw brokerMeaningOf(error);
      refusal = error;
    }
    const account = await inBrokerTerms(broker.get(record.broker_account_id));
    await noteStatus(db, record, account, now());
    if (refusal && account.status !== CLOSED) throw new Failure("brokerage_account_not_closable", { cause: refusal });
    return remember(actor.sub, viewOf(account, record.tax_id_last4), now());
  });
}

/**
 * For deleting the login, after the step up, under the lease an opening takes (the user's row): a
 * row of its own when the user has none, which no opening takes over, so an opening that comes later
 * is refused (409) and never reaches the Broker API. Refused (409) while the user has a row that is
 * not closed: an opening in flight, or one whose outcome is unknown (PENDING: its account may exist),
 * or an account; a broker must keep its records, and the login must not vanish while money is held.
 * Returns what gives the row back when the deletion fails (the user may open an account then).
 */
export async function holdForLoginDeletion(db: D1Database, sub: string, now: number): Promise<() => Promise<unknown>> {
  const at = new Date(now).toISOString();
  const held = await db
    .prepare(`INSERT INTO brokerage_accounts (sub, status, created_at, updated_at) VALUES (?1, '${LOGIN_DELETED}', ?2, ?2) ON CONFLICT (sub) DO NOTHING RETURNING sub`)
    .bind(sub, at)
    .first();
  if (held) return () => db.prepare(`DELETE FROM brokerage_accounts WHERE sub = ? AND status = '${LOGIN_DELETED}' AND broker_account_id IS NULL`).bind(sub).run();
  const record = await db.prepare("SELECT status FROM brokerage_accounts WHERE sub = ?").bind(sub).first<{ status: string }>();
  // A closed account's row (or an earlier deletion's) keeps every later opening out already.
  if (record?.status === CLOSED || record?.status === LOGIN_DELETED) return async () => undefined;
  throw new Failure("brokerage_account_open");
}
