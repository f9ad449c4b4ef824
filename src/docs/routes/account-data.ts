import type { FailureCode } from "../../failures";
import type { accountDataRoutes } from "../../routes/account-data";
import { DocumentsResponse, DocumentUpload, PortfolioHistoryResponse, TransactionsResponse, UploadResponse, HISTORY_TIMEFRAMES, PERIODS } from "../../schemas/account-data";
import { ANY, BODY, PLATFORM, TOKEN, type RouterDocs } from "../route-docs";

/** Any Broker API call: its throttling (429 with Retry-After), our key refused, faults. */
const BROKER: FailureCode[] = ["rate_limited", "misconfigured", "upstream_error", "upstream_unavailable", "upstream_timeout"];
/** A signed-in read of the user's own account: the token, the limits, no account yet, the Broker API. */
const READ: FailureCode[] = [...PLATFORM, ...TOKEN, "brokerage_account_not_found", ...BROKER, ...ANY];

/** broker-api.md section 11's deposit, and a fill, as this API answers them. */
export const TRANSACTIONS_EXAMPLE = {
  transactions: [
    {
      id: "20261201094201942::61e69015-8549-4bfd-b9c3-01e75843f47d",
      activity_type: "FILL",
      activity_sub_type: null,
      time: "2026-12-01T09:42:01.942282Z",
      status: null,
      description: null,
      symbol: "AAPL",
      side: "buy",
      qty: "2.631578947",
      price: "190.00",
      net_amount: null,
      per_share_amount: null,
      order_id: "61e69015-8549-4bfd-b9c3-01e75843f47d",
      fill_type: "fill",
    },
    {
      id: "20261201000000000::46b11ac3-baa2-4c36-bd5d-f917ab52d3e7",
      activity_type: "CSD",
      activity_sub_type: null,
      time: "2026-12-01",
      status: "executed",
      description: "",
      symbol: null,
      side: null,
      qty: null,
      price: null,
      net_amount: "1234",
      per_share_amount: null,
      order_id: null,
      fill_type: null,
    },
  ],
  next_cursor: null,
};

/** broker-api.md section 12's sample, as this API answers it. */
export const HISTORY_EXAMPLE = {
  timeframe: "15Min",
  base_value: "27411.93",
  timestamps: ["2020-02-04T14:30:00Z", "2020-02-04T14:45:00Z", "2020-02-04T15:00:00Z"],
  equity: ["27423.73", "27408.19", "27515.97"],
  profit_loss: ["11.8", "-3.74", "104.04"],
  profit_loss_pct: ["0.000430469507254688", "-0.0001364369455197062", "0.0037954277571845543"],
};

export const DOCUMENT_EXAMPLE = { id: "a1b2c3d4-0e5f-4a6b-8c7d-9e0f1a2b3c4d", name: "Account Statement November 2026", type: "account_statement", sub_type: null, date: "2026-11-30" };

/** The start of a PNG file, in base64: the example upload (a real one is the whole file). */
const UPLOAD_EXAMPLE = { document_type: "identity_verification", document_sub_type: "passport", mime_type: "image/png", content: "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==" };

export const accountDataDocs: RouterDocs<typeof accountDataRoutes> = {
  "/accounts/me/transactions": {
    $get: {
      operationId: "listTransactions",
      summary:
        "The account's ledger: the Broker API's account activities (fills, dividends, fees, deposits, withdrawals and the rest), newest first, each type kept as the Broker API sent it, amounts as decimal strings. Not /accounts/me/activity, which is this API's own audit trail of what the user asked for. A full page names next_cursor (the page after it may be empty); a short page is the last",
      auth: true,
      query: {
        types: { description: "Activity types, comma-separated, e.g. FILL,DIV,FEE,CSD,CSW (default: every type)" },
        cursor: { description: "The next_cursor of the page before" },
        limit: { description: "Transactions per page, 1 to 100 (default 50)" },
      },
      responses: { 200: { description: "A page of the ledger", body: { schema: TransactionsResponse, example: TRANSACTIONS_EXAMPLE } } },
      problems: [...READ, "validation_failed"],
    },
  },
  "/accounts/me/portfolio/history": {
    $get: {
      operationId: "getPortfolioHistory",
      summary:
        "The account's equity over time, for a chart: timestamps (RFC 3339, UTC, each point's window start) with equity, profit_loss and profit_loss_pct (a fraction) as aligned arrays of decimal strings, digit for digit as the Broker API wrote them; a point the Broker API has no value for is null. The account must be ACTIVE",
      auth: true,
      query: {
        period: { description: "The window ending now (default 1M); all: since the account was opened", enum: [...PERIODS] },
        timeframe: { description: "One point per: under a day only with a period of 1D or 1W (default: the Broker API's, by period)", enum: [...HISTORY_TIMEFRAMES] },
      },
      responses: { 200: { description: "The history", body: { schema: PortfolioHistoryResponse, example: HISTORY_EXAMPLE } } },
      problems: [...READ, "brokerage_account_not_active", "validation_failed"],
    },
  },
  "/accounts/me/documents": {
    $get: {
      operationId: "listDocuments",
      summary: "The account's statements, trade confirmations and tax forms, as the Broker API lists them (any status: a closed account's statements too)",
      auth: true,
      query: {
        type: { description: "One document type: account_statement, trade_confirmation, tax_statement..." },
        start: { description: "From this date, YYYY-MM-DD" },
        end: { description: "To this date, YYYY-MM-DD" },
      },
      responses: { 200: { description: "The documents", body: { schema: DocumentsResponse, example: { documents: [DOCUMENT_EXAMPLE] } } } },
      problems: [...READ, "validation_failed"],
    },
    $post: {
      operationId: "uploadDocument",
      summary: "A KYC document the Broker API asked for, only while the account is ACTION_REQUIRED (409 documents_not_requested otherwise): its type, its MIME type (PDF, PNG or JPEG) and the file in base64, at most 10,000,000 bytes decoded. This route's own body limit is that file's base64 and 4 KiB more, about 13.3 MB (every other route: 16 KiB). The file goes to the Broker API and nowhere else: never logged or kept",
      auth: true,
      body: { schema: DocumentUpload, example: UPLOAD_EXAMPLE, required: true },
      responses: { 202: { description: "Sent to the Broker API for review", body: { schema: UploadResponse, example: { document_type: "identity_verification", mime_type: "image/png" } } } },
      problems: [...READ, ...BODY, "documents_not_requested"],
    },
  },
  "/accounts/me/documents/:id": {
    $get: {
      operationId: "downloadDocument",
      summary:
        "The document's PDF, streamed (application/pdf, as an attachment), fetched under the user's own account only: another account's id answers 404 as an unknown one. Never cached (Cache-Control: no-store), never logged",
      auth: true,
      responses: { 200: { description: "The PDF", file: { mediaType: "application/pdf", example: "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n…\n%%EOF\n" } } },
      problems: [...READ, "document_not_found"],
    },
  },
};
