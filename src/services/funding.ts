// Bank links and ACH transfers, always of the signed-in user's own brokerage account: its Broker API
// id comes from D1 by the token's `sub`, and every id the client sends is looked up under it, so
// another account's id is simply not found. Creates run once per Idempotency-Key
// (services/idempotency.ts); a create whose outcome is unknown is asked of the Broker API by what
// identifies it (a transfer's Broker Idempotency-Key, a bank link's details) before it is repeated.
import type { BrokerRelationship } from "../broker/funding";
import { BROKER_API, type BrokerError } from "../broker/errors";
import { Failure } from "../failures";
import { PlaidError } from "../plaid/client";
import { compareDecimals } from "../decimal";
import type { JsonText } from "../json";
import type { BankDetails, BankLinkRequest, PlaidBankLink, TransferRequest } from "../schemas/funding";
import type { BankLinkResponse, LinkTokenResponse, TransferResponse } from "../schemas/funding-responses";
import { unusableAnswer } from "../upstream";
import { audited, auditFailure, successRow, type Actor, type AuditAction, type AuditDetails } from "./audit";
import { withBrokerFailures } from "./broker-errors";
import type { CountedAction, Deps } from "../deps";
import type { OwnedAccountRow } from "../stores/brokerage-accounts";
import { accountRowOf, noteStatus } from "./brokerage";
import { brokerTransferKey, fingerprint, IdempotencyKeys, type Hold, type KeyUse, type StoredAnswer } from "./idempotency";
import { bankLinkOfRow, bankLinkRecord, bankLinkView, transferOfRow, transferRecord, transferView } from "./ledger";
import { ledgerAccount } from "./ledger-fill";
import { bankLinkDeleted, linkPlaidItem, retryItemRemovals } from "./plaid-items";
import type { Proof } from "./step-up";

/**
 * A create's input: the client's Idempotency-Key, what the request was (its method and route), and
 * its body. The key's fingerprint leaves out the step up's password and code: a retry with a corrected
 * code is the same request.
 */
export interface Keyed<B> {
  key: string;
  route: string;
  body: B;
}

/** This actor's use of its key: the user's, fingerprinted under the server's key, held by the actor's id. */
export async function keyUseOf(deps: Pick<Deps, "keys">, actor: Actor, { key, route, body }: Keyed<object>): Promise<KeyUse> {
  const { password: _, code: __, ...request } = body as Record<string, unknown>;
  return { sub: actor.sub, key, hash: await fingerprint(await deps.keys.fingerprint(), route, request), holder: actor.id };
}

const ACTIVE = "ACTIVE";

/** A page of a list, and where the next one begins (null at the end). */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export const PAGE_SIZE = 50;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path's id as an audit row keeps it: only one the Broker API can have made, never any text a client sent. */
export const objectIdOf = (id: string) => (UUID.test(id) ? { objectId: id } : {});

/** An id from the client that the Broker API cannot have made answers as an unknown one. */
export function knownShape(id: string, notFound: "bank_link_not_found" | "transfer_not_found" | "order_not_found" | "document_not_found"): string {
  if (!UUID.test(id)) throw new Failure(notFound);
  return id;
}

/**
 * The user's Broker account id, once it is ACTIVE; else 409 naming its status. D1's status is the one
 * last seen: ACTIVE there costs no call. Another status is asked of the Broker API (the account may
 * have moved on since) and noted.
 */
export async function activeAccount(deps: Deps, sub: string): Promise<string> {
  return (await activeRow(deps, sub)).broker_account_id;
}

/** activeAccount's row. */
export async function activeRow(deps: Deps, sub: string): Promise<OwnedAccountRow> {
  const row = await accountRowOf(deps.stores.accounts, sub);
  if (row.status === ACTIVE) return row;
  const account = await withBrokerFailures(deps.broker.accounts.get(row.broker_account_id));
  await noteStatus(deps.stores.accounts, row, account, deps.now());
  if (account.status !== ACTIVE) throw new Failure("brokerage_account_not_active", { detail: `The brokerage account is ${account.status}, not ACTIVE.` });
  return { ...row, status: account.status };
}

/** An answer of a create, as sent and as replayed: 201 and the exact JSON of its view, a `V`. */
export interface Created<V> extends StoredAnswer {
  body: JsonText<V>;
  replayed: boolean;
}

