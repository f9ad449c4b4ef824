// A local development stand-in for the Alpaca Broker API and the few Plaid sandbox calls the API
// makes: `npm run dev` starts it when .dev.vars names no Broker API key. It is not the Broker API.
// It follows ../shared/reference/broker-api.md (fields, statuses, `{code, message}` error bodies);
// where the reference records no wording, the message is this stand-in's own. Our code is written to
// the real service and checked against its recorded answers (test/fixtures/broker.ts), never to this.
//
// What it does, in short:
// - accounts start SUBMITTED (ACTION_REQUIRED with a disclosure set, or the status named by a
//   sandbox fixture in `additional_information`) and become ACTIVE after `activateAfterMs`, with cash "0";
// - ACH relationships go QUEUED -> APPROVED, transfers QUEUED -> COMPLETE after `activateAfterMs`,
//   and a completed transfer moves cash;
// - a transfer's `Idempotency-Key` is honoured as section 8 describes: at most 36 characters, per
//   account, kept for ever once a transfer is made with it; the same request again answers that
//   transfer as it is now with `Idempotency-Replayed: true`, another request 422;
// - a cash account (multiplier "1"): buying power and withdrawable cash are the cash less what queued
//   withdrawals and open buy orders hold;
// - the asset list is PRICES below (one asset not fractionable, one not tradable); orders are
//   replaced (PATCH: a new order, the old one `replaced`) and cancelled all at once (DELETE: 207) as
//   section 14 describes;
// - market orders fill at once at the fixed price of PRICES below; a limit order fills at that price
//   when marketable, otherwise rests as `new`, as stop orders always do (orders fill at these fixed prices; the market data of market-standin.mjs moves on its own path);
// - closing an account that holds cash or positions, or has a transfer that is not final, is refused
//   ("liquidate and withdraw first");
// - the three event streams (broker-api.md section 7) tell what happened: accounts SUBMITTED -> APPROVED
//   (half of `activateAfterMs`) -> ACTIVE, bank links and transfers settling, orders new / fill /
//   canceled; each with its history from `since_id` (`since_ulid` for accounts) and a heartbeat comment
//   every `heartbeatMs`;
// - development controls, not the Broker API's (POST, no key, `scripts/standin.mjs` calls them):
//   /_standin/orders/{id}/fill fills a resting limit or stop order (at its limit, else stop, price),
//   /_standin/transfers/{id}/settle settles a QUEUED transfer now (COMPLETE, the money moved; a COMPLETE
//   one is answered as it is), without waiting for `settleTransfersAfterMs` (by default `activateAfterMs`),
//   /_standin/transfers/{id}/return returns a COMPLETE transfer (RETURNED, the money back out),
//   /_standin/accounts/{id}/age moves an account's opening `months` back (its statements then exist);
// - activities, the portfolio history, statements and KYC uploads follow standin-account-data.mjs;
// - state lives in `dir/state.json`, written atomically, so a restart keeps everything; `dir/url` names
//   the running stand-in for the controls.
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as market from "./market-standin.mjs";
import { accountData } from "./standin-account-data.mjs";

const HOST = "127.0.0.1";

/** The fixed key pair `npm run dev` gives the stand-in and the Worker. Local only. */
export const LOCAL_KEY_ID = "standin-local-key-id";
export const LOCAL_SECRET = "standin-local-secret";
/** The Plaid credentials the stand-in's /plaid/ endpoints accept (body `client_id` and `secret`). */
export const LOCAL_PLAID_CLIENT_ID = "standin-plaid-client-id";
export const LOCAL_PLAID_SECRET = "standin-plaid-secret";

/**
 * The asset list (GET /v1/assets): the price every order in a symbol fills at, and what the asset
 * allows. AAPL's asset id is the one in the Broker API's recorded answers; the others are made up.
 * BRK.A is not fractionable; GRAYU is listed but not tradable. A symbol not here is "not found".
 */
export const PRICES = {
  AAPL: { price: "190.00", name: "Apple Inc. Common Stock", exchange: "NASDAQ", fractionable: true, asset_id: "904837e3-3b76-47ec-b432-046db621571b" },
  MSFT: { price: "415.00", name: "Microsoft Corporation Common Stock", exchange: "NASDAQ", fractionable: true, asset_id: "b6d1aa75-5c9c-4353-a305-9e2caa1925ab" },
  GOOGL: { price: "170.00", name: "Alphabet Inc. Class A Common Stock", exchange: "NASDAQ", fractionable: true, asset_id: "69b15845-7c63-4586-b274-1cfdfe9df3d8" },
  AMZN: { price: "185.00", name: "Amazon.com, Inc. Common Stock", exchange: "NASDAQ", fractionable: true, asset_id: "f801f835-bfe6-4a9d-a6b1-ccbb84bfd75f" },
  TSLA: { price: "250.00", name: "Tesla, Inc. Common Stock", exchange: "NASDAQ", fractionable: true, asset_id: "8ccae427-5dd0-45b3-b5fe-7ba5e422c766" },
  SPY: { price: "600.00", name: "SPDR S&P 500 ETF Trust", exchange: "ARCA", fractionable: true, asset_id: "b28f4066-5c6d-479b-a2af-85dc1a8f16fb" },
  VTI: { price: "290.00", name: "Vanguard Total Stock Market ETF", exchange: "ARCA", fractionable: true, asset_id: "f1de6b44-4b35-4b1d-8a7c-0a7e3d5d9a3e" },
  "BRK.A": { price: "700000.00", name: "Berkshire Hathaway Inc. Class A", exchange: "NYSE", fractionable: false, asset_id: "3a3f2b67-42ee-4b8a-9bb2-8a1a5f2f7f0c" },
  GRAYU: { price: "10.05", name: "Graystone Acquisition Corp. Units", exchange: "NASDAQ", fractionable: false, tradable: false, asset_id: "5d0de74f-2b1c-4b8e-8f0a-3c6e9a1d2b47" },
};

/** An asset as GET /v1/assets answers it (broker-api.md section 10). */
function assetView(symbol) {
  const { asset_id, name, exchange, fractionable, tradable = true } = PRICES[symbol];
  return {
    id: asset_id,
    class: "us_equity",
    exchange,
    symbol,
    name,
    status: "active",
    tradable,
    marginable: tradable,
    shortable: tradable && fractionable,
    fractionable,
    margin_requirement_long: "30",
    margin_requirement_short: "100",
    attributes: [],
  };
}

// ---- decimals: BigInt scaled by 10^9 (9 places, enough for quantities), never floats ----

const PLACES = 9;
const ONE = 10n ** BigInt(PLACES);

/** A non-negative decimal string with at most `maxPlaces` decimals, as a scaled BigInt; else undefined. */
function parseDecimal(text, maxPlaces) {
  if (typeof text !== "string" || !/^\d+(\.\d+)?$/.test(text)) return undefined;
  const [whole, fraction = ""] = text.split(".");
  if (fraction.length > maxPlaces) return undefined;
  return BigInt(whole) * ONE + BigInt(fraction.padEnd(PLACES, "0"));
}

/** The shortest decimal string of a scaled value: "1000", "0.526315789", "-12.5". */
function formatDecimal(value) {
  const negative = value < 0n;
  const magnitude = negative ? -value : value;
  const fraction = (magnitude % ONE).toString().padStart(PLACES, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${magnitude / ONE}${fraction ? `.${fraction}` : ""}`;
}

/** a x b, rounded half up to `places` decimals (both non-negative). */
function multiply(a, b, places) {
  const unit = 10n ** BigInt(2 * PLACES - places);
  return ((a * b + unit / 2n) / unit) * 10n ** BigInt(PLACES - places);
}

/** a x b / c, rounded half up to `places` decimals (all positive): a share of a cost, exactly. */
function proportion(a, b, c, places) {
  const unit = 10n ** BigInt(PLACES - places);
  return ((a * b + (c * unit) / 2n) / (c * unit)) * unit;
}

/** a / b, rounded towards zero to `places` decimals. */
function divide(a, b, places) {
  return ((a * 10n ** BigInt(places)) / b) * 10n ** BigInt(PLACES - places);
}

const MONEY = 2;

// ---- answers ----

class BrokerError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message);
    this.status = status;
    this.body = { ...extra, code, message };
  }
}

const badRequest = (message) => new BrokerError(400, 40010000, `request body format is invalid: ${message}`);
const unprocessable = (message) => new BrokerError(422, 40010001, message);
const forbidden = (message, extra) => new BrokerError(403, 40310000, message, extra);
const notFound = (message) => new BrokerError(404, 40410000, message);
const NOT_AUTHORIZED = () => new BrokerError(401, 40110000, "request is not authorized");

class PlaidError extends Error {
  constructor(status, type, code, message) {
    super(message);
    this.status = status;
    this.body = {
      display_message: null,
      documentation_url: `https://plaid.com/docs/errors/${type.toLowerCase().replace(/_/g, "-")}/#${code.toLowerCase()}`,
      error_code: code,
      error_message: message,
      error_type: type,
      request_id: requestId(),
      status,
      suggested_action: null,
    };
  }
}

const plaidInput = (code, message) => new PlaidError(400, "INVALID_INPUT", code, message);

function requestId() {
  return randomUUID().replace(/-/g, "").slice(0, 15);
}

// ---- validation helpers: the message names the field ----

function text(object, field, where, { required = true, max = 256 } = {}) {
  const value = object?.[field];
  if (value === undefined || value === null || value === "") {
    if (required) throw unprocessable(`${where}${field} is required`);
    return undefined;
  }
  if (typeof value !== "string") throw badRequest(`${where}${field} must be a string`);
  if (value.length > max) throw unprocessable(`${where}${field} is invalid: longer than ${max} characters`);
  return value;
}

function oneOf(object, field, where, values, options) {
  const value = text(object, field, where, options);
  if (value !== undefined && !values.includes(value)) throw unprocessable(`${where}${field} is invalid: must be one of ${values.join(", ")}`);
  return value;
}

