// The Broker API's account data calls this API makes (broker-api.md sections 11 to 13): the account's
// activities (its ledger), its portfolio history, and its documents. Amounts are read from the
// answer's source text (BrokerClient.readDecimal): portfolio history writes JSON numbers, and an
// activity written with a number keeps its digits too.
import * as z from "zod/mini";
import { pathId, read } from "./accounts";
import type { BrokerClient } from "./client";

/** An amount as readDecimal leaves it: a plain decimal string, signed (a withdrawal's net_amount). */
const Amount = z.string().check(z.regex(/^-?\d+(\.\d+)?$/));

/** An activity: a fill (transaction_time, price, qty...) or any other (date, net_amount...); types grow, so kept as strings. */
const BrokerActivity = z.object({
  id: z.string().check(z.minLength(1)),
  activity_type: z.string().check(z.minLength(1)),
  activity_sub_type: z.nullish(z.string()),
  transaction_time: z.nullish(z.string()),
  date: z.nullish(z.string()),
  /** A fill's: fill or partial_fill. */
  type: z.nullish(z.string()),
  status: z.nullish(z.string()),
  description: z.nullish(z.string()),
  symbol: z.nullish(z.string()),
  side: z.nullish(z.string()),
  qty: z.nullish(Amount),
  price: z.nullish(Amount),
  cum_qty: z.nullish(Amount),
  leaves_qty: z.nullish(Amount),
  net_amount: z.nullish(Amount),
  per_share_amount: z.nullish(Amount),
  order_id: z.nullish(z.string()),
});

export type BrokerActivity = z.output<typeof BrokerActivity>;

/** Aligned arrays; `timestamp` in epoch seconds (or ms: the reference's own sample uses them), each point possibly null. */
const BrokerPortfolioHistory = z.object({
  timestamp: z.array(Amount),
  equity: z.array(z.nullable(Amount)),
  profit_loss: z.array(z.nullable(Amount)),
  profit_loss_pct: z.array(z.nullable(Amount)),
  base_value: z.nullish(Amount),
  timeframe: z.nullish(z.string()),
});

export type BrokerPortfolioHistory = z.output<typeof BrokerPortfolioHistory>;

const BrokerDocument = z.object({
  id: z.string().check(z.minLength(1)),
  name: z.nullish(z.string()),
  type: z.string(),
  sub_type: z.nullish(z.string()),
  date: z.string(),
});

export type BrokerDocument = z.output<typeof BrokerDocument>;

/** One document of the account's owner for KYC, as the upload takes it: base64 content. */
export interface NewDocument {
  document_type: string;
  document_sub_type?: string;
  mime_type: "application/pdf" | "image/png" | "image/jpeg";
  content: string;
}

export interface ActivitiesPage {
  types: readonly string[];
  pageSize: number;
  /** The last activity's id of the page before: newest first, the next page continues before it. */
  pageToken?: string;
}

export interface HistoryQuery {
  period?: string;
  timeframe?: string;
  /** RFC 3339: the window's start, in place of a period. */
  start?: string;
}

export class BrokerAccountData {
  readonly #client: BrokerClient;

  constructor(client: BrokerClient) {
    this.#client = client;
  }

  /** One page of the account's activities, newest first: a bare array, a short page the last. */
  async activities(accountId: string, page: ActivitiesPage): Promise<BrokerActivity[]> {
    const query = new URLSearchParams({ account_id: pathId(accountId), direction: "desc", page_size: String(page.pageSize) });
    if (page.types.length) query.set("activity_types", page.types.join(","));
    if (page.pageToken) query.set("page_token", page.pageToken);
    return read(z.array(BrokerActivity), await this.#client.readDecimal("ListActivities", `/v1/accounts/activities?${query}`), "ListActivities");
  }

  async portfolioHistory(accountId: string, history: HistoryQuery): Promise<BrokerPortfolioHistory> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(history)) if (value !== undefined) query.set(name, value);
    const answer = await this.#client.readDecimal("GetPortfolioHistory", `/v1/trading/accounts/${pathId(accountId)}/account/portfolio/history?${query}`);
    return read(BrokerPortfolioHistory, answer, "GetPortfolioHistory");
  }

  async documents(accountId: string, filter: { type?: string; start?: string; end?: string }): Promise<BrokerDocument[]> {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(filter)) if (value !== undefined) query.set(name, value);
    const suffix = query.size ? `?${query}` : "";
    return read(z.array(BrokerDocument), await this.#client.call("ListDocuments", "GET", `/v1/accounts/${pathId(accountId)}/documents${suffix}`), "ListDocuments");
  }

  /** The document's PDF, under the account's own path only: a document of another account is a 404 BrokerError. */
  async documentFile(accountId: string, documentId: string): Promise<Response> {
    const link = await this.#client.redirectOf("DownloadDocument", `/v1/accounts/${pathId(accountId)}/documents/${pathId(documentId)}/download`);
    return this.#client.file("GET document link", link);
  }

  /** Never retried: a second upload would be a second document. */
  async upload(accountId: string, document: NewDocument): Promise<void> {
    await this.#client.call("UploadDocuments", "POST", `/v1/accounts/${pathId(accountId)}/documents/upload`, [document]);
  }
}