/** What a create made: its view, whether an earlier try with the key made it (this request only records it), and its D1 row's write (services/ledger.ts). */
export interface Made<V> {
  view: V;
  recovered: boolean;
  record: D1PreparedStatement;
}

/**
 * A create of the user's ACTIVE account, once per key: the account first (before any id is looked
 * up), then the key. A replay answers the stored bytes with no Broker call. Every request writes its
 * audit row, with the Broker object's id once known: "ok", "recovered" when the object was an
 * earlier try's (its own row may be missing: D1 failed after the Broker API acted), "replayed".
 */
export async function createOnce<V extends { id: string }>(
  deps: Deps,
  actor: Actor,
  input: Keyed<object>,
  action: AuditAction,
  details: AuditDetails,
  create: (accountId: string, hold: Hold, use: KeyUse) => Promise<Made<V>>,
): Promise<Created<V>> {
  let answer: StoredAnswer & { replayed: boolean };
  try {
    const use = await keyUseOf(deps, actor, input);
    const accountId = await activeAccount(deps, actor.sub);
    const created = async (hold: Hold) => {
      const made = await create(accountId, hold, use);
      return { status: 201, body: JSON.stringify(made.view), resourceId: made.view.id, recovered: made.recovered, record: made.record };
    };
    // The object's row is written after the audit row, and only if it was (changes()): only if the answer was stored.
    const row = ({ resourceId, recovered, record }: { resourceId: string; recovered: boolean; record: D1PreparedStatement }) => [
      successRow(deps.stores.audit, actor, action, recovered ? "recovered" : "ok", { ...details, objectId: resourceId }, true),
      record,
    ];
    answer = await new IdempotencyKeys(deps.stores.keys, deps.now, deps.requestBudgetMs).once(use, created, row);
  } catch (error) {
    await auditFailure(deps.stores.audit, actor, action, error, details);
    throw error;
  }
  if (answer.replayed) {
    // A replay calls no upstream, which would have waited for the address's limit: it waits here.
    await deps.cleared;
    await successRow(deps.stores.audit, actor, action, "replayed", { ...details, objectId: (JSON.parse(answer.body) as { id?: string }).id }).run();
  }
  // A key's stored body is a V: its fingerprint holds the route, so only this create stored it.
  return answer as Created<V>;
}

// ---- bank links ----

/** Plaid's refusals in the user's terms; its key refused is ours to fix. Never a token or Plaid's message. */
function plaidMeaningOf(error: unknown): unknown {
  if (!(error instanceof PlaidError)) return error;
  if (error.errorCode === "INVALID_API_KEYS") return new Failure("misconfigured", { cause: error });
  if (error.httpStatus === 429) return new Failure("rate_limited", { detail: "Plaid is throttling requests; retry later.", headers: { "retry-after": "60" }, cause: error });
  if (error.httpStatus >= 500) return new Failure("upstream_error", { detail: "Plaid failed to complete the request.", cause: error });
  return new Failure("bank_link_rejected", { cause: error });
}

const RELATIONSHIP_REFUSED = { 400: "bank_link_rejected", 403: "bank_link_rejected", 409: "bank_link_exists", 422: "bank_link_rejected" } as const;

/** Whether a link the Broker API lists is one of these typed-in details (it shows only the last 4 of the number). */
function sameDetails(link: BrokerRelationship, details: BankDetails): boolean {
  return (
    link.bank_routing_number === details.bank_routing_number &&
    link.account_number_last4 === details.bank_account_number.slice(-4) &&
    link.bank_account_type === details.bank_account_type
  );
}

/** Links that no longer link: a retry makes a new one rather than answer with them. */
const ENDED_LINK = new Set(["REJECTED", "CANCELED", "CANCEL_REQUESTED", "CANCEL_SENT"]);

/**
 * Links a bank account: by its details, or by Plaid. The Broker API has no idempotency for links,
 * but allows one active link: a retry after an unknown outcome first looks among the account's
 * links for one with the same details (routing number, last 4, type) that no other key of the user's
 * recorded, and records it. A Plaid link's details are Plaid's, and its public token is good once: its
 * retry is refused (bank_link_rejected); a link the first try made is not found (docs/funding-and-trading.md, "Idempotency").
 */
