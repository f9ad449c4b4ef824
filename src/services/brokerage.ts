// Brokerage accounts: which Broker API account belongs to which user (D1, by the token's `sub`),
// opening one exactly once however many requests race, and the one view of it. The Broker API is
// the system of record for personal data; D1 keeps ids, the status last seen and the tax id's last 4.
import type { SignedInActor } from "../auth/signed-in-user";
import type { Account, BrokerAccounts, ContactChange, NewAccount } from "../broker/accounts";
import { BrokerError } from "../broker/errors";
import { findIn } from "../broker/pages";
import { compareDecimals } from "../decimal";
import { BoundedMap } from "../bounded-map";
import { Failure } from "../failures";
import { log } from "../log";
import { BrokerageAccountStore, CLOSED, LOGIN_DELETED, type AccountRow, type OwnedAccountRow } from "../stores/brokerage-accounts";
import type { Broker, Deps, LoginDeps } from "../deps";
import { leaseMsFor, releaseAfter } from "../stores/lease";
import type { OpenAccount } from "../schemas/brokerage";
import type { AccountStatusResponse, AccountViewResponse } from "../schemas/brokerage-responses";
import { audited, failureRow, successRow, type Actor } from "./audit";
import { brokerMeaningOf, detailsRejected, withBrokerFailures } from "./broker-errors";
import { accountStatusOfRow } from "./ledger";
import { userProfile } from "./profile";
import type { Proof } from "./step-up";


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

/** What every brokerage flow works with: the stores, the Broker API of the invocation, the clock. */
export type Brokerage = Pick<Deps, "stores" | "broker" | "now">;

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

/** An opening: the body, the address the user consents from (routes/brokerage.ts agreementAddress), and their verified email (the route's verifiedEmail rule, routes/rules.ts, checked it; this reads the same cached answer). */
export interface Opening {
  request: OpenAccount;
  address: string;
  verifiedEmail: VerifiedEmailOf;
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
 * Opens the user's one brokerage account. The row is written before the Broker API call, so that
 * racing requests make one account (the others: 409). An opening whose request ended between the
 * call and the record (a crash, a timeout) is completed by the next one, which takes over its lapsed
 * lease: it looks for the account by the email first, and records it instead of creating a second,
 * but only when its holder (names and date of birth) is the one submitted. A Broker API that says the
 * email is taken (409) to a fresh opening is another person's account: refused, never searched.
 */
export async function openAccount(deps: Brokerage & Pick<Deps, "requestBudgetMs">, actor: Actor, input: Opening): Promise<AccountViewResponse> {
  const { stores, now } = deps;
  const broker = deps.broker.accounts;
  const { accounts, audit } = stores;
  const { request } = input;
  const email = await input.verifiedEmail();
  if (!email) throw new Failure("email_not_verified");
  const opener: Opener = { ...actor, address: input.address, email };
  const started = now();
  const last4 = digitsOf(request.identity.tax_id).slice(-4);
  const held = await accounts.holdOpening(opener.sub, last4, started, leaseMsFor(deps.requestBudgetMs));
  if (!held) {
    const refused = new Failure("brokerage_account_exists");
    await failureRow(audit, opener, "account.open", refused).run();
    throw refused;
  }
  // A takeover keeps the last 4 of the opening that may have reached the Broker API.
  const takenOver = held.created_at !== held.updated_at;
  const lease = accounts.openingLease(opener.sub, held.updated_at);
  let account: Account | undefined;
  let taxIdLast4 = takenOver ? held.tax_id_last4 : last4;
  try {
    if (takenOver) account = await earlierOpening(broker, opener.email, request.identity);
    if (!account) {
      taxIdLast4 = last4;
      account = await createOrRecover(broker, newAccount(request, opener, new Date(started).toISOString()), takenOver);
    }
  } catch (error) {
    // A refusal created nothing: the lease is freed. Anything else (no answer, a fault) may have: the
    // lease lapses at once, so the next opening searches before it creates.
    await accounts.batch([releaseAfter(lease, error), failureRow(audit, opener, "account.open", error)]);
    throw error;
  }
  let opened: D1Result | undefined;
  try {
    [opened] = await accounts.batch([accounts.opened(opener.sub, held.updated_at, account, taxIdLast4, now()), successRow(audit, opener, "account.open", "ok", {}, true)]);
  } catch (error) {
    if (!BrokerageAccountStore.isTakenAccount(error)) throw error;
    // The Broker API's account for this email is another user's (a login deleted after its account
    // was closed, whose email signed up again): never handed to this one.
    const refused = emailTaken(error);
    await accounts.batch([lease.free(), failureRow(audit, opener, "account.open", refused)]);
    throw refused;
  }
  if (opened!.meta.changes !== 1) {
    // This request's lease lapsed and a later opening took it over: that one records the account.
    const lost = new Failure("request_in_progress", { headers: { "retry-after": "1" } });
    await failureRow(audit, opener, "account.open", lost).run();
    throw lost;
  }
  return remember(opener.sub, viewOf(account, taxIdLast4), now());
}

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
  const found = await withBrokerFailures(broker.findByEmail(email));
  if (found && !sameHolder(found, identity)) throw emailTaken();
  return found;
}

