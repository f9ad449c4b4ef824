// Bank links and ACH transfers, always of the signed-in user's own brokerage account: its Broker API
// id comes from D1 by the token's `sub`, and every id the client sends is looked up under it, so
// another account's id is simply not found. Creates run once per Idempotency-Key
// (services/idempotency.ts); a create whose outcome is unknown is looked for before it is repeated.
import type { BrokerAccounts } from "../broker/accounts";
import type { BrokerFunding, NewRelationship, Relationship, Transfer } from "../broker/funding";
import type { BrokerTrading } from "../broker/trading";
import { BROKER_API } from "../broker/errors";
import { Failure } from "../failures";
import { PlaidError, type PlaidClient } from "../plaid/client";
import { compareDecimals } from "../decimal";
import { unusableAnswer } from "../upstream";
import { audited, auditEvent, recordFailure, type Actor, type AuditAction, type AuditDetails } from "./audit";
import { inBrokerTerms } from "./broker-errors";
import { noteStatus, recordOf } from "./brokerage";
import type { Claim, IdempotencyKeys, KeyUse, StoredAnswer } from "./idempotency";
import type { StepUpCheck } from "./step-up";

/** What every funding and trading flow works with: D1, the Broker API and Plaid bound to the request, the keys, the clock. */
export interface MoneyDesk {
  db: D1Database;
  accounts: BrokerAccounts;
  funding: BrokerFunding;
  trading: BrokerTrading;
  /** Plaid, or not_configured (bank details work without it). */
  plaid: () => PlaidClient;
  keys: IdempotencyKeys;
  now: () => number;
}

const ACTIVE = "ACTIVE";

/** A page of a list, and where the next one begins (null at the end). */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export const PAGE_SIZE = 50;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id from the client that the Broker API cannot have made answers as an unknown one. */
export function knownShape(id: string, notFound: "bank_link_not_found" | "transfer_not_found" | "order_not_found"): string {
  if (!UUID.test(id)) throw new Failure(notFound);
  return id;
}

/**
 * The user's Broker account id, once it is ACTIVE; else 409 naming its status. D1's status is the one
 * last seen: ACTIVE there costs no call. Another status is asked of the Broker API (the account may
 * have moved on since) and noted.
 */
export async function activeAccount(desk: MoneyDesk, sub: string): Promise<string> {
  const record = await recordOf(desk.db, sub);
  if (record.status === ACTIVE) return record.broker_account_id;
  const account = await inBrokerTerms(desk.accounts.get(record.broker_account_id));
  await noteStatus(desk.db, record, account, desk.now());
  if (account.status !== ACTIVE) throw new Failure("brokerage_account_not_active", { detail: `The brokerage account is ${account.status}, not ACTIVE.` });
  return record.broker_account_id;
}

/** An answer of a create, as sent and as replayed: 201 and the view's exact JSON. */
export type Created = StoredAnswer & { replayed: boolean };

/**
 * A create of the user's ACTIVE account, once per key: the account first (before any id is looked
 * up), then the key. A replay answers the stored bytes with no Broker call; every request writes its
 * audit row (a replay as "replayed").
 */
export async function createOnce<V extends { id: string }>(
  desk: MoneyDesk,
  actor: Actor,
  use: KeyUse,
  action: AuditAction,
  details: AuditDetails,
  create: (accountId: string, claim: Claim) => Promise<V>,
): Promise<Created> {
  let answer: Created;
  try {
    const accountId = await activeAccount(desk, actor.sub);
    const created = async (claim: Claim) => {
      const view = await create(accountId, claim);
      return { status: 201, body: JSON.stringify(view), resourceId: view.id };
    };
    answer = await desk.keys.once(use, created, auditEvent(desk.db, actor, action, "ok", details));
  } catch (error) {
    await recordFailure(desk.db, actor, action, error, details);
    throw error;
  }
  if (answer.replayed) await auditEvent(desk.db, actor, action, "replayed", details).run();
  return answer;
}

/** Whether another key of the user's already recorded this Broker object (then it is not this key's). */
async function recordedByAnotherKey(db: D1Database, use: KeyUse, resourceId: string): Promise<boolean> {
  const row = await db.prepare("SELECT 1 FROM idempotency_keys WHERE sub = ? AND resource_id = ? AND key <> ?").bind(use.sub, resourceId, use.key).first();
  return row !== null;
}

/** Our clock and the Broker API's may differ this much: a create is looked for from this long before the first try. */
const CLOCK_SKEW_MS = 5_000;

const createdSince = (createdAt: string, since: string) => Date.parse(createdAt) >= Date.parse(since) - CLOCK_SKEW_MS;

// ---- bank links ----

/** Bank details typed in by the user (the routing number's checksum already checked). */
export interface BankDetails {
  account_owner_name: string;
  bank_account_type: "CHECKING" | "SAVINGS";
  bank_account_number: string;
  bank_routing_number: string;
  nickname?: string;
}

/** What Plaid Link gave the browser. */
export interface PlaidBankLink {
  plaid_public_token: string;
  plaid_account_id: string;
}

