// The account data routes' queries, the document upload's body, and their answers: one definition of
// each (services/account-data.ts returns them; the docs and the test harness check answers against
// them). Messages name the rule, never the value sent: an upload carries an identity document.
import * as z from "zod/mini";
import { MAX_DOCUMENT_BYTES } from "../limits";
import { strictBody } from "./funding";

/** An activity type as the Broker API spells them (FILL, DIV, CSD...): the list grows, so any such word is passed on. */
const ACTIVITY_TYPE = /^[A-Z]{2,10}$/;
const MAX_TYPES = 30;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const date = (field: string) => z.optional(z.string({ error: `${field} must be a date (YYYY-MM-DD)` }).check(z.regex(DATE, { error: `${field} must be a date (YYYY-MM-DD)` })));
const notAfter = (start: string | undefined, end: string | undefined) => !start || !end || start <= end;

/** A page of at most this many transactions (the Broker API's own page is at most 100). */
const MAX_TRANSACTIONS_PAGE = 100;

/** GET /accounts/me/transactions?types=FILL,DIV&cursor=&limit= */
export const TransactionsQuery = strictBody({
  types: z.optional(
    z.pipe(
      z.string({ error: "types must list activity types, comma-separated" }),
      z.transform((text) => [...new Set(text.split(",").map((part) => part.trim()))]),
    ).check(
      z.refine((list) => list.length <= MAX_TYPES && list.every((type) => ACTIVITY_TYPE.test(type)), {
        error: `types must list 1 to ${MAX_TYPES} activity types, comma-separated, in capitals as the Broker API spells them: FILL,DIV,FEE,CSD,CSW`,
      }),
    ),
  ),
  // An activity id: 20210510100104650::88b5f678-...
  cursor: z.optional(z.string({ error: "cursor must be a string" }).check(z.regex(/^[\w:.-]{1,200}$/, { error: "cursor is not a cursor of this list" }))),
  limit: z.optional(
    z.pipe(z.string(), z.transform(Number)).check(
      z.int({ error: `limit must be a whole number from 1 to ${MAX_TRANSACTIONS_PAGE}` }),
      z.minimum(1, { error: `limit must be a whole number from 1 to ${MAX_TRANSACTIONS_PAGE}` }),
      z.maximum(MAX_TRANSACTIONS_PAGE, { error: `limit must be a whole number from 1 to ${MAX_TRANSACTIONS_PAGE}` }),
    ),
  ),
});

export const PERIODS = ["1D", "1W", "1M", "3M", "1A", "all"] as const;
export const HISTORY_TIMEFRAMES = ["1Min", "5Min", "15Min", "1H", "1D"] as const;
/** Intraday points need a period under 30 days (broker-api.md section 12). */
const SHORT_PERIODS: readonly string[] = ["1D", "1W"];

/** GET /accounts/me/portfolio/history?period=&timeframe= */
export const PortfolioHistoryQuery = strictBody({
  period: z.optional(z.enum(PERIODS, { error: `period must be one of ${PERIODS.join(", ")}` })),
  timeframe: z.optional(z.enum(HISTORY_TIMEFRAMES, { error: `timeframe must be one of ${HISTORY_TIMEFRAMES.join(", ")}` })),
}).check(
  z.refine((query) => !query.timeframe || query.timeframe === "1D" || SHORT_PERIODS.includes(query.period ?? "1M"), {
    error: "timeframe under a day needs a period of 1D or 1W (the default period is 1M)",
    path: ["timeframe"],
  }),
);

/** GET /accounts/me/documents?type=&start=&end= */
export const DocumentsQuery = strictBody({
  type: z.optional(z.string({ error: "type must be a document type" }).check(z.regex(/^[a-z0-9_]{1,64}$/, { error: "type must be a document type: account_statement, trade_confirmation, tax_statement..." }))),
  start: date("start"),
  end: date("end"),
}).check(z.refine((query) => notAfter(query.start, query.end), { error: "end must not be before start", path: ["end"] }));


export const UPLOAD_DOCUMENT_TYPES = [
  "identity_verification",
  "address_verification",
  "date_of_birth_verification",
  "tax_id_verification",
  "account_approval_letter",
  "limited_trading_authorization",
  "w8ben",
  "w9",
  "cip_result",
  "other",
] as const;
export const UPLOAD_MIME_TYPES = ["application/pdf", "image/png", "image/jpeg"] as const;

