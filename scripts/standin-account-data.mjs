// The Broker API stand-in's account data (broker-standin.mjs mounts it), following
// ../shared/reference/broker-api.md sections 11 to 13; not the Broker API:
// - activities follow what was done: a FILL for each filled order, a CSD for each completed deposit,
//   a CSW (negative) for each completed withdrawal; newest first, a bare array of at most 100, paged by
//   the last id (`page_token`); no dividends or fees (the stand-in's fills carry none);
// - the portfolio history is derived from those activities: the cash and positions at each point,
//   the positions valued on the market stand-in's price path (market-standin.mjs), deposits and
//   withdrawals counted as cash flows, not as profit; JSON numbers, epoch seconds, as the Broker API;
// - a monthly statement for each month the account has ended, as a PDF of a few hundred bytes, the
//   download a 301 to a "pre-signed" link of this stand-in that needs no key, signed per document;
// - an upload of KYC documents is recorded in the account's `documents` (never its content), and an
//   ACTION_REQUIRED account goes back to SUBMITTED, then ACTIVE as a new account does.
// Everything is a function of the state and the time: the same state gives the same answers.
import { createHash } from "node:crypto";
import * as market from "./market-standin.mjs";

const DAY = 86_400_000;
const PERIOD_UNIT_MS = { D: DAY, W: 7 * DAY, M: 30 * DAY, A: 365 * DAY, Y: 365 * DAY };
const TIMEFRAME_MS = { "1Min": 60_000, "5Min": 300_000, "15Min": 900_000, "1H": 3_600_000, "1D": DAY };
const UPLOAD_TYPES = new Set(["identity_verification", "address_verification", "date_of_birth_verification", "tax_id_verification", "account_approval_letter", "limited_trading_authorization", "w8ben", "w9", "cip_result", "social_security_number_verification", "other"]);
const UPLOAD_MIME_TYPES = new Set(["application/pdf", "image/png", "image/jpeg"]);
const MAX_DOCUMENT_BYTES = 10_000_000;
const MAX_POINTS = 2000;