export type BankLinkRequest = BankDetails | PlaidBankLink;

export interface BankLinkView {
  id: string;
  status: string;
  nickname: string | null;
  bank_account_type: string | null;
  account_number_last4: string | null;
  created_at: string;
}

function bankLinkView(relationship: Relationship): BankLinkView {
  return {
    id: relationship.id,
    status: relationship.status,
    nickname: relationship.nickname ?? null,
    bank_account_type: relationship.bank_account_type || null,
    account_number_last4: relationship.account_number_last4,
    created_at: relationship.created_at,
  };
}

/** Plaid's refusals in the user's terms; its key refused is ours to fix. Never a token or Plaid's message. */
function plaidMeaningOf(error: unknown): unknown {
  if (!(error instanceof PlaidError)) return error;
  if (error.errorCode === "INVALID_API_KEYS") return new Failure("misconfigured", { cause: error });
  if (error.httpStatus === 429) return new Failure("rate_limited", { detail: "Plaid is throttling requests; retry later.", headers: { "retry-after": "60" }, cause: error });
  if (error.httpStatus >= 500) return new Failure("upstream_error", { detail: "Plaid failed to complete the request.", cause: error });
  return new Failure("bank_link_rejected", { cause: error });
}

/**
 * The Plaid flow: the public token for the item's access token, that for an Alpaca processor token.
 * Both stay in this function: neither is logged, stored or answered.
 */
async function processorToken(plaid: PlaidClient, link: PlaidBankLink): Promise<string> {
  try {
    const accessToken = await plaid.exchangePublicToken(link.plaid_public_token);
    return await plaid.processorToken(accessToken, link.plaid_account_id);
  } catch (error) {
    throw plaidMeaningOf(error);
  }
}

const RELATIONSHIP_REFUSED = { 400: "bank_link_rejected", 403: "bank_link_rejected", 409: "bank_link_exists", 422: "bank_link_rejected" } as const;

/**
 * Links a bank account: by its details, or by Plaid. A retry after an unknown outcome first looks for
 * a link made since the first try (the Broker API allows one active link, so it is the one).
 */
export async function createBankLink(desk: MoneyDesk, actor: Actor, use: KeyUse, request: BankLinkRequest): Promise<Created> {
  return createOnce(desk, actor, use, "bank_link.create", { idempotencyKey: use.key }, async (accountId, claim) => {
    if (claim.kind === "resumed") {
      const links = await inBrokerTerms(desk.funding.relationships(accountId));
      for (const link of links) {
        if (createdSince(link.created_at, claim.since) && !(await recordedByAnotherKey(desk.db, use, link.id))) return bankLinkView(link);
      }
    }
    const relationship: NewRelationship = "plaid_public_token" in request ? { processor_token: await processorToken(desk.plaid(), request) } : request;
    return bankLinkView(await inBrokerTerms(desk.funding.createRelationship(accountId, relationship), RELATIONSHIP_REFUSED));
  });
}

export async function bankLinks(desk: MoneyDesk, actor: Actor): Promise<BankLinkView[]> {
  return audited(desk.db, actor, "bank_link.list", async () => {
    const accountId = await activeAccount(desk, actor.sub);
    return (await inBrokerTerms(desk.funding.relationships(accountId))).map(bankLinkView);
  });
}

/** After the step up: money could leave to a bank the thief linked next. */
export async function deleteBankLink(desk: MoneyDesk, actor: Actor, id: string, stepUp: StepUpCheck): Promise<void> {
  return audited(desk.db, actor, "bank_link.delete", async () => {
    const accountId = await activeAccount(desk, actor.sub);
    await stepUp();
    await inBrokerTerms(desk.funding.deleteRelationship(accountId, knownShape(id, "bank_link_not_found")), { 400: "bank_link_not_found", 404: "bank_link_not_found" });
  });
}

/** A link token for Plaid Link in the browser, for this user (`client_user_id` is the sub). */
export async function plaidLinkToken(desk: Pick<MoneyDesk, "db" | "plaid">, actor: Actor) {
  return audited(desk.db, actor, "plaid.link_token", async () => {
    try {
      return await desk.plaid().linkToken(actor.sub);
    } catch (error) {
      throw plaidMeaningOf(error);
    }
  });
}

// ---- transfers ----

export interface TransferView {
  id: string;
  status: string;
  amount: string;
  direction: "INCOMING" | "OUTGOING";
  created_at: string;
}

export interface TransferRequest {
  bank_link_id: string;
  /** A positive decimal string within MAX_TRANSFER_AMOUNT. */
  amount: string;
  direction: "INCOMING" | "OUTGOING";
}

const transferView = ({ id, status, amount, direction, created_at }: Transfer): TransferView => ({ id, status, amount, direction, created_at });

/** How far back a reconciling retry looks among the account's transfers. */
const RECONCILE_PAGES = 5;
const RECONCILE_PAGE_SIZE = 100;