/** How each allowed file begins: a file that is not what its mime_type says is refused before the Broker sees it. */
const MAGIC: Record<(typeof UPLOAD_MIME_TYPES)[number], string> = {
  "application/pdf": "%PDF-",
  "image/png": "\x89PNG\r\n\x1a\n",
  "image/jpeg": "\xff\xd8\xff",
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes base64 text decodes to, from its length and padding alone (the file is never decoded here). */
function decodedSize(base64: string): number {
  const padding = base64.endsWith("==") ? 2 : base64.endsWith("=") ? 1 : 0;
  return (base64.length / 4) * 3 - padding;
}

/** Whether `content`, if valid base64 of a known type, begins as a file of `mimeType` does: only its first 12 characters are decoded. Anything else is another rule's to name. */
function looksLike(content: unknown, mimeType: unknown): boolean {
  if (typeof content !== "string" || !validContent(content) || !(typeof mimeType === "string" && mimeType in MAGIC)) return true;
  return atob(content.slice(0, 12)).startsWith(MAGIC[mimeType as keyof typeof MAGIC]);
}

const validContent = (text: string) => text.length >= 12 && text.length % 4 === 0 && BASE64.test(text) && decodedSize(text) <= MAX_DOCUMENT_BYTES;

const CONTENT_RULE = `content must be the file in base64 (standard alphabet, padded), at most ${MAX_DOCUMENT_BYTES} bytes decoded`;

/** POST /accounts/me/documents: one document the Broker API asked for while the account is ACTION_REQUIRED. */
export const DocumentUpload = strictBody({
  document_type: z.enum(UPLOAD_DOCUMENT_TYPES, { error: `document_type must be one of ${UPLOAD_DOCUMENT_TYPES.join(", ")}` }),
  document_sub_type: z.optional(z.string({ error: "document_sub_type must be a string" }).check(z.regex(/^[\w .-]{1,64}$/, { error: "document_sub_type must be 1 to 64 letters, digits, spaces, . _ or -: passport, Form W-8BEN" }))),
  mime_type: z.enum(UPLOAD_MIME_TYPES, { error: `mime_type must be one of ${UPLOAD_MIME_TYPES.join(", ")}` }),
  content: z.string({ error: CONTENT_RULE }).check(
    z.refine(validContent, { error: CONTENT_RULE }),
  ),
}).check(
  z.refine((body) => looksLike(body.content, body.mime_type), {
    error: "content is not a file of its mime_type (a PDF begins %PDF-, a PNG and a JPEG with their signatures)",
    path: ["content"],
  }),
);

export type DocumentUpload = z.output<typeof DocumentUpload>;

/** One entry of the account's ledger, as the Broker API sent it: its type kept as sent, amounts as decimal strings. */
export const TransactionResponse = z.object({
  id: z.string(),
  /** FILL, DIV, FEE, CSD, CSW...: as the Broker API sent it (the list grows). */
  activity_type: z.string(),
  activity_sub_type: z.nullable(z.string()),
  /** A fill's transaction time (RFC 3339), or another activity's date (YYYY-MM-DD). */
  time: z.nullable(z.string()),
  status: z.nullable(z.string()),
  description: z.nullable(z.string()),
  symbol: z.nullable(z.string()),
  side: z.nullable(z.string()),
  qty: z.nullable(z.string()),
  price: z.nullable(z.string()),
  /** Signed: money in is positive, money out negative. */
  net_amount: z.nullable(z.string()),
  per_share_amount: z.nullable(z.string()),
  order_id: z.nullable(z.string()),
  /** A fill's: fill or partial_fill. */
  fill_type: z.nullable(z.string()),
});
export type TransactionResponse = z.output<typeof TransactionResponse>;

export const TransactionsResponse = z.object({ transactions: z.array(TransactionResponse), next_cursor: z.nullable(z.string()) });
export type TransactionsResponse = z.output<typeof TransactionsResponse>;

const Point = z.nullable(z.string());

export const PortfolioHistoryResponse = z.object({
  timeframe: z.nullable(z.string()),
  /** What profit_loss is counted from. */
  base_value: z.nullable(z.string()),
  /** RFC 3339 (UTC): each point's window start; equity is at its end. */
  timestamps: z.array(z.string()),
  equity: z.array(Point),
  profit_loss: z.array(Point),
  /** A fraction: 0.0123 is 1.23 %. */
  profit_loss_pct: z.array(Point),
});
export type PortfolioHistoryResponse = z.output<typeof PortfolioHistoryResponse>;

export const DocumentResponse = z.object({ id: z.string(), name: z.nullable(z.string()), type: z.string(), sub_type: z.nullable(z.string()), date: z.string() });
export type DocumentResponse = z.output<typeof DocumentResponse>;

export const DocumentsResponse = z.object({ documents: z.array(DocumentResponse) });
export type DocumentsResponse = z.output<typeof DocumentsResponse>;

/** What was sent to the Broker API: never the file. */
export const UploadResponse = z.object({ document_type: z.string(), mime_type: z.string() });
export type UploadResponse = z.output<typeof UploadResponse>;