/**
 * CreateAccount. Its 409 (the email has an account) to a fresh opening is another person's account:
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
export async function accountRowOf(accounts: BrokerageAccountStore, sub: string): Promise<OwnedAccountRow> {
  const row = await accounts.rowOf(sub);
  if (!row?.broker_account_id) throw new Failure("brokerage_account_not_found");
  return row as OwnedAccountRow;
}

/** Keeps D1's status the one last seen, written only when it changed. */
export async function noteStatus(accounts: BrokerageAccountStore, row: AccountRow, account: Account, now: number): Promise<void> {
  if (row.status === account.status && row.account_number === (account.account_number ?? null)) return;
  await accounts.noteStatus(row.sub, account.status, account.account_number ?? null, now);
}

/** The user's verified email as Cognito has it now (null when unverified): the only address the Broker API is sent. */
export type VerifiedEmailOf = () => Promise<string | null>;

export function verifiedEmailOf({ cognito }: Pick<LoginDeps, "cognito">, { user }: Pick<SignedInActor, "user">): VerifiedEmailOf {
  return async () => {
    const profile = await userProfile(cognito, user, false);
    return profile.emailVerified ? profile.email : null;
  };
}

const failureName = (error: unknown) => (error instanceof Failure ? error.code : error instanceof Error ? error.name : "unknown");

/** Sends the verified email to the Broker API's contact, then clears the mark: the account as it answers, or undefined (no verified email). */
async function sendEmail({ stores, broker }: Brokerage, row: OwnedAccountRow, email: VerifiedEmailOf): Promise<Account | undefined> {
  const address = await email();
  if (!address) return undefined;
  const account = await withBrokerFailures(broker.accounts.updateEmail(row.broker_account_id, address));
  await stores.accounts.emailSent(row.sub);
  return account;
}

/**
 * After the user verified a (new) email: the Broker API's contact follows. D1 marks it stale first,
 * so that a failure, or a request that ends half-way, is retried by the next account view. Never
 * fails the verification: a failure is logged. A closed account is left as it is.
 */
export async function followEmailChange(brokerage: Brokerage, actor: Actor, email: VerifiedEmailOf): Promise<void> {
  try {
    const row = await brokerage.stores.accounts.markEmailStale(actor.sub);
    if (!row) return;
    views.delete(actor.sub);
    await sendEmail(brokerage, row, email);
  } catch (error) {
    log("warn", "broker contact email not updated; the next account view retries", { error: failureName(error) }, { requestId: actor.id, correlationId: actor.correlationId });
  }
}

/**
 * The account view with its current status: from this isolate's copy of the last VIEW_TTL_MS, else
 * from the Broker API. An email change the Broker API has not taken yet is sent first (a failure is
 * logged, and the view answers all the same).
 */
export async function accountView(brokerage: Brokerage, actor: Actor, email: VerifiedEmailOf): Promise<AccountViewResponse> {
  const { stores, broker, now } = brokerage;
  return audited(stores.audit, actor, "account.read", async () => {
    const cached = views.get(actor.sub);
    if (cached && cached.expiresAt > now()) return cached.view;
    const row = await accountRowOf(stores.accounts, actor.sub);
    let account: Account | undefined;
    if (row.broker_email_stale) {
      account = await sendEmail(brokerage, row, email).catch((error: unknown) => {
        log("warn", "broker contact email not updated; the next account view retries", { error: failureName(error) }, { requestId: actor.id, correlationId: actor.correlationId });
        return undefined;
      });
    }
    account ??= await withBrokerFailures(broker.accounts.get(row.broker_account_id));
    await noteStatus(stores.accounts, row, account, now());
    return remember(actor.sub, viewOf(account, row.tax_id_last4), now());
  });
}