/**
 * The transfer an earlier try with this key made, if the Broker API has it: same bank link, amount
 * and direction, created since that try, and recorded by no other key of the user's.
 */
async function transferMadeSince(desk: MoneyDesk, accountId: string, use: KeyUse, request: TransferRequest, since: string): Promise<Transfer | undefined> {
  for (let page = 0; page < RECONCILE_PAGES; page++) {
    const transfers = await inBrokerTerms(desk.funding.transfers(accountId, { limit: RECONCILE_PAGE_SIZE, offset: page * RECONCILE_PAGE_SIZE, direction: request.direction }));
    // Every transfer of the page is looked at: the Broker API does not document the list's order.
    for (const transfer of transfers) {
      if (!createdSince(transfer.created_at, since)) continue;
      const same = transfer.relationship_id === request.bank_link_id && transfer.direction === request.direction && compareDecimals(transfer.amount, request.amount) === 0;
      if (same && !(await recordedByAnotherKey(desk.db, use, transfer.id))) return transfer;
    }
    if (transfers.length < RECONCILE_PAGE_SIZE) return undefined;
  }
  return undefined;
}

/**
 * A deposit or, after the step up, a withdrawal of at most the cash withdrawable (checked before the
 * Broker call). The Broker API has no idempotency for transfers: a retry after an unknown outcome
 * looks for the first try's transfer and records it, and only calls when there is none.
 */
export async function createTransfer(desk: MoneyDesk, actor: Actor, use: KeyUse, request: TransferRequest, stepUp: StepUpCheck): Promise<Created> {
  const outgoing = request.direction === "OUTGOING";
  return createOnce(desk, actor, use, "transfer.create", { idempotencyKey: use.key, amount: request.amount }, async (accountId, claim) => {
    if (outgoing) await stepUp();
    if (claim.kind === "resumed") {
      const made = await transferMadeSince(desk, accountId, use, request, claim.since);
      if (made) return transferView(made);
    }
    const links = await inBrokerTerms(desk.funding.relationships(accountId));
    if (!links.some((link) => link.id === request.bank_link_id)) throw new Failure("bank_link_not_found");
    if (outgoing) {
      const { cash_withdrawable } = await inBrokerTerms(desk.accounts.trading(accountId));
      if (cash_withdrawable === undefined) throw unusableAnswer(BROKER_API, "the trading account has no cash_withdrawable");
      if (compareDecimals(request.amount, cash_withdrawable) > 0) throw new Failure("insufficient_funds");
    }
    const refused = outgoing ? "insufficient_funds" : "transfer_rejected";
    const made = desk.funding.createTransfer(accountId, { relationshipId: request.bank_link_id, amount: request.amount, direction: request.direction });
    return transferView(await inBrokerTerms(made, { 400: "transfer_rejected", 403: refused, 422: "transfer_rejected" }));
  });
}

/** The cursor of a transfers page: the offset of its first transfer (the Broker API pages them so). */
function offsetOf(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  if (!/^\d{1,6}$/.test(cursor)) throw new Failure("validation_failed", { errors: [{ field: "cursor", message: "cursor is not a cursor of this list" }] });
  return Number(cursor);
}

export async function transfers(desk: MoneyDesk, actor: Actor, cursor: string | undefined): Promise<Page<TransferView>> {
  return audited(desk.db, actor, "transfer.list", async () => {
    const offset = offsetOf(cursor);
    const accountId = await activeAccount(desk, actor.sub);
    // One more than a page: whether there is a next one.
    const found = await inBrokerTerms(desk.funding.transfers(accountId, { limit: PAGE_SIZE + 1, offset }));
    return { items: found.slice(0, PAGE_SIZE).map(transferView), next_cursor: found.length > PAGE_SIZE ? String(offset + PAGE_SIZE) : null };
  });
}

/** The Broker API has no GET of one transfer: it is looked for among the account's own, newest first. */
export async function transfer(desk: MoneyDesk, actor: Actor, id: string): Promise<TransferView> {
  return audited(desk.db, actor, "transfer.read", async () => {
    const accountId = await activeAccount(desk, actor.sub);
    knownShape(id, "transfer_not_found");
    for (let page = 0; page < RECONCILE_PAGES; page++) {
      const found = await inBrokerTerms(desk.funding.transfers(accountId, { limit: RECONCILE_PAGE_SIZE, offset: page * RECONCILE_PAGE_SIZE }));
      const match = found.find((candidate) => candidate.id === id);
      if (match) return transferView(match);
      if (found.length < RECONCILE_PAGE_SIZE) break;
    }
    throw new Failure("transfer_not_found");
  });
}

export async function cancelTransfer(desk: MoneyDesk, actor: Actor, id: string): Promise<void> {
  return audited(desk.db, actor, "transfer.cancel", async () => {
    const accountId = await activeAccount(desk, actor.sub);
    await inBrokerTerms(desk.funding.cancelTransfer(accountId, knownShape(id, "transfer_not_found")), {
      404: "transfer_not_found",
      409: "transfer_not_cancellable",
      422: "transfer_not_cancellable",
    });
  });
}