function bool(object, field, where) {
  const value = object?.[field];
  if (value === undefined) throw unprocessable(`${where}${field} is required`);
  if (typeof value !== "boolean") throw badRequest(`${where}${field} must be a boolean`);
  return value;
}

function objectAt(body, field) {
  const value = body?.[field];
  if (value === undefined || value === null) throw unprocessable(`${field} is required`);
  if (typeof value !== "object" || Array.isArray(value)) throw badRequest(`${field} must be an object`);
  return value;
}

function isDate(value) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const COUNTRY = /^[A-Z]{3}$/;
const FUNDING_SOURCES = ["employment_income", "investments", "inheritance", "business_income", "savings", "family"];
const AGREEMENTS = ["customer_agreement", "crypto_agreement", "margin_agreement", "options_agreement", "account_agreement"];
/** Each tax id type the stand-in knows, with the format it checks. */
const TAX_ID_FORMATS = { USA_SSN: /^\d{3}-?\d{2}-?\d{4}$/, USA_ITIN: /^9\d{2}-?\d{2}-?\d{4}$/, NOT_SPECIFIED: /^.+$/ };
const CONTACT_FIELDS = ["email_address", "phone_number", "street_address", "unit", "city", "state", "postal_code", "country"];

function validContact(contact, { partial }) {
  const where = "contact.";
  const unknown = Object.keys(contact).filter((field) => !CONTACT_FIELDS.includes(field));
  if (unknown.length) throw unprocessable(`${where}${unknown[0]} is not a contact field`);
  const out = {};
  const email = text(contact, "email_address", where, { required: !partial });
  if (email !== undefined) {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw unprocessable(`${where}email_address is invalid`);
    out.email_address = email;
  }
  const phone = text(contact, "phone_number", where, { required: false });
  if (phone !== undefined) {
    if (!/^\+?[\d\s().-]{7,20}$/.test(phone)) throw unprocessable(`${where}phone_number is invalid`);
    out.phone_number = phone;
  }
  if (contact.street_address !== undefined || !partial) {
    const street = contact.street_address;
    if (street === undefined) throw unprocessable(`${where}street_address is required`);
    if (!Array.isArray(street) || street.some((line) => typeof line !== "string")) throw badRequest(`${where}street_address must be an array of strings`);
    if (street.length < 1 || street.length > 3 || street.some((line) => !line.trim())) {
      throw unprocessable(`${where}street_address is invalid: one to three non-empty lines`);
    }
    out.street_address = street;
  }
  for (const field of ["unit", "city", "state", "postal_code"]) {
    const value = text(contact, field, where, { required: !partial && field === "city" });
    if (value !== undefined) out[field] = value;
  }
  const country = text(contact, "country", where, { required: false });
  if (country !== undefined) {
    if (!COUNTRY.test(country)) throw unprocessable(`${where}country is invalid: an ISO 3166 alpha-3 code`);
    out.country = country;
  }
  if (out.postal_code !== undefined && (out.country ?? "USA") === "USA" && !/^\d{5}(-\d{4})?$/.test(out.postal_code)) {
    throw unprocessable(`${where}postal_code is invalid`);
  }
  return out;
}

function validIdentity(identity) {
  const where = "identity.";
  const out = {
    given_name: text(identity, "given_name", where),
    family_name: text(identity, "family_name", where),
    date_of_birth: text(identity, "date_of_birth", where),
  };
  const middle = text(identity, "middle_name", where, { required: false });
  if (middle !== undefined) out.middle_name = middle;
  if (!isDate(out.date_of_birth)) throw unprocessable(`${where}date_of_birth is invalid: a date YYYY-MM-DD`);
  if (out.date_of_birth > new Date().toISOString().slice(0, 10)) throw unprocessable(`${where}date_of_birth is invalid: in the future`);
  const taxId = text(identity, "tax_id", where, { required: false });
  const taxIdType = text(identity, "tax_id_type", where, { required: false });
  if ((taxId === undefined) !== (taxIdType === undefined)) throw unprocessable(`${where}${taxId === undefined ? "tax_id" : "tax_id_type"} is required with the other`);
  if (taxIdType !== undefined) {
    const format = TAX_ID_FORMATS[taxIdType];
    if (!format) throw unprocessable(`${where}tax_id_type is invalid: must be one of ${Object.keys(TAX_ID_FORMATS).join(", ")}`);
    if (!format.test(taxId)) throw unprocessable(`${where}tax_id is invalid for ${taxIdType}`);
    // The tax id itself is checked, never kept: the Broker API does not echo it back either.
    out.tax_id_type = taxIdType;
  }
  for (const field of ["country_of_citizenship", "country_of_birth", "country_of_tax_residence"]) {
    const value = text(identity, field, where, { required: field === "country_of_tax_residence" });
    if (value === undefined) continue;
    if (!COUNTRY.test(value)) throw unprocessable(`${where}${field} is invalid: an ISO 3166 alpha-3 code`);
    out[field] = value;
  }
  const funding = identity.funding_source;
  if (funding === undefined) throw unprocessable(`${where}funding_source is required`);
  if (!Array.isArray(funding) || funding.length === 0) throw badRequest(`${where}funding_source must be a non-empty array`);
  const unknownSource = funding.find((source) => !FUNDING_SOURCES.includes(source));
  if (unknownSource !== undefined) throw unprocessable(`${where}funding_source is invalid: ${JSON.stringify(unknownSource)} is not a funding source`);
  out.funding_source = funding;
  return out;
}

function validAgreements(agreements) {
  if (agreements === undefined) throw unprocessable("agreements is required");
  if (!Array.isArray(agreements)) throw badRequest("agreements must be an array");
  const out = agreements.map((entry, index) => {
    const where = `agreements[${index}].`;
    const agreement = oneOf(entry, "agreement", where, AGREEMENTS);
    const signedAt = text(entry, "signed_at", where);
    if (Number.isNaN(Date.parse(signedAt)) || !/^\d{4}-\d{2}-\d{2}T/.test(signedAt)) throw unprocessable(`${where}signed_at is invalid: an RFC 3339 time`);
    const ip = text(entry, "ip_address", where);
    if (!IPV4.test(ip)) throw unprocessable(`${where}ip_address is invalid: an IPv4 address`);
    const revision = text(entry, "revision", where, { required: false });
    return { agreement, signed_at: signedAt, ip_address: ip, ...(revision ? { revision } : {}) };
  });
  if (!out.some((entry) => entry.agreement === "customer_agreement")) throw unprocessable("agreements is invalid: customer_agreement is required");
  return out;
}

/** The ABA routing number checksum: 3, 7, 1 weights over the nine digits. */
function validRoutingNumber(number) {
  if (!/^\d{9}$/.test(number)) return false;
  const weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  return [...number].reduce((sum, digit, index) => sum + Number(digit) * weights[index], 0) % 10 === 0;
}

// ---- the server ----

const OPEN_ORDER = new Set(["new", "accepted", "pending_new", "partially_filled", "held"]);
const ACTIVE_RELATIONSHIP = new Set(["QUEUED", "APPROVED", "PENDING", "CANCEL_REQUESTED"]);
const RATE_LIMIT_WINDOW_S = 60;

function emptyState() {
  return {
    next_account_number: 900000001,
    accounts: {},
    relationships: {},
    transfers: {},
    /** account id -> Idempotency-Key -> { transfer_id, request }: stored only when a transfer was made. */
    transfer_keys: {},
    orders: {},
    /** account id -> symbol -> { qty, cost_basis } (scaled decimals as strings) */
    positions: {},
    /** Timed status changes still to come: { kind, id, at (epoch ms), from, to }. */
    pending: [],
    /** Each event stream's history, oldest first: { id, data } (the JSON of its `data:` line). */
    events: { accounts: [], trades: [], funding: [] },
    plaid: { public_tokens: {}, items: {}, processor_tokens: {} },
  };
}

/**
 * Starts the stand-in on 127.0.0.1:`port` (0: a free port), its state in `dir/state.json`.
 * Broker API calls need HTTP Basic `keyId:secret`; /plaid/ calls the Plaid credentials in the body.
 */