export async function createBankLink(deps: Deps, actor: Actor, input: Keyed<BankLinkRequest>): Promise<Created<BankLinkResponse>> {
  const request = input.body;
  const madeLink = (view: BankLinkResponse, recovered: boolean) => ({ view, recovered, record: bankLinkRecord(deps.stores, actor.sub, view, deps.now()) });
  return createOnce(deps, actor, input, "bank_link.create", { idempotencyKey: input.key }, async (accountId, hold, use) => {
    if (hold.kind === "resumed" && !("plaid_public_token" in request)) {
      const links = await withBrokerFailures(deps.broker.funding.relationships(accountId));
      for (const link of links) {
        if (!ENDED_LINK.has(link.status) && sameDetails(link, request) && !(await deps.stores.keys.resourceOfAnotherKey(use, link.id))) return madeLink(bankLinkView(link), true);
      }
    }
    if ("plaid_public_token" in request) return madeLink(await linkThroughPlaid(deps, actor, accountId, request), false);
    return madeLink(bankLinkView(await withBrokerFailures(deps.broker.funding.createRelationship(accountId, request), RELATIONSHIP_REFUSED)), false);
  });
}

/**
 * The Plaid flow: the public token for the Item's access token, that for an Alpaca processor token,
 * that for the link. Neither token is logged, answered or stored readable (services/plaid-items.ts
 * keeps the access token sealed, to remove the Item when the link fails or is deleted).
 */
async function linkThroughPlaid(deps: Deps, actor: Actor, accountId: string, request: PlaidBankLink): Promise<BankLinkResponse> {
  const plaid = deps.plaid();
  try {
    return await linkPlaidItem(deps.stores.plaidItems, plaid, actor.sub, request.plaid_public_token, plaidContext(deps, actor), async (accessToken) => {
      const processor_token = await plaid.processorToken(accessToken, request.plaid_account_id);
      return bankLinkView(await withBrokerFailures(deps.broker.funding.createRelationship(accountId, { processor_token }), RELATIONSHIP_REFUSED));
    });
  } catch (error) {
    throw plaidMeaningOf(error);
  }
}

const plaidContext = (deps: Deps, actor: Actor) => ({ now: deps.now, requestId: actor.id });

export async function bankLinks(deps: Deps, actor: Actor): Promise<BankLinkResponse[]> {
  return audited(deps.stores.audit, actor, "bank_link.list", async () => {
    await ledgerAccount(deps, actor.sub, "bank_links");
    const links = (await deps.stores.bankLinks.ofAccount(actor.sub)).map(bankLinkOfRow);
    await retryItemRemovals(deps.stores.plaidItems, deps.plaid, actor.sub, plaidContext(deps, actor));
    return links;
  });
}

/** After the step up: money could leave to a bank the thief linked next. */
export async function deleteBankLink(deps: Deps, actor: Actor, { id, proof }: { id: string; proof: Proof }): Promise<void> {
  return audited(
    deps.stores.audit,
    actor,
    "bank_link.delete",
    async () => {
      const accountId = await activeAccount(deps, actor.sub);
      await deps.stepUp(proof)();
      await withBrokerFailures(deps.broker.funding.deleteRelationship(accountId, knownShape(id, "bank_link_not_found")), { 400: "bank_link_not_found", 404: "bank_link_not_found" });
      // Its Plaid Item, when it has one, and any removal still owed: best effort, after the answer is certain.
      await retryItemRemovals(deps.stores.plaidItems, deps.plaid, actor.sub, plaidContext(deps, actor));
      await deps.stores.bankLinks.deleted(actor.sub, id).run();
      await bankLinkDeleted(deps.stores.plaidItems, deps.plaid, actor.sub, id, plaidContext(deps, actor));
    },
    objectIdOf(id),
  );
}

/** A link token for Plaid Link in the browser, for this user (`client_user_id` is the sub). */
export async function plaidLinkToken(deps: Pick<Deps, "stores" | "plaid">, actor: Actor): Promise<LinkTokenResponse> {
  return audited(deps.stores.audit, actor, "plaid.link_token", async () => {
    try {
      return await deps.plaid().linkToken(actor.sub);
    } catch (error) {
      throw plaidMeaningOf(error);
    }
  });
}

// ---- transfers ----

/**
 * A 422 of a transfer create: a refusal in words we know (the bank link, the amount), else the
 * Broker Idempotency-Key sent with another body, which our own key's fingerprint makes a key used
 * for another request (after our 24 hours: the Broker API keeps its keys for ever). Never a reason
 * to send a fresh key.
 */
