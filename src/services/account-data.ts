// The signed-in user's own account data at the Broker API: its ledger (the Broker's account activities,
// distinct from /activity, this API's own audit trail), its equity over time, its documents, and the
// KYC documents it is asked for. The account is always the one D1 records for the token's `sub`; a
// document id is asked for under that account only, so another account's answers as an unknown one.
// Documents pass through: their bytes are never logged, kept in D1 or cached.
import type { BrokerActivity, BrokerPortfolioHistory } from "../broker/account-data";
import type { BrokerError } from "../broker/errors";
import type { Deps } from "../deps";
import { Failure } from "../failures";
import type { DocumentsResponse, DocumentUpload, PortfolioHistoryResponse, TransactionResponse, TransactionsResponse, UploadResponse } from "../schemas/account-data";
import { BROKER_API } from "../broker/errors";
import { unusableAnswer } from "../upstream";
import { audited, type Actor } from "./audit";
import { withBrokerFailures } from "./broker-errors";
import { accountRowOf, noteStatus } from "./brokerage";
import { activeRow, knownShape, objectIdOf, PAGE_SIZE } from "./funding";

/** The Broker API refused a query's values (an activity type it takes only in answers, a stale cursor, a date): the client's to fix. */
const queryRefused = (what: string) => (error: BrokerError) => new Failure("validation_failed", { detail: `The broker refused the query's values (${what}).`, cause: error });

function transactionView(activity: BrokerActivity): TransactionResponse {
  return {
    id: activity.id,
    activity_type: activity.activity_type,
    activity_sub_type: activity.activity_sub_type ?? null,
    time: activity.transaction_time ?? activity.date ?? null,
    status: activity.status ?? null,
    description: activity.description ?? null,
    symbol: activity.symbol ?? null,
    side: activity.side ?? null,
    qty: activity.qty ?? null,
    price: activity.price ?? null,
    net_amount: activity.net_amount ?? null,
    per_share_amount: activity.per_share_amount ?? null,
    order_id: activity.order_id ?? null,
    fill_type: activity.type ?? null,
  };
}

/**
 * A page of the account's activities, newest first, of the types asked (all without). The Broker API
 * answers a bare array without a token: a full page names its last id as the next cursor (the page
 * after it may be empty), a short one is the last.
 */
export async function transactions(deps: Deps, actor: Actor, query: { types?: string[]; cursor?: string; limit?: number }): Promise<TransactionsResponse> {
  return audited(deps.stores.audit, actor, "account.transactions.read", async () => {
    const row = await accountRowOf(deps.stores.accounts, actor.sub);
    const pageSize = query.limit ?? PAGE_SIZE;
    const refused = queryRefused("an activity type, or the cursor");
    const found = await withBrokerFailures(deps.broker.accountData.activities(row.broker_account_id, { types: query.types ?? [], pageSize, pageToken: query.cursor }), { 400: refused, 422: refused });
    const items = found.slice(0, pageSize).map(transactionView);
    return { transactions: items, next_cursor: found.length >= pageSize ? items.at(-1)!.id : null };
  });
}

/** An epoch in seconds (or in milliseconds, as the reference's own sample writes them) as RFC 3339 UTC. */
function instantOf(epoch: string): string {
  const value = Number(epoch);
  if (!Number.isSafeInteger(value) || value < 0) throw unusableAnswer(BROKER_API, "GetPortfolioHistory answered a timestamp that is not an epoch");
  return new Date(value > 1e12 ? value : value * 1000).toISOString().replace(".000Z", "Z");
}

function historyView(history: BrokerPortfolioHistory): PortfolioHistoryResponse {
  const { timestamp, equity, profit_loss, profit_loss_pct } = history;
  if (![equity, profit_loss, profit_loss_pct].every((series) => series.length === timestamp.length)) {
    throw unusableAnswer(BROKER_API, "GetPortfolioHistory answered arrays of different lengths");
  }
  return { timeframe: history.timeframe ?? null, base_value: history.base_value ?? null, timestamps: timestamp.map(instantOf), equity, profit_loss, profit_loss_pct };
}

/**
 * The account's equity, profit and loss over `period` (default 1M), a point each `timeframe`. "all"
 * is from the day the account was opened here: the Broker API's `start`, in place of a period.
 */
export async function portfolioHistory(deps: Deps, actor: Actor, query: { period?: string; timeframe?: string }): Promise<PortfolioHistoryResponse> {
  return audited(deps.stores.audit, actor, "account.portfolio_history.read", async () => {
    const row = await activeRow(deps, actor.sub);
    const window = query.period === "all" ? { start: `${row.created_at.slice(0, 10)}T00:00:00Z` } : { period: query.period };
    const refused = queryRefused("the period or the timeframe");
    return historyView(await withBrokerFailures(deps.broker.accountData.portfolioHistory(row.broker_account_id, { ...window, timeframe: query.timeframe }), { 400: refused, 422: refused }));
  });
}

/** Statements, trade confirmations and tax forms, as the Broker API lists them; in any status (a closed account's statements too). */
export async function documents(deps: Deps, actor: Actor, filter: { type?: string; start?: string; end?: string }): Promise<DocumentsResponse> {
  return audited(deps.stores.audit, actor, "document.list", async () => {
    const row = await accountRowOf(deps.stores.accounts, actor.sub);
    const refused = queryRefused("the type or a date");
    const found = await withBrokerFailures(deps.broker.accountData.documents(row.broker_account_id, filter), { 400: refused, 422: refused });
    return { documents: found.map((document) => ({ id: document.id, name: document.name ?? null, type: document.type, sub_type: document.sub_type || null, date: document.date })) };
  });
}

/**
 * The document's PDF, unread, for the route to stream on: asked for under the user's own account
 * only, so another account's id is a 404 like an unknown one. The Broker API redirects to a
 * pre-signed link, fetched without our key.
 */
export async function documentFile(deps: Deps, actor: Actor, id: string): Promise<Response> {
  return audited(
    deps.stores.audit,
    actor,
    "document.download",
    async () => {
      const row = await accountRowOf(deps.stores.accounts, actor.sub);
      const documentId = knownShape(id, "document_not_found");
      return withBrokerFailures(deps.broker.accountData.documentFile(row.broker_account_id, documentId), { 400: "document_not_found", 404: "document_not_found" });
    },
    objectIdOf(id),
  );
}

const ACTION_REQUIRED = "ACTION_REQUIRED";

/**
 * One KYC document the Broker API asked for: only while the account is ACTION_REQUIRED, as the Broker
 * API has it now (the status moves on its own), else 409. The file passes through as the client's
 * base64 text: never decoded whole, logged, or kept; the audit row names no more than the action.
 */
export async function uploadDocument(deps: Deps, actor: Actor, document: DocumentUpload): Promise<UploadResponse> {
  return audited(deps.stores.audit, actor, "document.upload", async () => {
    const row = await accountRowOf(deps.stores.accounts, actor.sub);
    const account = await withBrokerFailures(deps.broker.accounts.get(row.broker_account_id));
    await noteStatus(deps.stores.accounts, row, account, deps.now());
    if (account.status !== ACTION_REQUIRED) throw new Failure("documents_not_requested", { detail: `The brokerage account is ${account.status}: documents are taken only while it is ACTION_REQUIRED.` });
    const refused = (error: BrokerError) => new Failure("validation_failed", { detail: "The broker refused the document (its type, format or content).", cause: error });
    await withBrokerFailures(deps.broker.accountData.upload(row.broker_account_id, document), { 400: refused, 422: refused });
    return { document_type: document.document_type, mime_type: document.mime_type };
  });
}