export async function startBrokerStandin({
  port = 0,
  dir,
  keyId,
  secret,
  plaidClientId = LOCAL_PLAID_CLIENT_ID,
  plaidSecret = LOCAL_PLAID_SECRET,
  activateAfterMs = 3000,
  settleTransfersAfterMs = activateAfterMs,
  rateLimitPerMinute = 1000,
  heartbeatMs = 15_000,
  log = console.log,
}) {
  if (!dir || !keyId || !secret) throw new Error("startBrokerStandin needs dir, keyId and secret");
  mkdirSync(dir, { recursive: true });
  const stateFile = path.join(dir, "state.json");
  let state;
  try {
    state = JSON.parse(readFileSync(stateFile, "utf8"));
  } catch (error) {
    if (error.code !== "ENOENT") throw new Error(`${stateFile} is unreadable (${error.message}): remove it to start afresh`);
    state = emptyState();
  }
  // A state file from before transfer keys, or events, were kept.
  state.transfer_keys ??= {};
  state.events ??= { accounts: [], trades: [], funding: [] };
  const expectedAuth = `Basic ${Buffer.from(`${keyId}:${secret}`).toString("base64")}`;

  function save() {
    const temporary = `${stateFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(state, null, 1));
    renameSync(temporary, stateFile);
  }

  // ---- timed transitions ----
  let timer;
  function schedule() {
    clearTimeout(timer);
    if (!state.pending.length) return;
    const next = Math.min(...state.pending.map((change) => change.at));
    timer = setTimeout(advance, Math.max(0, next - Date.now()));
  }

  function later(kind, id, from, to, afterMs = activateAfterMs) {
    state.pending.push({ kind, id, at: Date.now() + afterMs, from, to });
  }

  function advance() {
    const now = Date.now();
    const due = state.pending.filter((change) => change.at <= now);
    if (!due.length) return schedule();
    state.pending = state.pending.filter((change) => change.at > now);
    for (const change of due) applyChange(change);
    save();
    schedule();
  }

  // A change queued by a state file of before `from` was kept starts from SUBMITTED or QUEUED.
  function applyChange({ kind, id, from = kind === "account" ? "SUBMITTED" : "QUEUED", to }) {
    const at = new Date().toISOString();
    if (kind === "account") {
      const account = state.accounts[id];
      if (!account || account.status !== from) return;
      log(`[broker-standin] account ${account.account_number} ${from} -> ${to}`);
      Object.assign(account, { status: to, updated_at: at });
      const passed = to === "APPROVED" || to === "ACTIVE";
      account.kyc_results = { accept: passed ? { IDENTITY_VERIFICATION: {} } : {}, indeterminate: {}, reject: passed ? {} : { IDENTITY_VERIFICATION: {} }, summary: passed ? "pass" : "fail" };
      accountEvent(account, from);
      // Approved, the account opens for trading after the other half of the wait.
      if (to === "APPROVED") later("account", id, "APPROVED", "ACTIVE", Math.ceil(activateAfterMs / 2));
    } else if (kind === "relationship") {
      const relationship = state.relationships[id];
      if (!relationship || relationship.status !== "QUEUED") return;
      log(`[broker-standin] ach relationship ${id} QUEUED -> ${to}`);
      Object.assign(relationship, { status: to, updated_at: at });
      fundingEvent("BankRelationship", relationship, "QUEUED");
    } else if (kind === "transfer") {
      const transfer = state.transfers[id];
      if (!transfer || transfer.status !== "QUEUED") return;
      const account = state.accounts[transfer.account_id];
      const amount = parseDecimal(transfer.amount, MONEY);
      const cash = BigInt(account.cash);
      account.cash = String(transfer.direction === "INCOMING" ? cash + amount : cash - amount);
      log(`[broker-standin] transfer ${id} (${transfer.direction} ${transfer.amount}) QUEUED -> ${to}; cash now ${formatDecimal(BigInt(account.cash))}`);
      Object.assign(transfer, { status: to, updated_at: at });
      fundingEvent("Transfer", transfer, "QUEUED");
    }
  }

  // ---- event streams (section 7) ----

  const STREAMS = {
    "/v1/events/accounts/status": { stream: "accounts", since: "since_ulid", until: "until_ulid", idField: "event_ulid" },
    "/v2/events/trades": { stream: "trades", since: "since_id", until: "until_id", idField: "event_id" },
    "/v2/events/funding/status": { stream: "funding", since: "since_id", until: "until_id", idField: "event_id" },
  };
  const ID_FIELD = Object.fromEntries(Object.values(STREAMS).map(({ stream, idField }) => [stream, idField]));
  /** Each stream's history is kept up to this many events (state.json stays small). */
  const HISTORY = 5000;
  /** Open stream connections: { stream, res }. */
  const listeners = new Set();
  let lastUlid = { time: 0, random: 0n };

  /** A ULID, increasing within this process even within one millisecond. */
  function ulid() {
    const time = Math.max(Date.now(), lastUlid.time);
    const random = time === lastUlid.time ? lastUlid.random + 1n : BigInt(`0x${randomUUID().replace(/-/g, "").slice(0, 20)}`);
    lastUlid = { time, random };
    const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let head = "";
    for (let rest = time, i = 0; i < 10; i++, rest = Math.floor(rest / 32)) head = alphabet[rest % 32] + head;
    let tail = "";
    for (let rest = random & ((1n << 80n) - 1n), i = 0; i < 16; i++, rest >>= 5n) tail = alphabet[Number(rest & 31n)] + tail;
    return head + tail;
  }

  const sseLine = (data) => `data: ${JSON.stringify(data)}\n\n`;

  function emit(stream, payload) {
    const id = ulid();
    const data = { ...payload, [ID_FIELD[stream]]: id };
    const history = state.events[stream];
    history.push({ id, data });
    if (history.length > HISTORY) history.splice(0, history.length - HISTORY);
    for (const listener of listeners) if (listener.stream === stream) listener.res.write(sseLine(data));
  }

  function accountEvent(account, from) {
    emit("accounts", { account_id: account.id, account_number: account.account_number, at: account.updated_at, status_from: from, status_to: account.status });
  }

  function fundingEvent(entityType, entity, from) {
    emit("funding", {
      account_id: entity.account_id,
      at: entity.updated_at,
      correspondent: "STND",
      entity_type: entityType,
      entity_id: entity.id,
      status_from: from,
      status_to: entity.status,
      reason: entity.reason ?? "",
    });
  }

  /** A trade event of `order` (`event` as section 7 names them); a fill adds its price, qty and the position after it. */
  function tradeEvent(event, order, fillDetails) {
    const at = new Date().toISOString();
    emit("trades", { account_id: order.account_id, at, event, order: orderView(order), timestamp: at, ...(fillDetails ?? {}) });
  }

  /** GET of a stream: history after the cursor, then live events and heartbeats; with `until`, the history up to it, then the end. */
  function openStream(req, res, url, { stream, since, until }, headers) {
    const params = url.searchParams;
    const other = Object.values(STREAMS).find((entry) => entry.since !== since)?.since;
    if (params.has(other)) throw badRequest(`${other} is not a parameter of this stream: use ${since}`);
    if (params.has("since") || params.has("until")) throw badRequest(`this stand-in takes ${since} and ${until} only`);
    const from = params.get(since);
    const to = params.get(until);
    if (to !== null && from === null) throw badRequest(`${until} needs ${since}`);
    // The headers now: the client's fetch answers at them, before any event.
    res.writeHead(200, { ...headers, "Content-Type": "text/event-stream", "Cache-Control": "no-cache" }).flushHeaders();
    const history = from === null ? [] : state.events[stream].filter((event) => event.id > from && (to === null || event.id <= to));
    for (const event of history) res.write(sseLine(event.data));
    if (to !== null) return res.end();
    const listener = { stream, res };
    listeners.add(listener);
    const heartbeat = setInterval(() => res.write(":heartbeat\n\n"), heartbeatMs);
    const close = () => {
      clearInterval(heartbeat);
      listeners.delete(listener);
    };
    req.on("close", close);
    res.on("close", close);
  }

  // ---- development controls (not the Broker API's) ----

  const CONTROLS = [
    [
      new RegExp("^/_standin/orders/([0-9a-fA-F-]{36})/fill$"),
      ([, id], body) => {
        const order = state.orders[id];
        if (!order) throw notFound("order not found");
        if (!OPEN_ORDER.has(order.status)) throw unprocessable(`order is already in "${order.status}" state`);
        const price = body?.price ?? order.limit_price ?? order.stop_price ?? PRICES[order.symbol].price;
        if (parseDecimal(price, MONEY + 2) === undefined) throw badRequest("price must be a decimal string");
        fill(state.accounts[order.account_id], order, price);
        log(`[broker-standin] order ${id} (${order.side} ${order.symbol}) filled at ${price} by the control`);
        return orderView(order);
      },
    ],
    [
      // For `npm run bench`: `count` trade events at once, for orders of `accounts` that the stand-in
      // never held (the consumer's ledger sees orders it learns of from events): each order's new, then its fill.
      /^\/_standin\/events\/burst$/,
      (_, body) => {
        const count = Number(body?.count);
        const accounts = Array.isArray(body?.accounts) ? body.accounts.filter((id) => typeof id === "string") : [];
        if (!Number.isInteger(count) || count < 2 || count > 100_000 || accounts.length === 0) throw badRequest("count (2 to 100000) and accounts (account ids) are required");
        for (let i = 0; i + 1 < count; i += 2) {
          const at = new Date().toISOString();
          const order = {
            id: randomUUID(), account_id: accounts[(i / 2) % accounts.length], client_order_id: randomUUID(), created_at: at, updated_at: at, submitted_at: at,
            filled_at: null, expired_at: null, canceled_at: null, failed_at: null, replaced_at: null, replaced_by: null, replaces: null,
            asset_id: PRICES.AAPL.asset_id, symbol: "AAPL", asset_class: "us_equity", notional: null, qty: "1", filled_qty: "0", filled_avg_price: null,
            order_class: "simple", order_type: "market", type: "market", side: "buy", time_in_force: "day", limit_price: null, stop_price: null,
            trail_price: null, trail_percent: null, hwm: null, status: "new", extended_hours: false, legs: null, commission: "0",
          };
          tradeEvent("new", order);
          Object.assign(order, { status: "filled", filled_qty: "1", filled_avg_price: PRICES.AAPL.price, filled_at: at });
          tradeEvent("fill", order, { execution_id: randomUUID(), price: PRICES.AAPL.price, qty: "1", position_qty: "1" });
        }
        return { emitted: count - (count % 2) };
      },
    ],
    [
      // An account opened `months` earlier (1 to 24): its monthly statements exist, as after that time.
      new RegExp("^/_standin/accounts/([0-9a-fA-F-]{36})/age$"),
      ([, id], body) => {
        const account = state.accounts[id];
        if (!account) throw notFound("account not found");
        const months = Number(body?.months);
        if (!Number.isInteger(months) || months < 1 || months > 24) throw badRequest("months must be a whole number from 1 to 24");
        const opened = new Date(account.created_at);
        opened.setUTCMonth(opened.getUTCMonth() - months);
        account.created_at = opened.toISOString();
        log(`[broker-standin] account ${id} now opened ${account.created_at} by the control: ${months} month(s) of statements`);
        return { id, created_at: account.created_at };
      },
    ],
    [
      // The bank's answer now: the pending QUEUED -> COMPLETE change applied at once, as its timer would.
      new RegExp("^/_standin/transfers/([0-9a-fA-F-]{36})/settle$"),
      ([, id]) => {
        const transfer = state.transfers[id];
        if (!transfer) throw notFound("transfer not found");
        if (transfer.status === "QUEUED") {
          state.pending = state.pending.filter((change) => !(change.kind === "transfer" && change.id === id));
          applyChange({ kind: "transfer", id, to: "COMPLETE" });
          schedule();
        }
        if (transfer.status !== "COMPLETE") throw unprocessable(`transfer is ${transfer.status}: only a QUEUED transfer can be settled`);
        return transfer;
      },
    ],
    [
      new RegExp("^/_standin/transfers/([0-9a-fA-F-]{36})/return$"),
      ([, id]) => {
        const transfer = state.transfers[id];
        if (!transfer) throw notFound("transfer not found");
        if (transfer.status !== "COMPLETE") throw unprocessable(`transfer is ${transfer.status}: only a COMPLETE transfer can be returned`);
        const account = state.accounts[transfer.account_id];
        const amount = parseDecimal(transfer.amount, MONEY);
        // The money goes back where it came from: a deposit leaves the account, a withdrawal comes back.
        account.cash = String(BigInt(account.cash) + (transfer.direction === "INCOMING" ? -amount : amount));
        Object.assign(transfer, { status: "RETURNED", reason: "R01: insufficient funds at the bank", updated_at: new Date().toISOString() });
        fundingEvent("Transfer", transfer, "COMPLETE");
        log(`[broker-standin] transfer ${id} (${transfer.direction} ${transfer.amount}) COMPLETE -> RETURNED by the control; cash now ${formatDecimal(BigInt(account.cash))}`);
        return transfer;
      },
    ],
  ];

  // ---- balances ----

  function positionsOf(accountId) {
    return (state.positions[accountId] ??= {});
  }

  function openOrders(accountId) {
    return Object.values(state.orders).filter((order) => order.account_id === accountId && OPEN_ORDER.has(order.status));
  }

  /** What an open order to buy holds of the buying power: the notional, or qty x its limit (or stop, or market) price. */
  function heldByBuy(order) {
    if (order.notional !== null) return parseDecimal(order.notional, MONEY);
    const price = order.limit_price ?? order.stop_price ?? PRICES[order.symbol].price;
    return multiply(parseDecimal(order.qty, PLACES), parseDecimal(price, MONEY + 2), MONEY);
  }

  /** The quantity of a symbol that open orders to sell hold. */
  function heldBySells(accountId, symbol) {
    const price = parseDecimal(PRICES[symbol].price, MONEY);
    return openOrders(accountId)
      .filter((order) => order.side === "sell" && order.symbol === symbol)
      .reduce((sum, order) => sum + (order.qty !== null ? parseDecimal(order.qty, PLACES) : divide(parseDecimal(order.notional, MONEY), price, PLACES)), 0n);
  }

  function balances(account) {
    const cash = BigInt(account.cash);
    let pendingIn = 0n;
    let pendingOut = 0n;
    for (const transfer of Object.values(state.transfers)) {
      if (transfer.account_id !== account.id || transfer.status !== "QUEUED") continue;
      if (transfer.direction === "INCOMING") pendingIn += parseDecimal(transfer.amount, MONEY);
      else pendingOut += parseDecimal(transfer.amount, MONEY);
    }
    const held = openOrders(account.id)
      .filter((order) => order.side === "buy")
      .reduce((sum, order) => sum + heldByBuy(order), 0n);
    let longValue = 0n;
    for (const [symbol, position] of Object.entries(positionsOf(account.id))) {
      longValue += multiply(BigInt(position.qty), parseDecimal(PRICES[symbol].price, MONEY), MONEY);
    }
    const available = cash - pendingOut - held;
    return { cash, pendingIn, pendingOut, available: available > 0n ? available : 0n, longValue };
  }

  function tradeAccountView(account) {
    const { cash, pendingIn, pendingOut, available, longValue } = balances(account);
    const equity = formatDecimal(cash + longValue);
    const money = formatDecimal;
    return {
      id: account.id,
      account_number: account.account_number,
      status: account.status,
      crypto_status: account.crypto_status,
      currency: "USD",
      buying_power: money(available),
      regt_buying_power: money(available),
      daytrading_buying_power: "0",
      non_marginable_buying_power: money(available),
      cash: money(cash),
      cash_withdrawable: money(available),
      cash_transferable: money(available),
      pending_transfer_in: money(pendingIn),
      pending_transfer_out: money(pendingOut),
      portfolio_value: equity,
      equity,
      last_equity: account.last_equity,
      long_market_value: money(longValue),
      short_market_value: "0",
      initial_margin: "0",
      maintenance_margin: "0",
      last_maintenance_margin: "0",
      sma: "0",
      multiplier: "1",
      pattern_day_trader: false,
      daytrade_count: 0,
      trading_blocked: false,
      transfers_blocked: false,
      account_blocked: false,
      trade_suspended_by_user: false,
      shorting_enabled: false,
      created_at: account.created_at,
    };
  }

  // ---- accounts ----

  const ENTITIES = ["contact", "identity", "disclosures", "agreements", "documents", "trusted_contact"];

  function accountView(account, entities = ENTITIES) {
    const { cash: _cash, ...view } = account;
    for (const entity of ENTITIES) if (!entities.includes(entity)) delete view[entity];
    return view;
  }

  function createAccount(body) {
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("the body must be a JSON object");
    const contact = validContact(objectAt(body, "contact"), { partial: false });
    const identity = validIdentity(objectAt(body, "identity"));
    const disclosuresIn = objectAt(body, "disclosures");
    const disclosures = {};
    for (const field of ["is_control_person", "is_affiliated_exchange_or_finra", "is_politically_exposed", "immediate_family_exposed"]) {
      disclosures[field] = bool(disclosuresIn, field, "disclosures.");
    }
    const agreements = validAgreements(body.agreements);
    if ([contact.country, identity.country_of_tax_residence].includes("USA") || contact.country === undefined) {
      if (!contact.state) throw unprocessable("contact.state is required");
    }
    const email = contact.email_address.toLowerCase();
    if (Object.values(state.accounts).some((account) => account.contact.email_address.toLowerCase() === email)) {
      throw new BrokerError(409, 40910000, "email address already exists");
    }
    // Sandbox fixtures pick the outcome of KYC, e.g. "/fixtures/status=REJECTED/fixtures/".
    const fixture = /\/fixtures\/status=([A-Z_]+)\/fixtures\//.exec(typeof body.additional_information === "string" ? body.additional_information : "");
    const flagged = Object.values(disclosures).some(Boolean);
    const now = new Date().toISOString();
    const account = {
      id: randomUUID(),
      account_number: String(state.next_account_number++),
      status: flagged ? "ACTION_REQUIRED" : "SUBMITTED",
      crypto_status: "INACTIVE",
      currency: "USD",
      last_equity: "0",
      created_at: now,
      updated_at: now,
      account_type: "trading",
      enabled_assets: ["us_equity"],
      contact,
      identity,
      disclosures,
      agreements,
      documents: [],
      // The sandbox firm starts each new account with no cash; deposits bring it.
      cash: "0",
    };
    state.accounts[account.id] = account;
    // KYC passes in two steps (APPROVED, then ACTIVE), each half the wait; a fixture's outcome at once after the whole wait.
    if (!flagged) fixture ? later("account", account.id, "SUBMITTED", fixture[1]) : later("account", account.id, "SUBMITTED", "APPROVED", Math.floor(activateAfterMs / 2));
    return account;
  }

  function accountOr401(id) {
    const account = state.accounts[id];
    if (!account) throw NOT_AUTHORIZED();
    return account;
  }

  function searchAccounts(params) {
    const tokens = (params.get("query") ?? "").toLowerCase().split(/\s+/).filter(Boolean);
    const entities = (params.get("entities") ?? "").split(",").filter(Boolean);
    const statuses = (params.get("status") ?? "").split(",").filter(Boolean);
    const after = params.get("created_after");
    const before = params.get("created_before");
    let found = Object.values(state.accounts).filter((account) => {
      const haystack = [account.account_number, account.contact.phone_number, account.identity.given_name, account.identity.family_name, account.contact.email_address]
        .filter(Boolean)
        .map((value) => value.toLowerCase());
      return (
        tokens.every((token) => haystack.some((value) => value.includes(token))) &&
        (!statuses.length || statuses.includes(account.status)) &&
        (!after || account.created_at > after) &&
        (!before || account.created_at < before)
      );
    });
    found.sort((a, b) => a.created_at.localeCompare(b.created_at));
    if (params.get("sort") === "desc") found.reverse();
    found = found.slice(0, 1000);
    return found.map((account) => accountView(account, entities));
  }

  function patchAccount(account, body) {
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("the body must be a JSON object");
    const other = Object.keys(body).find((field) => field !== "contact");
    if (other !== undefined) throw unprocessable(`${other} cannot be updated: this stand-in updates contact only`);
    if (account.status === "ACCOUNT_CLOSED") throw unprocessable("account is closed");
    const contact = validContact(objectAt(body, "contact"), { partial: true });
    Object.assign(account.contact, contact);
    account.updated_at = new Date().toISOString();
    return account;
  }

  const FINAL_TRANSFER = new Set(["COMPLETE", "CANCELED", "REJECTED", "RETURNED", "EXPIRED"]);

  function closeAccount(id) {
    const account = state.accounts[id];
    if (!account) throw notFound("account not found");
    if (account.status === "ACCOUNT_CLOSED") return;
    // "Liquidate and withdraw first": money held, or still moving, keeps an account open.
    const moving = Object.values(state.transfers).some((transfer) => transfer.account_id === id && !FINAL_TRANSFER.has(transfer.status));
    if (BigInt(account.cash) !== 0n || Object.keys(positionsOf(id)).length || moving) {
      throw unprocessable("account has cash, positions or transfers in progress: liquidate and withdraw first");
    }
    for (const order of openOrders(id)) cancel(order);
    const from = account.status;
    Object.assign(account, { status: "ACCOUNT_CLOSED", updated_at: new Date().toISOString() });
    accountEvent(account, from);
  }

  // ---- ACH relationships ----

  function createRelationship(account, body) {
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("the body must be a JSON object");
    if (account.status !== "ACTIVE") throw forbidden("account is not active");
    if (Object.values(state.relationships).some((rel) => rel.account_id === account.id && ACTIVE_RELATIONSHIP.has(rel.status))) {
      throw new BrokerError(409, 40910000, "an active ach relationship already exists for this account");
    }
    const now = new Date().toISOString();
    const relationship = { id: randomUUID(), account_id: account.id, created_at: now, updated_at: now, status: "QUEUED" };
    if (body.processor_token !== undefined) {
      const token = text(body, "processor_token", "");
      const bank = state.plaid.processor_tokens[token];
      if (!bank) throw unprocessable("processor_token is invalid");
      // Alpaca reads the bank account from Plaid; its type may come back empty.
      Object.assign(relationship, {
        account_owner_name: bank.owner_name,
        bank_account_type: "",
        account_mask: bank.mask,
        nickname: bank.name,
        approval_method: "PLAID",
        processor_token: token,
      });
    } else {
      const owner = text(body, "account_owner_name", "");
      const type = oneOf(body, "bank_account_type", "", ["CHECKING", "SAVINGS"]);
      const number = text(body, "bank_account_number", "");
      if (!/^[0-9A-Za-z]{4,17}$/.test(number)) throw unprocessable("bank_account_number is invalid");
      const routing = text(body, "bank_routing_number", "");
      if (!validRoutingNumber(routing)) throw unprocessable("bank_routing_number is invalid");
      const nickname = text(body, "nickname", "", { required: false });
      Object.assign(relationship, {
        account_owner_name: owner,
        bank_account_type: type,
        bank_account_number: number,
        bank_routing_number: routing,
        account_mask: number.slice(-4),
        nickname: nickname ?? null,
        approval_method: "MANUAL",
      });
    }
    state.relationships[relationship.id] = relationship;
    later("relationship", relationship.id, "QUEUED", "APPROVED");
    return relationship;
  }

  function relationshipView({ processor_token: _token, ...view }) {
    return view;
  }

  function relationshipOf(account, id) {
    const relationship = state.relationships[id];
    if (!relationship || relationship.account_id !== account.id) throw notFound("ach relationship not found");
    return relationship;
  }

  // ---- transfers ----

  function createTransfer(account, body) {
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("the body must be a JSON object");
    const type = oneOf(body, "transfer_type", "", ["ach", "wire"]);
    const direction = oneOf(body, "direction", "", ["INCOMING", "OUTGOING"]);
    if (type === "wire") {
      if (direction === "INCOMING") throw unprocessable("cannot submit incoming wire transfer using this API");
      throw unprocessable("wire transfers are not implemented by this stand-in");
    }
    if (body.bank_id !== undefined) throw unprocessable("bank_id should be empty for ach transfer");
    if (body.additional_information !== undefined) throw unprocessable("only wire transfer type can provide additional information");
    const amountText = text(body, "amount", "");
    const amount = parseDecimal(amountText, MONEY);
    if (amount === undefined) throw unprocessable("amount is invalid: a decimal string with at most 2 decimal places");
    if (amount === 0n) throw unprocessable("amount must be greater than 0.00");
    const relationshipId = text(body, "relationship_id", "");
    const relationship = state.relationships[relationshipId];
    if (!relationship || relationship.account_id !== account.id || relationship.status !== "APPROVED") throw unprocessable("invalid relationship_id");
    if (account.status !== "ACTIVE") throw forbidden(direction === "INCOMING" ? "deposits are not permitted for this account" : "withdrawals are not permitted for this account");
    if (direction === "OUTGOING") {
      const { available } = balances(account);
      if (amount > available) throw forbidden(`insufficient funds: the amount is above cash_withdrawable (${formatDecimal(available)})`);
    }
    const now = new Date();
    const transfer = {
      id: randomUUID(),
      relationship_id: relationshipId,
      account_id: account.id,
      type: "ach",
      status: "QUEUED",
      reason: null,
      amount: formatDecimal(amount),
      requested_amount: formatDecimal(amount),
      fee: "0",
      direction,
      created_at: now.toISOString(),
      updated_at: now.toISOString(),
      expires_at: new Date(now.getTime() + 7 * 86_400_000).toISOString(),
      additional_information: null,
      hold_until: null,
      instant_amount: "0",
    };
    state.transfers[transfer.id] = transfer;
    later("transfer", transfer.id, "QUEUED", "COMPLETE", settleTransfersAfterMs);
    return transfer;
  }

  /**
   * What a replay of a transfer's key must repeat (section 8): these fields as sent (an omitted field
   * is not the same as the field sent with its default), the amount by value ("100" = "100.00").
   */
  function transferRequestOf(body) {
    const fields = ["transfer_type", "direction", "relationship_id", "bank_id", "fee_payment_method", "additional_information", "ira"];
    const amount = parseDecimal(body.amount, MONEY);
    return JSON.stringify([...fields.map((field) => (field in body ? [body[field]] : null)), amount === undefined ? ["as sent", body.amount ?? null] : String(amount)]);
  }

  /** A transfer create, under its Idempotency-Key when it has one: [status, body, headers]. */
  function createTransferOnce(account, body, keyHeader) {
    if (keyHeader === undefined) return [200, createTransfer(account, body)];
    // Node reads header bytes as latin1: the key's own characters are its bytes read as UTF-8.
    let key;
    try {
      key = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(keyHeader, "latin1"));
    } catch {
      throw badRequest("Idempotency-Key must be UTF-8");
    }
    if (key.length === 0 || [...key].length > 36) throw badRequest("Idempotency-Key must be 1 to 36 characters");
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("the body must be a JSON object");
    const keys = (state.transfer_keys[account.id] ??= {});
    const stored = keys[key];
    if (stored) {
      if (stored.request !== transferRequestOf(body)) throw unprocessable("the Idempotency-Key was used with a different request");
      return [200, state.transfers[stored.transfer_id], { "Idempotency-Replayed": "true" }];
    }
    // Stored only once a transfer is made: a refused request leaves the key free.
    const transfer = createTransfer(account, body);
    keys[key] = { transfer_id: transfer.id, request: transferRequestOf(body) };
    return [200, transfer];
  }

  function listTransfers(account, params) {
    const direction = params.get("direction");
    // Newest first; transfers made in one millisecond in the reverse of the order they were made.
    let found = Object.values(state.transfers)
      .filter((transfer) => transfer.account_id === account.id && (!direction || transfer.direction === direction))
      .sort((a, b) => a.created_at.localeCompare(b.created_at))
      .reverse();
    const offset = Number(params.get("offset") ?? 0);
    const limit = params.has("limit") ? Number(params.get("limit")) : undefined;
    if (!Number.isInteger(offset) || offset < 0 || (limit !== undefined && (!Number.isInteger(limit) || limit < 0))) {
      throw unprocessable("limit and offset must be non-negative integers");
    }
    found = found.slice(offset, limit === undefined ? undefined : offset + limit);
    return found;
  }

  function cancelTransfer(account, id) {
    const transfer = state.transfers[id];
    if (!transfer || transfer.account_id !== account.id) throw notFound("transfer not found");
    if (transfer.status !== "QUEUED") throw unprocessable(`transfer is ${transfer.status} and can no longer be canceled`);
    Object.assign(transfer, { status: "CANCELED", updated_at: new Date().toISOString() });
    fundingEvent("Transfer", transfer, "QUEUED");
    state.pending = state.pending.filter((change) => change.id !== id);
  }

  // ---- orders and positions ----

  function tradingAccount(id) {
    const account = state.accounts[id];
    if (!account) throw notFound("account not found");
    return account;
  }

  function cancel(order) {
    const now = new Date().toISOString();
    Object.assign(order, { status: "canceled", canceled_at: now, updated_at: now });
    tradeEvent("canceled", order);
  }

  function fill(account, order, price) {
    const priceValue = parseDecimal(price, MONEY + 2);
    const qty = order.qty !== null ? parseDecimal(order.qty, PLACES) : divide(parseDecimal(order.notional, MONEY), priceValue, PLACES);
    const value = multiply(qty, priceValue, MONEY);
    const positions = positionsOf(account.id);
    const position = positions[order.symbol] ?? { qty: "0", cost_basis: "0" };
    const held = BigInt(position.qty);
    if (order.side === "buy") {
      account.cash = String(BigInt(account.cash) - value);
      positions[order.symbol] = { qty: String(held + qty), cost_basis: String(BigInt(position.cost_basis) + value) };
    } else {
      account.cash = String(BigInt(account.cash) + value);
      const remaining = held - qty;
      // The cost of what is left, in proportion to the quantity kept.
      if (remaining === 0n) delete positions[order.symbol];
      else positions[order.symbol] = { qty: String(remaining), cost_basis: String(proportion(BigInt(position.cost_basis), remaining, held, MONEY)) };
    }
    const now = new Date().toISOString();
    Object.assign(order, { status: "filled", filled_qty: formatDecimal(qty), filled_avg_price: price, filled_at: now, updated_at: now });
    tradeEvent("fill", order, { execution_id: randomUUID(), price: formatDecimal(priceValue), qty: formatDecimal(qty), position_qty: formatDecimal(BigInt(positions[order.symbol]?.qty ?? "0")) });
  }

  /** What an order's quantity is worth at `price`: for the buying-power check. */
  function orderCost(qty, notional, price) {
    return notional !== undefined ? notional : multiply(qty, price, MONEY);
  }

  function createOrder(account, body) {
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("the body must be a JSON object");
    const symbol = text(body, "symbol", "");
    const side = oneOf(body, "side", "", ["buy", "sell"]);
    const type = oneOf(body, "type", "", ["market", "limit", "stop", "stop_limit", "trailing_stop"]);
    const timeInForce = oneOf(body, "time_in_force", "", ["day", "gtc", "opg", "cls", "ioc", "fok"]);
    const asset = PRICES[symbol];
    if (!asset) throw unprocessable(`asset "${symbol}" not found`);
    if (asset.tradable === false) throw unprocessable(`asset "${symbol}" is not tradable`);
    if (body.qty !== undefined && body.notional !== undefined) throw unprocessable("only one of qty or notional may be given");
    if (body.qty === undefined && body.notional === undefined) throw unprocessable("qty or notional is required");
    const qty = body.qty !== undefined ? parseDecimal(body.qty, PLACES) : undefined;
    const notional = body.notional !== undefined ? parseDecimal(body.notional, MONEY) : undefined;
    if (body.qty !== undefined && !qty) throw unprocessable("qty is invalid: a positive decimal string with at most 9 decimal places");
    if (body.notional !== undefined && !notional) throw unprocessable("notional is invalid: a positive decimal string with at most 2 decimal places");
    const fractional = notional !== undefined || qty % ONE !== 0n;
    if (fractional) {
      if (!asset.fractionable) throw unprocessable(`asset "${symbol}" is not fractionable`);
      if (!["market", "limit"].includes(type) || timeInForce !== "day") throw unprocessable("fractional orders must be market or limit orders with time_in_force day");
    }
    const limitPrice = ["limit", "stop_limit"].includes(type) ? parseDecimal(text(body, "limit_price", ""), MONEY + 2) : undefined;
    const stopPrice = ["stop", "stop_limit"].includes(type) ? parseDecimal(text(body, "stop_price", ""), MONEY + 2) : undefined;
    if (limitPrice === 0n || (limitPrice === undefined && ["limit", "stop_limit"].includes(type))) throw unprocessable("limit_price is invalid");
    if (stopPrice === 0n || (stopPrice === undefined && ["stop", "stop_limit"].includes(type))) throw unprocessable("stop_price is invalid");
    const trail = type === "trailing_stop" ? trailOf(body, side, asset.price) : undefined;
    if (body.extended_hours === true && !(type === "limit" && timeInForce === "day")) throw unprocessable("extended hours orders must be limit orders with time_in_force day");
    const clientOrderId = text(body, "client_order_id", "", { required: false, max: 128 }) ?? randomUUID();
    if (Object.values(state.orders).some((order) => order.account_id === account.id && order.client_order_id === clientOrderId)) {
      throw unprocessable("client_order_id must be unique");
    }
    if (account.status !== "ACTIVE") throw forbidden("account is not active: trading is not permitted");

    const price = parseDecimal(asset.price, MONEY);
    const marketable = type === "market" || (type === "limit" && (side === "buy" ? limitPrice >= price : limitPrice <= price));
    const { available } = balances(account);
    if (side === "buy") {
      const cost = orderCost(qty, notional, marketable ? price : (limitPrice ?? stopPrice ?? price));
      if (cost < ONE) throw forbidden("cost basis must be >= 1");
      if (cost > available) {
        throw forbidden("insufficient buying power", { buying_power: formatDecimal(available), cost_basis: formatDecimal(cost) });
      }
    } else {
      const position = positionsOf(account.id)[symbol];
      if (!position) throw forbidden("account is not allowed to short");
      const sellQty = qty ?? divide(notional, price, PLACES);
      const availableQty = BigInt(position.qty) - heldBySells(account.id, symbol);
      if (sellQty > availableQty) {
        throw forbidden(`insufficient qty available for order (requested: ${formatDecimal(sellQty)}, available: ${formatDecimal(availableQty)})`);
      }
    }
    const now = new Date().toISOString();
    const order = {
      id: randomUUID(),
      account_id: account.id,
      client_order_id: clientOrderId,
      created_at: now,
      updated_at: now,
      submitted_at: now,
      filled_at: null,
      expired_at: null,
      canceled_at: null,
      failed_at: null,
      replaced_at: null,
      replaced_by: null,
      replaces: null,
      asset_id: asset.asset_id,
      symbol,
      asset_class: "us_equity",
      notional: notional !== undefined ? formatDecimal(notional) : null,
      qty: qty !== undefined ? formatDecimal(qty) : null,
      filled_qty: "0",
      filled_avg_price: null,
      order_class: "simple",
      order_type: type,
      type,
      side,
      time_in_force: timeInForce,
      limit_price: limitPrice !== undefined ? formatDecimal(limitPrice) : null,
      stop_price: stopPrice !== undefined ? formatDecimal(stopPrice) : (trail?.stop_price ?? null),
      trail_price: trail?.trail_price ?? null,
      trail_percent: trail?.trail_percent ?? null,
      hwm: trail?.hwm ?? null,
      status: "new",
      extended_hours: body.extended_hours === true,
      legs: null,
      commission: "0",
    };
    state.orders[order.id] = order;
    tradeEvent("new", order);
    if (marketable) fill(account, order, asset.price);
    // Immediate-or-cancel and fill-or-kill orders that cannot fill now do not rest.
    else if (["ioc", "fok"].includes(timeInForce)) cancel(order);
    return order;
  }

  /**
   * A trailing stop's trail (exactly one of trail_price and trail_percent) and where its stop starts:
   * the price is its high-water mark (a buy's low-water mark), the stop that far below it (above it).
   */
  function trailOf(body, side, price) {
    const byPrice = body.trail_price !== undefined;
    if (byPrice === (body.trail_percent !== undefined)) throw unprocessable("exactly one of trail_price or trail_percent is required");
    const trail = parseDecimal(byPrice ? body.trail_price : body.trail_percent, MONEY + 2);
    if (!trail || (!byPrice && trail >= 100n * ONE)) throw unprocessable(`${byPrice ? "trail_price" : "trail_percent"} is invalid`);
    const mark = parseDecimal(price, MONEY);
    const hundred = 100n * ONE;
    const stop = byPrice ? (side === "sell" ? mark - trail : mark + trail) : proportion(mark, side === "sell" ? hundred - trail : hundred + trail, hundred, MONEY);
    if (stop <= 0n) throw unprocessable("trail_price is invalid: larger than the price");
    return { hwm: price, stop_price: formatDecimal(stop), trail_price: byPrice ? formatDecimal(trail) : null, trail_percent: byPrice ? null : formatDecimal(trail) };
  }

  /** Orders the Broker API does not replace: not open, or not routed yet (broker-api.md section 14). */
  const NOT_REPLACEABLE = new Set(["accepted", "pending_new", "pending_cancel", "pending_replace"]);

  /**
   * PATCH an order: a new order with the changes and the rest inherited; the old one `replaced`. It is
   * placed as any order is (buying power, the fill), the old one's hold released first, and the old
   * one kept as it was when the new one is refused.
   */
  function replaceOrder(account, order, body) {
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw badRequest("the body must be a JSON object");
    if (!OPEN_ORDER.has(order.status) || NOT_REPLACEABLE.has(order.status)) throw unprocessable(`order is already in "${order.status}" state`);
    if (order.notional !== null) throw unprocessable("notional orders cannot be replaced: cancel and place a new one");
    if (body.qty !== undefined && !/^\d+$/.test(String(body.qty))) throw unprocessable("qty is invalid: whole shares only");
    if (body.trail !== undefined && order.type !== "trailing_stop") throw unprocessable("trail is only for trailing_stop orders");
    const pick = (field) => (body[field] !== undefined ? body[field] : (order[field] ?? undefined));
    const trailField = order.trail_price !== null ? "trail_price" : "trail_percent";
    const replacement = {
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      time_in_force: pick("time_in_force"),
      qty: pick("qty"),
      limit_price: ["limit", "stop_limit"].includes(order.type) ? pick("limit_price") : undefined,
      stop_price: ["stop", "stop_limit"].includes(order.type) ? pick("stop_price") : undefined,
      ...(order.type === "trailing_stop" ? { [trailField]: body.trail ?? order[trailField] } : {}),
      extended_hours: order.extended_hours,
      client_order_id: body.client_order_id,
    };
    const before = { status: order.status, updated_at: order.updated_at };
    order.status = "replaced";
    let created;
    try {
      created = createOrder(account, replacement);
    } catch (error) {
      Object.assign(order, before);
      throw error;
    }
    const now = new Date().toISOString();
    Object.assign(order, { replaced_by: created.id, replaced_at: now, updated_at: now });
    created.replaces = order.id;
    return created;
  }

  /** DELETE every open order: 207, each order's outcome (the stand-in's cancels always succeed). */
  function cancelAll(account) {
    return openOrders(account.id).map((order) => {
      cancel(order);
      return { id: order.id, status: 200, body: orderView(order) };
    });
  }

  function orderView({ account_id: _account, ...view }) {
    return view;
  }

  function listOrders(account, params) {
    const status = params.get("status") ?? "open";
    if (!["open", "closed", "all"].includes(status)) throw unprocessable("status is invalid: open, closed or all");
    const limit = Number(params.get("limit") ?? 50);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw unprocessable("limit is invalid: 1 to 500");
    const direction = params.get("direction") ?? "desc";
    if (!["asc", "desc"].includes(direction)) throw unprocessable("direction is invalid: asc or desc");
    const after = params.get("after");
    const until = params.get("until");
    const symbols = (params.get("symbols") ?? "").split(",").filter(Boolean);
    const found = Object.values(state.orders).filter(
      (order) =>
        order.account_id === account.id &&
        (status === "all" || (status === "open") === OPEN_ORDER.has(order.status)) &&
        (!after || order.submitted_at > after) &&
        (!until || order.submitted_at < until) &&
        (!symbols.length || symbols.includes(order.symbol)),
    );
    found.sort((a, b) => a.submitted_at.localeCompare(b.submitted_at));
    if (direction === "desc") found.reverse();
    return found.slice(0, limit).map(orderView);
  }

  function orderOf(account, id) {
    const order = state.orders[id];
    if (!order || order.account_id !== account.id) throw notFound("order not found");
    return order;
  }

  function positionView(symbol, { qty, cost_basis }, accountId) {
    const asset = PRICES[symbol];
    const price = parseDecimal(asset.price, MONEY);
    const quantity = BigInt(qty);
    const cost = BigInt(cost_basis);
    const marketValue = multiply(quantity, price, MONEY);
    const pl = marketValue - cost;
    const plpc = cost === 0n ? "0" : formatDecimal(divide(pl, cost, 4));
    return {
      asset_id: asset.asset_id,
      symbol,
      exchange: asset.exchange,
      asset_class: "us_equity",
      asset_marginable: false,
      qty: formatDecimal(quantity),
      qty_available: formatDecimal(quantity - heldBySells(accountId, symbol)),
      side: "long",
      avg_entry_price: formatDecimal(divide(cost, quantity, MONEY + 2)),
      market_value: formatDecimal(marketValue),
      cost_basis: formatDecimal(cost),
      unrealized_pl: formatDecimal(pl),
      unrealized_plpc: plpc,
      unrealized_intraday_pl: formatDecimal(pl),
      unrealized_intraday_plpc: plpc,
      current_price: asset.price,
      lastday_price: asset.price,
      change_today: "0",
    };
  }

  function positionOf(account, symbol) {
    const position = positionsOf(account.id)[symbol];
    if (!position) throw notFound("position does not exist");
    return position;
  }

  function closePosition(account, symbol, params) {
    const position = positionOf(account, symbol);
    const held = BigInt(position.qty);
    let qty = held;
    if (params.has("qty")) {
      qty = parseDecimal(params.get("qty"), PLACES);
      if (!qty) throw unprocessable("qty is invalid");
    } else if (params.has("percentage")) {
      const percentage = parseDecimal(params.get("percentage"), PLACES);
      if (!percentage || percentage > 100n * ONE) throw unprocessable("percentage is invalid: above 0, at most 100");
      qty = divide(multiply(held, percentage, PLACES), 100n * ONE, PLACES);
    }
    return createOrder(account, { symbol, side: "sell", type: "market", time_in_force: "day", qty: formatDecimal(qty) });
  }

  // ---- Plaid ----

  const INSTITUTIONS = { ins_109508: "First Platypus Bank", ins_109509: "First Gingham Credit Union", ins_109510: "Tattersall Federal Credit Union", ins_109511: "Tartan Bank" };

  function plaidCall(route, body, headers) {
    if (typeof body !== "object" || body === null || Array.isArray(body)) throw new PlaidError(400, "INVALID_REQUEST", "INVALID_BODY", "body could not be parsed as JSON");
    const clientId = body.client_id ?? headers["plaid-client-id"];
    const clientSecret = body.secret ?? headers["plaid-secret"];
    if (clientId === undefined || clientSecret === undefined) {
      throw new PlaidError(400, "INVALID_REQUEST", "MISSING_FIELDS", `the following required fields are missing: ${clientId === undefined ? "client_id" : "secret"}`);
    }
    if (clientId !== plaidClientId || clientSecret !== plaidSecret) throw plaidInput("INVALID_API_KEYS", "invalid client_id or secret provided");
    const missing = (fields) => {
      const absent = fields.filter((field) => body[field] === undefined || body[field] === "");
      if (absent.length) throw new PlaidError(400, "INVALID_REQUEST", "MISSING_FIELDS", `the following required fields are missing: ${absent.join(", ")}`);
    };
    const request_id = requestId();
    switch (route) {
      case "/link/token/create": {
        missing(["client_name", "language", "country_codes", "user", "products"]);
        if (typeof body.user?.client_user_id !== "string" || !body.user.client_user_id) {
          throw new PlaidError(400, "INVALID_REQUEST", "MISSING_FIELDS", "the following required fields are missing: user.client_user_id");
        }
        if (String(body.client_name).length > 30) throw new PlaidError(400, "INVALID_REQUEST", "INVALID_FIELD", "client_name must be at most 30 characters");
        return { link_token: `link-sandbox-${randomUUID()}`, expiration: new Date(Date.now() + 4 * 3_600_000).toISOString().replace(/\.\d+Z$/, "Z"), request_id };
      }
      case "/sandbox/public_token/create": {
        missing(["institution_id", "initial_products"]);
        const name = INSTITUTIONS[body.institution_id];
        if (!name) throw plaidInput("INVALID_INSTITUTION", `invalid institution_id provided: ${String(body.institution_id)}`);
        const token = `public-sandbox-${randomUUID()}`;
        state.plaid.public_tokens[token] = { institution: name, expires_at: Date.now() + 30 * 60_000 };
        return { public_token: token, request_id };
      }
      case "/item/public_token/exchange": {
        missing(["public_token"]);
        const issued = state.plaid.public_tokens[body.public_token];
        if (!issued || issued.expires_at < Date.now()) throw plaidInput("INVALID_PUBLIC_TOKEN", "provided public token is expired or invalid");
        delete state.plaid.public_tokens[body.public_token];
        const item_id = randomUUID().replace(/-/g, "");
        const access_token = `access-sandbox-${randomUUID()}`;
        state.plaid.items[access_token] = {
          item_id,
          institution: issued.institution,
          accounts: [{ account_id: randomUUID().replace(/-/g, ""), name: "Plaid Checking", mask: "0000", type: "depository", subtype: "checking" }],
        };
        return { access_token, item_id, request_id };
      }
      case "/accounts/get": {
        missing(["access_token"]);
        const item = state.plaid.items[body.access_token];
        if (!item) throw plaidInput("INVALID_ACCESS_TOKEN", "provided access token is in an invalid format or not found");
        return { accounts: item.accounts, item: { item_id: item.item_id, institution_id: null }, request_id };
      }
      case "/item/remove": {
        missing(["access_token"]);
        if (!state.plaid.items[body.access_token]) throw plaidInput("INVALID_ACCESS_TOKEN", "provided access token is in an invalid format or not found");
        delete state.plaid.items[body.access_token];
        return { request_id };
      }
      case "/processor/token/create": {
        missing(["access_token", "account_id", "processor"]);
        const item = state.plaid.items[body.access_token];
        if (!item) throw plaidInput("INVALID_ACCESS_TOKEN", "provided access token is in an invalid format or not found");
        const account = item.accounts.find((entry) => entry.account_id === body.account_id);
        if (!account) throw plaidInput("INVALID_ACCOUNT_ID", "the provided account_id is not valid for this item");
        if (body.processor !== "alpaca") throw plaidInput("INVALID_PROCESSOR", "this stand-in issues processor tokens for alpaca only");
        const processor_token = `processor-sandbox-${randomUUID()}`;
        state.plaid.processor_tokens[processor_token] = { owner_name: "Alberta Bobbeth Charleson", name: account.name, mask: account.mask };
        return { processor_token, request_id };
      }
      default:
        throw new PlaidError(404, "INVALID_REQUEST", "UNKNOWN_ENDPOINT", `${route} is not an endpoint of this stand-in`);
    }
  }

  // ---- account data: activities, portfolio history, documents (standin-account-data.mjs) ----

  const data = accountData({ state, prices: PRICES, errors: { badRequest, unprocessable, notFound }, later, urlOf: () => url });

  // ---- routing ----

  const ID = "([0-9a-fA-F-]{36})";
  /** [method, path pattern, handler(match, body, params, headers) -> [status, body?, headers?]]; an answer body is sent as JSON. */
  const routes = [
    ["POST", /^\/v1\/accounts$/, (_, body) => [200, accountView(createAccount(body))]],
    ["GET", /^\/v1\/accounts$/, (_, __, params) => [200, searchAccounts(params)]],
    ["GET", new RegExp(`^/v1/accounts/${ID}$`), ([, id]) => [200, accountView(accountOr401(id))]],
    ["PATCH", new RegExp(`^/v1/accounts/${ID}$`), ([, id], body) => [200, accountView(patchAccount(accountOr401(id), body))]],
    ["POST", new RegExp(`^/v1/accounts/${ID}/actions/close$`), ([, id]) => (closeAccount(id), [204])],
    ["GET", new RegExp(`^/v1/trading/accounts/${ID}/account$`), ([, id]) => [200, tradeAccountView(tradingAccount(id))]],
    ["POST", new RegExp(`^/v1/accounts/${ID}/ach_relationships$`), ([, id], body) => [200, relationshipView(createRelationship(accountOr401(id), body))]],
    [
      "GET",
      new RegExp(`^/v1/accounts/${ID}/ach_relationships$`),
      ([, id], _, params) => {
        const account = accountOr401(id);
        const statuses = (params.get("statuses") ?? "").split(",").filter(Boolean);
        const found = Object.values(state.relationships).filter((rel) => rel.account_id === account.id && (!statuses.length || statuses.includes(rel.status)));
        return [200, found.map(relationshipView)];
      },
    ],
    [
      "DELETE",
      new RegExp(`^/v1/accounts/${ID}/ach_relationships/${ID}$`),
      ([, id, relId]) => {
        const relationship = relationshipOf(accountOr401(id), relId);
        const from = relationship.status;
        Object.assign(relationship, { status: "CANCELED", updated_at: new Date().toISOString() });
        fundingEvent("BankRelationship", relationship, from);
        state.pending = state.pending.filter((change) => change.id !== relId);
        return [204];
      },
    ],
    ["POST", new RegExp(`^/v1/accounts/${ID}/transfers$`), ([, id], body, _, headers) => createTransferOnce(accountOr401(id), body, headers["idempotency-key"])],
    ["GET", new RegExp(`^/v1/accounts/${ID}/transfers$`), ([, id], _, params) => [200, listTransfers(accountOr401(id), params)]],
    ["DELETE", new RegExp(`^/v1/accounts/${ID}/transfers/${ID}$`), ([, id, transferId]) => (cancelTransfer(accountOr401(id), transferId), [204])],
    ["POST", new RegExp(`^/v1/trading/accounts/${ID}/orders$`), ([, id], body) => [200, orderView(createOrder(tradingAccount(id), body))]],
    ["GET", new RegExp(`^/v1/trading/accounts/${ID}/orders$`), ([, id], _, params) => [200, listOrders(tradingAccount(id), params)]],
    ["DELETE", new RegExp(`^/v1/trading/accounts/${ID}/orders$`), ([, id]) => [207, cancelAll(tradingAccount(id))]],
    [
      "PATCH",
      new RegExp(`^/v1/trading/accounts/${ID}/orders/${ID}$`),
      ([, id, orderId], body) => {
        const account = tradingAccount(id);
        return [200, orderView(replaceOrder(account, orderOf(account, orderId), body))];
      },
    ],
    [
      "GET",
      new RegExp(`^/v1/trading/accounts/${ID}/orders:by_client_order_id$`),
      ([, id], _, params) => {
        const account = tradingAccount(id);
        const wanted = params.get("client_order_id");
        const order = Object.values(state.orders).find((entry) => entry.account_id === account.id && entry.client_order_id === wanted);
        if (!order) throw notFound("order not found");
        return [200, orderView(order)];
      },
    ],
    ["GET", new RegExp(`^/v1/trading/accounts/${ID}/orders/${ID}$`), ([, id, orderId]) => [200, orderView(orderOf(tradingAccount(id), orderId))]],
    [
      "DELETE",
      new RegExp(`^/v1/trading/accounts/${ID}/orders/${ID}$`),
      ([, id, orderId]) => {
        const order = orderOf(tradingAccount(id), orderId);
        if (!OPEN_ORDER.has(order.status)) throw unprocessable(`order is already in "${order.status}" state`);
        cancel(order);
        return [204];
      },
    ],
    [
      "GET",
      new RegExp(`^/v1/trading/accounts/${ID}/positions$`),
      ([, id]) => {
        const account = tradingAccount(id);
        return [200, Object.entries(positionsOf(account.id)).map(([symbol, position]) => positionView(symbol, position, account.id))];
      },
    ],
    [
      "GET",
      new RegExp(`^/v1/trading/accounts/${ID}/positions/([^/]+)$`),
      ([, id, symbol]) => {
        const account = tradingAccount(id);
        const decoded = decodeURIComponent(symbol);
        return [200, positionView(decoded, positionOf(account, decoded), account.id)];
      },
    ],
    [
      "DELETE",
      new RegExp(`^/v1/trading/accounts/${ID}/positions/([^/]+)$`),
      ([, id, symbol], _, params) => [200, orderView(closePosition(tradingAccount(id), decodeURIComponent(symbol), params))],
    ],
    // The asset list (no account id): active US equities, all of them here.
    [
      "GET",
      /^\/v1\/assets$/,
      (_, __, params) => {
        const status = params.get("status");
        const assetClass = params.get("asset_class");
        const listed = (!status || status === "active") && (!assetClass || assetClass === "us_equity");
        return [200, listed ? Object.keys(PRICES).map(assetView) : []];
      },
    ],
    [
      "GET",
      /^\/v1\/assets\/([^/]+)$/,
      ([, symbol]) => {
        const decoded = decodeURIComponent(symbol);
        const found = Object.keys(PRICES).find((known) => known === decoded || PRICES[known].asset_id === decoded);
        if (!found) throw notFound("asset not found");
        return [200, assetView(found)];
      },
    ],
    ["GET", /^\/v1\/accounts\/activities$/, (_, __, params) => [200, data.listActivities(params)]],
    ["GET", new RegExp(`^/v1/trading/accounts/${ID}/account/portfolio/history$`), ([, id], _, params) => [200, data.portfolioHistory(tradingAccount(id), params)]],
    ["GET", new RegExp(`^/v1/accounts/${ID}/documents$`), ([, id], _, params) => [200, data.listDocuments(accountOr401(id), params)]],
    ["GET", new RegExp(`^/v1/accounts/${ID}/documents/${ID}/download$`), ([, id, documentId]) => data.download(accountOr401(id), documentId)],
    ["POST", new RegExp(`^/v1/accounts/${ID}/documents/upload$`), ([, id], body) => data.upload(accountOr401(id), body)],
    // The market's clock and calendar (Broker API), and the Market Data API's snapshots and bars (market-standin.mjs).
    ["GET", /^\/v1\/clock$/, () => [200, market.clock()]],
    ["GET", /^\/v1\/calendar$/, (_, __, params) => [200, market.calendar(params)]],
    [
      "GET",
      /^\/v2\/stocks\/snapshots$/,
      (_, __, params) => {
        const symbols = (params.get("symbols") ?? "").split(",").filter(Boolean);
        if (!symbols.length) throw badRequest("symbols is required");
        return [200, Object.fromEntries(symbols.filter((symbol) => PRICES[symbol]).map((symbol) => [symbol, market.snapshot(basePrice(symbol), symbol)]))];
      },
    ],
    [
      "GET",
      /^\/v2\/stocks\/([^/]+)\/bars$/,
      ([, symbol], _, params) => {
        const decoded = decodeURIComponent(symbol);
        const answer = PRICES[decoded] ? market.bars(basePrice(decoded), decoded, params) : { bars: [], symbol: decoded, next_page_token: null };
        if (answer.error) throw badRequest(answer.error);
        return [200, answer];
      },
    ],
  ];

  /** A symbol's fill price as a number of dollars: where its market data path is centred. */
  const basePrice = (symbol) => Number(PRICES[symbol].price);

  // A fixed window per minute, shared by every caller (the Broker API counts per correspondent).
  let window = { resetAt: 0, used: 0 };
  function rateLimitHeaders() {
    const now = Math.floor(Date.now() / 1000);
    if (now >= window.resetAt) window = { resetAt: now + RATE_LIMIT_WINDOW_S, used: 0 };
    window.used += 1;
    return {
      over: window.used > rateLimitPerMinute,
      headers: {
        "X-RateLimit-Limit": String(rateLimitPerMinute),
        "X-RateLimit-Remaining": String(Math.max(0, rateLimitPerMinute - window.used)),
        "X-RateLimit-Reset": String(window.resetAt),
      },
    };
  }

  /** A body of at most 1 MB; a document upload's, 15 MB (ten documents' worth would be more: the API sends one at a time). */
  async function readJson(req, path) {
    const max = /\/documents\/upload$/.test(path) ? 15_000_000 : 1_000_000;
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > max) throw badRequest(`the body is larger than ${max / 1_000_000} MB`);
      chunks.push(chunk);
    }
    const raw = Buffer.concat(chunks).toString("utf8");
    if (!raw) return undefined;
    try {
      return JSON.parse(raw);
    } catch (error) {
      return { [INVALID_JSON]: error.message };
    }
  }
  const INVALID_JSON = Symbol("invalid JSON");

  async function handle(req, res) {
    const { over, headers } = rateLimitHeaders();
    const send = (status, body, more = {}) => {
      // A file (a statement's PDF) is sent as its bytes.
      if (Buffer.isBuffer(body)) return res.writeHead(status, { ...headers, ...more, "Content-Length": String(body.length) }).end(body);
      const json = body === undefined ? undefined : JSON.stringify(body);
      res.writeHead(status, { ...headers, ...more, ...(json === undefined ? {} : { "Content-Type": "application/json; charset=utf-8" }) }).end(json);
    };
    const url = new URL(req.url ?? "/", "http://standin");
    try {
      advance();
      const body = await readJson(req, url.pathname);
      if (url.pathname.startsWith("/plaid/")) {
        if (req.method !== "POST") throw new PlaidError(405, "INVALID_REQUEST", "INVALID_HTTP_METHOD", "Plaid endpoints take POST");
        if (body?.[INVALID_JSON]) throw new PlaidError(400, "INVALID_REQUEST", "INVALID_BODY", "body could not be parsed as JSON");
        const answer = plaidCall(url.pathname.slice("/plaid".length), body, req.headers);
        save();
        return send(200, answer);
      }
      if (url.pathname.startsWith("/_standin/")) {
        const control = CONTROLS.find(([pattern]) => pattern.test(url.pathname));
        if (!control) throw notFound("no such control");
        if (req.method !== "POST") throw new BrokerError(405, 40510000, "method not allowed");
        const answer = control[1](control[0].exec(url.pathname), body);
        save();
        return send(200, answer);
      }
      // A document's "pre-signed" link: its signature, not our key, lets it open (as S3's links do).
      const link = /^\/documents\/([0-9a-f-]{36})\.pdf$/.exec(url.pathname);
      if (link && req.method === "GET") return send(...data.link(link[1], url.searchParams.get("signature")));
      if (req.headers.authorization !== expectedAuth) throw NOT_AUTHORIZED();
      if (over) throw new BrokerError(429, 42910000, "rate limit exceeded");
      if (body?.[INVALID_JSON]) throw badRequest(body[INVALID_JSON]);
      const stream = STREAMS[url.pathname];
      if (stream && req.method === "GET") return openStream(req, res, url, stream, headers);
      for (const [method, pattern, handler] of routes) {
        const match = pattern.exec(url.pathname);
        if (!match || method !== req.method) continue;
        const [status, answer, more] = handler(match, body, url.searchParams, req.headers);
        if (req.method !== "GET") {
          save();
          schedule();
        }
        return send(status, answer, more);
      }
      const known = routes.some(([, pattern]) => pattern.test(url.pathname));
      throw known ? new BrokerError(405, 40510000, "method not allowed") : notFound("endpoint not found");
    } catch (error) {
      if (error instanceof BrokerError || error instanceof PlaidError) return send(error.status, error.body);
      log(`[broker-standin] ${req.method} ${url.pathname} failed: ${error.stack ?? error}`);
      return send(500, { code: 50010000, message: "internal server error" });
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, resolve);
  });
  const url = `http://${HOST}:${server.address().port}`;
  writeFileSync(path.join(dir, "url"), url);
  advance();
  const shownDir = path.relative(process.cwd(), dir).startsWith("..") ? dir : `${path.relative(process.cwd(), dir)}/`;
  log(`[broker-standin] running on ${url}: a development stand-in for the Alpaca Broker API and Plaid's sandbox, not the Broker API (data in ${shownDir})`);
  return {
    url,
    streamsOpen: () => listeners.size,
    async stop() {
      clearTimeout(timer);
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      });
    },
  };
}

/** The Worker variables that point the API at a stand-in. */
export function standinVars(url) {
  return { BROKER_API_URL: url, MARKET_DATA_URL: url, APCA_BROKER_API_KEY: LOCAL_KEY_ID, APCA_BROKER_API_SECRET: LOCAL_SECRET };
}

// `node scripts/broker-standin.mjs`: on BROKER_STANDIN_PORT (else a free port), data in .local/broker-standin/.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
  const standin = await startBrokerStandin({
    port: Number(process.env.BROKER_STANDIN_PORT ?? 0),
    dir: path.join(root, ".local", "broker-standin"),
    keyId: LOCAL_KEY_ID,
    secret: LOCAL_SECRET,
  });
  const vars = standinVars(standin.url);
  console.log(`[broker-standin] for the Worker: ${Object.entries(vars).map(([name, value]) => `${name}=${value}`).join(" ")}`);
  const stop = () => standin.stop().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