/** The account's status and blocked flags from D1 alone, which the Broker API's events keep current (issue 23): no Broker call. */
export async function accountStatus({ stores }: Pick<Deps, "stores">, actor: Actor): Promise<AccountStatusResponse> {
  return audited(stores.audit, actor, "account.status.read", async () => accountStatusOfRow(await accountRowOf(stores.accounts, actor.sub)));
}

/** The trading account (cash, buying power, equity...), never cached: money moves. */
export async function tradingAccount({ stores, broker }: Brokerage, actor: Actor) {
  return audited(stores.audit, actor, "account.trading.read", async () => {
    const row = await accountRowOf(stores.accounts, actor.sub);
    return withBrokerFailures(broker.accounts.trading(row.broker_account_id));
  });
}

/**
 * Contact details only: the identity, tax fields and the email never reach the Broker API from here.
 * Where statements and confirmations go is a change of control: after the step up, and the account's
 * email of record is told (never the new address or phone).
 */
export async function changeContact(
  { stores, broker, now, stepUp, notify }: Brokerage & Pick<Deps, "stepUp" | "notify">,
  actor: Actor,
  { contact, proof }: { contact: ContactChange; proof: Proof },
): Promise<AccountViewResponse> {
  return audited(stores.audit, actor, "account.update", async () => {
    const row = await accountRowOf(stores.accounts, actor.sub);
    await stepUp(proof)();
    views.delete(actor.sub);
    const account = await withBrokerFailures(broker.accounts.updateContact(row.broker_account_id, contact), { 400: detailsRejected, 422: detailsRejected });
    notify(account.contact?.email_address ?? null, { kind: "contact_changed" });
    await noteStatus(stores.accounts, row, account, now());
    return remember(actor.sub, viewOf(account, row.tax_id_last4), now());
  });
}

/** A transfer in one of these states moves no more money; any other may still (RETURNED can follow COMPLETE, and is final itself). */
const FINAL_TRANSFER = new Set(["COMPLETE", "CANCELED", "REJECTED", "RETURNED", "EXPIRED"]);

/** Whether any of the account's transfers is not final: every page, until one is found. */
async function transferInFlight(funding: Broker["funding"], accountId: string): Promise<boolean> {
  const inFlight = await withBrokerFailures(findIn(funding.allTransfers(accountId), (transfer) => !FINAL_TRANSFER.has(transfer.status)));
  return inFlight !== undefined;
}

/** What keeps the account from closing, in the user's words: nothing when it holds nothing and is owed nothing. */
async function whatRemains({ accounts, funding, trading }: Broker, accountId: string): Promise<string[]> {
  const [positions, orders, account, inFlight] = await Promise.all([
    withBrokerFailures(trading.positions(accountId)),
    withBrokerFailures(trading.orders(accountId, { status: "open", limit: 1 })),
    withBrokerFailures(accounts.trading(accountId)),
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
export async function closeAccount({ stores, broker, now, stepUp }: Brokerage & Pick<Deps, "stepUp">, actor: Actor, proof: Proof): Promise<AccountViewResponse> {
  return audited(stores.audit, actor, "account.close", async () => {
    await stepUp(proof)();
    views.delete(actor.sub);
    const row = await accountRowOf(stores.accounts, actor.sub);
    if (row.status !== CLOSED) {
      const remaining = await whatRemains(broker, row.broker_account_id);
      if (remaining.length > 0) throw new Failure("brokerage_account_not_closable", { detail: `The brokerage account cannot be closed yet: ${remaining.join("; ")}.` });
    }
    let refusal: unknown;
    try {
      await broker.accounts.close(row.broker_account_id);
    } catch (error) {
      if (!(error instanceof BrokerError && error.httpStatus < 500 && error.httpStatus !== 401 && error.httpStatus !== 429)) throw brokerMeaningOf(error);
      refusal = error;
    }
    const account = await withBrokerFailures(broker.accounts.get(row.broker_account_id));
    await noteStatus(stores.accounts, row, account, now());
    if (refusal && account.status !== CLOSED) throw new Failure("brokerage_account_not_closable", { cause: refusal });
    return remember(actor.sub, viewOf(account, row.tax_id_last4), now());
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
export async function holdForLoginDeletion(accounts: BrokerageAccountStore, sub: string, now: number): Promise<() => Promise<unknown>> {
  if (await accounts.holdForLoginDeletion(sub, now)) return () => accounts.releaseLoginDeletion(sub);
  const row = await accounts.rowOf(sub);
  // A closed account's row (or an earlier deletion's) keeps every later opening out already.
  if (row?.status === CLOSED || row?.status === LOGIN_DELETED) return async () => undefined;
  throw new Failure("brokerage_account_open");
}