const transferUnprocessable = (error: BrokerError) =>
  error.refusal ? new Failure("transfer_rejected", { detail: `The broker refused the transfer: ${error.refusal}`, cause: error }) : new Failure("idempotency_key_reused", { cause: error });

/**
 * A deposit or, after the step up, a withdrawal, sent with the Broker API's own Idempotency-Key,
 * derived from the user and our key: a retry sends the same one, and the Broker API answers it with
 * the first try's transfer (`Idempotency-Replayed`; recorded as "recovered"), never a second one.
 * A fresh hold checks the bank link and the cash withdrawable first. A resumed one goes straight
 * to the Broker API: the first try may have withdrawn already, and our cash check would then refuse
 * the retry of a withdrawal that happened; the Broker API checks both itself.
 */
export async function createTransfer(deps: Deps, actor: Actor, input: Keyed<TransferRequest & Proof>): Promise<Created<TransferResponse>> {
  const request = input.body;
  const outgoing = request.direction === "OUTGOING";
  const details: AuditDetails = { idempotencyKey: input.key, amount: request.amount, direction: request.direction, bankLinkId: request.bank_link_id };
  return createOnce(deps, actor, input, "transfer.create", details, async (accountId, hold, use) => {
    if (outgoing) await deps.stepUp(request)();
    await deps.allow("transfer.create");
    if (hold.kind === "fresh") {
      const links = await withBrokerFailures(deps.broker.funding.relationships(accountId));
      if (!links.some((link) => link.id === request.bank_link_id)) throw new Failure("bank_link_not_found");
      if (outgoing) {
        const { cash_withdrawable } = await withBrokerFailures(deps.broker.accounts.trading(accountId));
        if (cash_withdrawable === undefined) throw unusableAnswer(BROKER_API, "the trading account has no cash_withdrawable");
        if (compareDecimals(request.amount, cash_withdrawable) > 0) throw new Failure("insufficient_funds");
      }
    }
    const refused = outgoing ? "insufficient_funds" : "transfer_rejected";
    const made = deps.broker.funding.createTransfer(accountId, { relationshipId: request.bank_link_id, amount: request.amount, direction: request.direction }, await brokerTransferKey(use.sub, use.key));
    const { transfer, replayed } = await withBrokerFailures(made, { 400: "transfer_rejected", 403: refused, 422: transferUnprocessable });
    const view = transferView(transfer);
    return { view, recovered: replayed, record: transferRecord(deps.stores, actor.sub, view, deps.now()) };
  });
}

/** The cursor of a transfers page: the offset of its first transfer (the Broker API pages them so). */
function offsetOf(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  if (!/^\d{1,6}$/.test(cursor)) throw new Failure("validation_failed", { errors: [{ field: "cursor", message: "cursor is not a cursor of this list" }] });
  return Number(cursor);
}

export async function transfers(deps: Deps, actor: Actor, cursor: string | undefined): Promise<Page<TransferResponse>> {
  return audited(deps.stores.audit, actor, "transfer.list", async () => {
    const offset = offsetOf(cursor);
    await ledgerAccount(deps, actor.sub, "transfers");
    // One more than a page: whether there is a next one.
    const found = await deps.stores.transfers.page(actor.sub, offset, PAGE_SIZE + 1);
    return { items: found.slice(0, PAGE_SIZE).map(transferOfRow), next_cursor: found.length > PAGE_SIZE ? String(offset + PAGE_SIZE) : null };
  });
}

/** From D1: another user's transfer is not found. */
export async function transfer(deps: Deps, actor: Actor, id: string): Promise<TransferResponse> {
  return audited(deps.stores.audit, actor, "transfer.read", async () => {
    await ledgerAccount(deps, actor.sub, "transfers");
    const row = await deps.stores.transfers.ofUser(actor.sub, knownShape(id, "transfer_not_found"));
    if (!row) throw new Failure("transfer_not_found");
    return transferOfRow(row);
  });
}

export async function cancelTransfer(deps: Deps, actor: Actor, id: string): Promise<void> {
  return audited(
    deps.stores.audit,
    actor,
    "transfer.cancel",
    async () => {
      const accountId = await activeAccount(deps, actor.sub);
      knownShape(id, "transfer_not_found");
      await deps.allow("transfer.cancel");
      await withBrokerFailures(deps.broker.funding.cancelTransfer(accountId, id), {
        404: "transfer_not_found",
        409: "transfer_not_cancellable",
        422: "transfer_not_cancellable",
      });
    },
    objectIdOf(id),
  );
}