/** A stable UUID from `text`: ids that stay the same for the same account and month. */
function uuidOf(text) {
  const hex = createHash("sha256").update(text).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** 2021-05-10T10:01:04.650Z -> 20210510100104650, the activity id's time part. */
const stampOf = (iso) => iso.replace(/[-:TZ.]/g, "").slice(0, 17).padEnd(17, "0");

/** A decimal string as a Number of dollars, for the history's JSON numbers (the Broker API's own are floats). */
const dollars = (text) => Number(text);
const round = (value, places) => Number(value.toFixed(places));

/**
 * The account data of a stand-in: its state (accounts, orders, transfers), the fill prices, its error
 * makers, `later` (a timed status change), and the URL it serves links under once it listens.
 */
export function accountData({ state, prices, errors: { badRequest, unprocessable, notFound }, later, urlOf }) {
  /** Every activity of the account, oldest first. */
  function activitiesOf(accountId) {
    const found = [];
    for (const order of Object.values(state.orders)) {
      if (order.account_id !== accountId || order.status !== "filled" || !order.filled_at) continue;
      found.push({
        id: `${stampOf(order.filled_at)}::${order.id}`,
        account_id: accountId,
        activity_type: "FILL",
        transaction_time: order.filled_at,
        type: "fill",
        price: order.filled_avg_price,
        qty: order.filled_qty,
        side: order.side,
        symbol: order.symbol,
        leaves_qty: "0",
        order_id: order.id,
        cum_qty: order.filled_qty,
        order_status: "filled",
      });
    }
    for (const transfer of Object.values(state.transfers)) {
      if (transfer.account_id !== accountId || transfer.status !== "COMPLETE") continue;
      const incoming = transfer.direction === "INCOMING";
      found.push({
        id: `${stampOf(transfer.updated_at)}::${uuidOf(`activity:${transfer.id}`)}`,
        account_id: accountId,
        activity_type: incoming ? "CSD" : "CSW",
        date: transfer.updated_at.slice(0, 10),
        net_amount: incoming ? transfer.amount : `-${transfer.amount}`,
        description: incoming ? "ACH deposit" : "ACH withdrawal",
        status: "executed",
        // When it happened, for the history (not an answer field of non-fills: taken off below).
        at: transfer.updated_at,
      });
    }
    return found.sort((a, b) => a.id.localeCompare(b.id));
  }

  const answerOf = ({ at: _at, ...activity }) => activity;

  /** GET /v1/accounts/activities: newest first by default; `page_token` continues after (asc) or before (desc) that id. */
  function listActivities(params) {
    const accountId = params.get("account_id");
    const types = (params.get("activity_types") ?? "").split(",").filter(Boolean);
    const direction = params.get("direction") ?? "desc";
    if (!["asc", "desc"].includes(direction)) throw unprocessable("direction must be asc or desc");
    const pageSize = Number(params.get("page_size") ?? 100);
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) throw unprocessable("page_size must be between 1 and 100");
    const token = params.get("page_token");
    const accounts = accountId ? [accountId] : Object.keys(state.accounts);
    let found = accounts.flatMap(activitiesOf).sort((a, b) => a.id.localeCompare(b.id));
    if (types.length) found = found.filter((activity) => types.includes(activity.activity_type));
    if (direction === "desc") found.reverse();
    if (token) found = found.filter((activity) => (direction === "desc" ? activity.id < token : activity.id > token));
    return found.slice(0, pageSize).map(answerOf);
  }

  /** The cash (dollars) and quantities held just after `ms`, from the activities up to it. */
  function holdingsAt(activities, ms) {
    let cash = 0;
    let flows = 0;
    const qty = {};
    for (const activity of activities) {
      if (Date.parse(activity.transaction_time ?? activity.at) > ms) break;
      if (activity.activity_type === "FILL") {
        const sign = activity.side === "buy" ? 1 : -1;
        cash -= sign * dollars(activity.qty) * dollars(activity.price);
        qty[activity.symbol] = (qty[activity.symbol] ?? 0) + sign * dollars(activity.qty);
      } else {
        cash += dollars(activity.net_amount);
        flows += dollars(activity.net_amount);
      }
    }
    return { cash, flows, qty };
  }

  function equityAt(activities, ms) {
    const { cash, flows, qty } = holdingsAt(activities, ms);
    let value = cash;
    for (const [symbol, held] of Object.entries(qty)) value += (held * market.centsAtTime(Number(prices[symbol].price), symbol, ms)) / 100;
    return { equity: value, flows };
  }

  /** The points' window starts within [start, end]: each session's days (1D) or its steps within the sessions. */
  function windows(start, end, timeframe) {
    const step = TIMEFRAME_MS[timeframe];
    const points = [];
    for (const session of market.sessionsWithin(start, end)) {
      if (timeframe === "1D") {
        if (session.open <= end && session.close >= start) points.push({ from: session.open, to: Math.min(session.close, end) });
        continue;
      }
      for (let from = Math.max(session.open, Math.ceil(start / step) * step); from < session.close && from <= end; from += step) points.push({ from, to: Math.min(from + step, session.close, end) });
    }
    return points.slice(-MAX_POINTS);
  }

  /** GET /v1/trading/accounts/{id}/account/portfolio/history */
  function portfolioHistory(account, params, now = Date.now()) {
    const period = params.get("period");
    const match = /^(\d+)([DWMAY])$/.exec(period ?? "1M");
    if (!match) throw unprocessable("invalid period");
    const end = params.get("end") ? Date.parse(params.get("end")) : now;
    const start = params.get("start") ? Date.parse(params.get("start")) : end - Number(match[1]) * PERIOD_UNIT_MS[match[2]];
    if (!Number.isFinite(start) || !Number.isFinite(end) || start > end) throw unprocessable("invalid start or end");
    const span = end - start;
    const timeframe = params.get("timeframe") ?? (span < 7 * DAY ? "1Min" : span < 30 * DAY ? "15Min" : "1D");
    if (!TIMEFRAME_MS[timeframe]) throw unprocessable("invalid timeframe");
    if (timeframe !== "1D" && span >= 30 * DAY) throw unprocessable("intraday timeframes need a period under 30 days");
    const activities = activitiesOf(account.id);
    const base = equityAt(activities, start);
    const answer = { timestamp: [], equity: [], profit_loss: [], profit_loss_pct: [], base_value: round(base.equity, 2), timeframe };
    for (const { from, to } of windows(start, end, timeframe)) {
      const { equity, flows } = equityAt(activities, to);
      const invested = base.equity + (flows - base.flows);
      const profit = equity - invested;
      answer.timestamp.push(Math.floor(from / 1000));
      answer.equity.push(round(equity, 2));
      answer.profit_loss.push(round(profit, 2));
      answer.profit_loss_pct.push(invested > 0 ? round(profit / invested, 6) : 0);
    }
    return answer;
  }

  /** Each month the account has ended since it was opened: its statement. */
  function documentsOf(account, now = Date.now()) {
    const documents = [];
    const opened = new Date(account.created_at);
    for (let year = opened.getUTCFullYear(), month = opened.getUTCMonth(); Date.UTC(year, month + 1, 1) <= now; month === 11 ? ((month = 0), year++) : month++) {
      const last = new Date(Date.UTC(year, month + 1, 0)).toISOString().slice(0, 10);
      const name = `Account Statement ${new Date(Date.UTC(year, month, 1)).toLocaleString("en-US", { month: "long", timeZone: "UTC" })} ${year}`;
      documents.push({ id: uuidOf(`statement:${account.id}:${last}`), name, type: "account_statement", sub_type: "", date: last });
    }
    return documents.reverse();
  }

  function listDocuments(account, params) {
    const type = params.get("type");
    const start = params.get("start");
    const end = params.get("end");
    for (const [name, value] of [["start", start], ["end", end]]) if (value && !/^\d{4}-\d{2}-\d{2}$/.test(value)) throw badRequest(`${name} must be a date`);
    return documentsOf(account).filter((document) => (!type || document.type === type) && (!start || document.date >= start) && (!end || document.date <= end));
  }

  /** The link's signature: per document, so that a link of one document opens no other. */
  const signatureOf = (documentId) => createHash("sha256").update(`link:${documentId}`).digest("hex").slice(0, 32);

  /** GET .../documents/{id}/download: 301 to the link, as the Broker API redirects to a pre-signed one. */
  function download(account, documentId) {
    const document = documentsOf(account).find((entry) => entry.id === documentId);
    if (!document) throw notFound("document not found");
    return [301, undefined, { Location: `${urlOf()}/documents/${documentId}.pdf?signature=${signatureOf(documentId)}` }];
  }

  /** A one-page statement: a few hundred bytes, the same for the same account and month. */
  function statementPdf(account, document) {
    const text = `(${document.name} - account ${account.account_number}) Tj`;
    const stream = `BT /F1 12 Tf 72 720 Td ${text} ET`;
    const objects = [
      "<</Type/Catalog/Pages 2 0 R>>",
      "<</Type/Pages/Kids[3 0 R]/Count 1>>",
      "<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]/Resources<</Font<</F1 5 0 R>>>>/Contents 4 0 R>>",
      `<</Length ${stream.length}>>stream\n${stream}\nendstream`,
      "<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
    ];
    let body = "%PDF-1.4\n";
    const offsets = objects.map((object, index) => {
      const offset = body.length;
      body += `${index + 1} 0 obj${object}endobj\n`;
      return offset;
    });
    const xref = body.length;
    body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((offset) => `${String(offset).padStart(10, "0")} 00000 n \n`).join("")}`;
    body += `trailer<</Size ${objects.length + 1}/Root 1 0 R>>\nstartxref\n${xref}\n%%EOF\n`;
    return Buffer.from(body, "latin1");
  }

  /** GET /documents/{id}.pdf?signature=: the "pre-signed" link, no key needed; a wrong signature is S3's 403. */
  function link(documentId, signature) {
    for (const account of Object.values(state.accounts)) {
      const document = documentsOf(account).find((entry) => entry.id === documentId);
      if (document && signature === signatureOf(documentId)) return [200, statementPdf(account, document), { "Content-Type": "application/pdf" }];
    }
    return [403, Buffer.from("<Error><Code>AccessDenied</Code></Error>"), { "Content-Type": "application/xml" }];
  }

  /** POST .../documents/upload: at most 10 documents, each at most 10 MB decoded; recorded without their content. */
  function upload(account, body) {
    if (!Array.isArray(body) || body.length === 0 || body.length > 10) throw badRequest("the body must be an array of 1 to 10 documents");
    for (const item of body) {
      if (!UPLOAD_TYPES.has(item?.document_type)) throw badRequest("document_type is invalid");
      if (!UPLOAD_MIME_TYPES.has(item.mime_type)) throw badRequest("mime_type must be application/pdf, image/png or image/jpeg");
      if (typeof item.content !== "string" || !/^[A-Za-z0-9+/]+={0,2}$/.test(item.content) || Buffer.byteLength(item.content, "base64") > MAX_DOCUMENT_BYTES) throw badRequest("content must be base64 of at most 10 MB");
    }
    const now = new Date().toISOString();
    account.documents = [...(account.documents ?? []), ...body.map((item) => ({ document_type: item.document_type, id: uuidOf(`upload:${account.id}:${now}:${item.content.length}`), created_at: now }))];
    if (account.status === "ACTION_REQUIRED") {
      Object.assign(account, { status: "SUBMITTED", updated_at: now });
      later("account", account.id, "SUBMITTED", "APPROVED");
    }
    return [202];
  }

  return { listActivities, portfolioHistory, listDocuments, download, link, upload };
}
