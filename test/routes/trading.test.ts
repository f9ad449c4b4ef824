// Orders, positions and the activity trail in workerd against real D1, with a scripted Broker API
// replaying its recorded answers and a scripted Cognito for the step up.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { BROKER_ERRORS, notionalMarketOrderAccepted, positions } from "../fixtures/broker";
import type { OrderResponse } from "../../src/schemas/funding-responses";
import { clientOrderId } from "../../src/services/idempotency";
import { accountHolder, auditDetails, moneyTrail } from "../support/funding";
import { problemOf, settled, visibleAnswer } from "../support/worker";
import { timingOut } from "../support/timeouts";

const ORDERS = "/platform/accounts/me/orders";
const POSITIONS = "/platform/accounts/me/positions";
const BUY = { symbol: "aapl", side: "buy", type: "market", time_in_force: "day", notional: "500.00" };
const key = () => crypto.randomUUID();

/** The Broker's order as the API answers it: typed by the one definition, so a field renamed there does not compile here. */
type RecordedOrder = Omit<typeof notionalMarketOrderAccepted, "qty" | "notional" | "limit_price" | "filled_avg_price"> & { qty: string | null; notional: string | null; limit_price: string | null; filled_avg_price: string | null; replaces?: string };
const orderView = (order: RecordedOrder): OrderResponse => ({
  id: order.id,
  client_order_id: order.client_order_id,
  status: order.status,
  symbol: order.symbol,
  side: order.side,
  type: order.type,
  time_in_force: order.time_in_force,
  qty: order.qty,
  notional: order.notional,
  filled_qty: order.filled_qty,
  filled_avg_price: order.filled_avg_price,
  limit_price: order.limit_price,
  stop_price: order.stop_price,
  trail_price: null,
  trail_percent: null,
  extended_hours: order.extended_hours,
  replaces: order.replaces ?? null,
  replaced_by: null,
  created_at: order.created_at,
});

describe("POST /platform/accounts/me/orders", () => {
  it("places the order with a client_order_id derived from the user and the key: 201 the order", async () => {
    const user = await accountHolder({ "POST /v1/trading/accounts/{id}/orders": [{ body: notionalMarketOrderAccepted }] });
    const k = key();
    const res = await user.post(ORDERS, BUY, k);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual(orderView(notionalMarketOrderAccepted));
    const post = (await user.calls()).find((call) => call.action === "POST /v1/trading/accounts/{id}/orders");
    expect(post!.path).toBe(`/v1/trading/accounts/${user.accountId}/orders`);
    const id = await clientOrderId(user.sub, k);
    expect(id).toMatch(/^[\w-]{43}$/);
    expect(post!.body).toEqual({ symbol: "AAPL", side: "buy", type: "market", time_in_force: "day", notional: "500.00", client_order_id: id });
    expect(await moneyTrail(user.sub)).toEqual([{ action: "order.create", outcome: "ok", idempotency_key: k, amount: "500.00", symbol: "AAPL" }]);
  });

  it("writes what happened in the audit row: side, qty or notional, type, symbol and the order's id", async () => {
    const limitSell = { ...notionalMarketOrderAccepted, id: crypto.randomUUID(), side: "sell", type: "limit", qty: "2", notional: null, limit_price: "150" };
    const user = await accountHolder({ "POST /v1/trading/accounts/{id}/orders": [{ body: notionalMarketOrderAccepted }, { body: limitSell }] });
    const [k1, k2] = [key(), key()];
    expect((await user.post(ORDERS, BUY, k1)).status).toBe(201);
    expect((await user.post(ORDERS, { symbol: "AAPL", side: "sell", type: "limit", time_in_force: "day", qty: "2", limit_price: "150" }, k2)).status).toBe(201);
    const none = { direction: null, bank_link_id: null, symbol: "AAPL", action: "order.create", outcome: "ok" };
    expect(await auditDetails(user.sub)).toEqual([
      { ...none, idempotency_key: k1, side: "buy", qty: null, amount: "500.00", order_type: "market", object_id: notionalMarketOrderAccepted.id },
      { ...none, idempotency_key: k2, side: "sell", qty: "2", amount: null, order_type: "limit", object_id: limitSell.id },
    ]);
  });

  it("replays the key with no Broker call, marked Idempotency-Replayed: true; another body is 422", async () => {
    const user = await accountHolder({ "POST /v1/trading/accounts/{id}/orders": [{ body: notionalMarketOrderAccepted }] });
    const k = key();
    const first = await visibleAnswer(await user.post(ORDERS, BUY, k));
    expect(await visibleAnswer(await user.post(ORDERS, BUY, k))).toEqual({ ...first, headers: { ...first.headers, "idempotency-replayed": "true" } });
    expect(await user.brokerTrail()).toHaveLength(1);
    expect((await problemOf(await user.post(ORDERS, { ...BUY, notional: "5.00" }, k))).code).toBe("idempotency_key_reused");
  });

  it("does not call an account's own refusal (not active) an untradable asset", async () => {
    const user = await accountHolder({ "POST /v1/trading/accounts/{id}/orders": [{ status: 403, body: { code: 40310000, message: "account is not active" } }] });
    const problem = await problemOf(await user.post(ORDERS, BUY, key()));
    expect(problem.code).toBe("order_rejected");
    expect(problem.detail).not.toContain("asset");
  });

  it("passes the Broker API's refusal on as 422 order_rejected with its reason in our words", async () => {
    const user = await accountHolder({ "POST /v1/trading/accounts/{id}/orders": [{ status: 403, body: { code: 40310000, message: "insufficient buying power" } }] });
    const res = await user.post(ORDERS, BUY, key());
    expect(res.status).toBe(422);
    expect(await problemOf(res)).toMatchObject({ code: "order_rejected", detail: "The broker rejected the order: The account's buying power is not enough for this order." });
    const fractions = await accountHolder({ "POST /v1/trading/accounts/{id}/orders": [{ status: 422, body: { code: 40010001, message: "asset BRK.A is not fractionable" } }], "GET /v1/trading/accounts/{id}/orders:by_client_order_id": [BROKER_ERRORS.orderNotFound] });
    expect(await problemOf(await fractions.post(ORDERS, { ...BUY, notional: undefined, qty: "0.5" }, key()))).toMatchObject({
      code: "order_rejected",
      detail: "The broker rejected the order: The asset cannot be traded in fractions: use a whole quantity.",
    });
  });

  it("does not take another order placed with the key's client_order_id (a key used again after its 24 hours) as this one", async () => {
    const user = await accountHolder({
      "POST /v1/trading/accounts/{id}/orders": [BROKER_ERRORS.clientOrderIdNotUnique],
      "GET /v1/trading/accounts/{id}/orders:by_client_order_id": [{ body: { ...notionalMarketOrderAccepted, symbol: "MSFT" } }],
    });
    const res = await user.post(ORDERS, BUY, key());
    expect([res.status, (await problemOf(res)).code]).toEqual([422, "idempotency_key_reused"]);
  });

  it("finds the order when the Broker API says the client_order_id was used: the key's order, not a refusal", async () => {
    const user = await accountHolder({
      "POST /v1/trading/accounts/{id}/orders": [BROKER_ERRORS.clientOrderIdNotUnique],
      "GET /v1/trading/accounts/{id}/orders:by_client_order_id": [{ body: notionalMarketOrderAccepted }],
    });
    const k = key();
    const res = await user.post(ORDERS, BUY, k);
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual(orderView(notionalMarketOrderAccepted));
    expect((await user.brokerTrail())[1]).toBe(`GET /v1/trading/accounts/${user.accountId}/orders:by_client_order_id?client_order_id=${await clientOrderId(user.sub, k)}`);
  });

  it("after a timeout, the retry asks for the order by its client_order_id before placing it again", async () => {
    const user = await accountHolder(
      {
        "POST /v1/trading/accounts/{id}/orders": [{ hang: true }, { body: notionalMarketOrderAccepted }],
        "GET /v1/trading/accounts/{id}/orders:by_client_order_id": [{ body: notionalMarketOrderAccepted }],
      },
    );
    const k = key();
    expect((await timingOut(() => user.post(ORDERS, BUY, k))).status).toBe(504);
    expect((await user.post(ORDERS, BUY, k)).status).toBe(201);
    expect((await user.brokerTrail()).map((call) => call.split("?")[0])).toEqual([
      `POST /v1/trading/accounts/${user.accountId}/orders`,
      `GET /v1/trading/accounts/${user.accountId}/orders:by_client_order_id`,
    ]);
    // The order the first try placed, recorded by the retry: marked recovered.
    expect((await auditDetails(user.sub)).map((row) => [row.outcome, row.object_id])).toEqual([
      ["upstream_timeout", null],
      ["recovered", notionalMarketOrderAccepted.id],
    ]);
  });

  it.each([
    [{ ...BUY, notional: undefined }, [{ field: "qty", message: "send exactly one of qty and notional" }]],
    [{ ...BUY, notional: undefined, qty: "0.0000000001" }, [{ field: "qty", message: 'qty must be a positive decimal string with at most 9 decimal places, e.g. "0.5"' }]],
    [{ ...BUY, notional: "1e3" }, [{ field: "notional", message: 'notional must be a positive decimal string with at most 2 decimal places, e.g. "100.00"' }]],
    [{ ...BUY, type: "limit", notional: undefined, qty: "1" }, [{ field: "limit_price", message: "limit_price is required for a limit order" }]],
  ])("refuses %j with 400 before any Broker call", async (body, errors) => {
    const user = await accountHolder();
    expect((await problemOf(await user.post(ORDERS, body, key()))).errors).toEqual(errors);
    expect(await user.brokerTrail()).toEqual([]);
  });
});

describe("GET and DELETE orders", () => {
  it("lists from D1 by status, newest first, with a cursor; an account opened before D1 kept orders has them filled from the Broker API once", async () => {
    const page = Array.from({ length: 51 }, (_, index) => ({ ...notionalMarketOrderAccepted, id: crypto.randomUUID(), created_at: `2026-12-01T09:${String(59 - index).padStart(2, "0")}:00Z` }));
    const filled = { ...page[50]!, status: "filled", filled_qty: "2", filled_avg_price: "250" };
    const user = await accountHolder({ "GET /v1/trading/accounts/{id}/orders": [{ body: [...page.slice(0, 50), filled] }] }, { opened: "before" });
    const body = (await (await user.call(`${ORDERS}?status=all`)).json()) as { orders: OrderResponse[]; next_cursor: string };
    expect(body.orders.map((order) => order.id)).toEqual(page.slice(0, 50).map((order) => order.id));
    expect(body.next_cursor).toBe("2026-12-01T09:10:00Z");
    expect(await (await user.call(`${ORDERS}?cursor=${body.next_cursor}`)).json()).toEqual({ orders: [], next_cursor: null });
    expect(await (await user.call(`${ORDERS}?status=closed&cursor=${body.next_cursor}`)).json()).toEqual({ orders: [orderView(filled)], next_cursor: null });
    expect(await user.brokerTrail()).toEqual([`GET /v1/trading/accounts/${user.accountId}/orders?status=all&limit=500&direction=desc`]);
    expect((await problemOf(await user.call(`${ORDERS}?status=pending`))).code).toBe("validation_failed");
    // Text Date.parse would read, but no time the list gives out: 400 naming the cursor, no Broker call.
    for (const cursor of ["1", "2020", "December 1, 2026"]) {
      const problem = await problemOf(await user.call(`${ORDERS}?cursor=${encodeURIComponent(cursor)}`));
      expect([problem.code, (problem.errors as { field: string }[]).map((error) => error.field)]).toEqual(["validation_failed", ["cursor"]]);
    }
    expect(await user.brokerTrail()).toHaveLength(1);
  });

  it("reads one from D1 and cancels it; an unknown id is 404, one that is done 409", async () => {
    const user = await accountHolder({
      "GET /v1/trading/accounts/{id}/orders": [{ body: [notionalMarketOrderAccepted] }],
      "DELETE /v1/trading/accounts/{id}/orders/{id}": [{ status: 204 }, { status: 422, body: { code: 42210000, message: "order is not cancelable" } }],
    }, { opened: "before" });
    const path = `${ORDERS}/${notionalMarketOrderAccepted.id}`;
    expect(await (await user.call(path)).json()).toEqual(orderView(notionalMarketOrderAccepted));
    expect((await problemOf(await user.call(`${ORDERS}/${crypto.randomUUID()}`))).code).toBe("order_not_found");
    expect((await user.call(path, { method: "DELETE" })).status).toBe(204);
    expect((await problemOf(await user.call(path, { method: "DELETE" }))).code).toBe("order_not_cancellable");
  });
});

describe("positions", () => {
  it("lists them, amounts as the Broker API's decimal strings", async () => {
    const user = await accountHolder({ "GET /v1/trading/accounts/{id}/positions": [{ body: positions }] });
    expect(await (await user.call(POSITIONS)).json()).toEqual({
      positions: [{ symbol: "AAPL", qty: "5", qty_available: "5", side: "long", avg_entry_price: "100.0", market_value: "600.0", cost_basis: "500.0", unrealized_pl: "100.0", unrealized_plpc: "0.20", current_price: "120.0" }],
    });
  });

  // Issue 21: closing a position is a trade, like a sell: no step up for trading.
  it("closes one with the token alone, like a sell: 200 the closing order, no sign-in asked of Cognito", async () => {
    const closing = { ...notionalMarketOrderAccepted, side: "sell", notional: null, qty: "5" };
    const user = await accountHolder({ "DELETE /v1/trading/accounts/{id}/positions/AAPL": [{ body: closing }] });
    const res = await user.call(`${POSITIONS}/aapl`, { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ side: "sell", qty: "5", notional: null });
    expect(await user.brokerTrail()).toEqual([`DELETE /v1/trading/accounts/${user.accountId}/positions/AAPL`]);
    expect((await user.calls()).map((call) => call.action)).not.toContain("InitiateAuth");
    expect(await moneyTrail(user.sub)).toEqual([{ action: "position.close", outcome: "ok", idempotency_key: null, amount: null, symbol: "AAPL" }]);
  });

  it("keeps no client text in the audit row: a symbol no ticker can be is 404, its row without the symbol", async () => {
    const user = await accountHolder();
    expect((await problemOf(await user.call(`${POSITIONS}/${encodeURIComponent("<b>hello there</b>")}`, { method: "DELETE" }))).code).toBe("position_not_found");
    expect(await moneyTrail(user.sub)).toEqual([{ action: "position.close", outcome: "position_not_found", idempotency_key: null, amount: null, symbol: null }]);
    expect(await user.brokerTrail()).toEqual([]);
  });

  it("answers a position the account does not hold 404", async () => {
    const user = await accountHolder({ "DELETE /v1/trading/accounts/{id}/positions/MSFT": [{ status: 404, body: { code: 40410000, message: "position not found" } }] });
    expect((await problemOf(await user.call(`${POSITIONS}/MSFT`, { method: "DELETE" }))).code).toBe("position_not_found");
  });
});

describe("GET /platform/accounts/me/activity", () => {
  it("lists the user's own audit rows, newest first, 50 a page, never another user's", async () => {
    const user = await accountHolder();
    const other = await accountHolder();
    const insert = env.DB.prepare("INSERT INTO audit_events (sub, action, request_id, idempotency_key, outcome, amount, symbol, at) VALUES (?, 'transfer.create', ?, ?, 'ok', ?, NULL, ?)");
    await env.DB.batch(Array.from({ length: 51 }, (_, i) => insert.bind(user.sub, crypto.randomUUID(), `key-${i}`, `${i + 1}.00`, new Date().toISOString())));
    await insert.bind(other.sub, crypto.randomUUID(), "other", "9.99", new Date().toISOString()).run();
    const page = (await (await user.call("/platform/accounts/me/activity")).json()) as { events: { id: string; amount: string; idempotency_key: string }[]; next_cursor: string };
    expect(page.events.map((event) => event.amount)).toEqual(Array.from({ length: 50 }, (_, i) => `${51 - i}.00`));
    expect(page.next_cursor).toBe(page.events.at(-1)!.id);
    const rest = await (await user.call(`/platform/accounts/me/activity?cursor=${page.next_cursor}`)).json();
    expect(rest).toEqual({ events: [expect.objectContaining({ action: "transfer.create", amount: "1.00", idempotency_key: "key-0", outcome: "ok", symbol: null })], next_cursor: null });
    expect((await problemOf(await user.call("/platform/accounts/me/activity?cursor=x"))).code).toBe("validation_failed");
  });
});

describe("the asset checks before the Broker call", () => {
  it.each([
    ["an unknown symbol", { ...BUY, symbol: "ZZZZ" }, "The order was not sent: The symbol is not an asset the broker lists."],
    ["an untradable asset", { ...BUY, symbol: "GRAYU", notional: undefined, qty: "1" }, "The order was not sent: The asset is not tradable."],
    ["a fractional qty of an asset that is not fractionable", { ...BUY, symbol: "BRK.A", notional: undefined, qty: "0.5" }, "The order was not sent: The asset cannot be traded in fractions: use a whole quantity or another asset."],
    ["a notional order of an asset that is not fractionable", { ...BUY, symbol: "BRK.A" }, "The order was not sent: The asset cannot be traded in fractions: use a whole quantity or another asset."],
  ])("refuses %s with 422 order_rejected in our words, and never asks the Broker API", async (_, body, detail) => {
    const user = await accountHolder({ "POST /v1/trading/accounts/{id}/orders": [{ body: notionalMarketOrderAccepted }] });
    const k = key();
    const res = await user.post(ORDERS, body, k);
    expect(res.status).toBe(422);
    expect(await problemOf(res)).toMatchObject({ code: "order_rejected", detail });
    expect(await user.brokerTrail()).toEqual([]);
    expect(await moneyTrail(user.sub)).toEqual([{ action: "order.create", outcome: "order_rejected", idempotency_key: k, amount: body.notional ?? null, symbol: body.symbol }]);
  });

  it("lets a whole quantity of an asset that is not fractionable through", async () => {
    const whole = { ...notionalMarketOrderAccepted, symbol: "BRK.A", notional: null, qty: "2" };
    const user = await accountHolder({ "POST /v1/trading/accounts/{id}/orders": [{ body: whole }] });
    expect((await user.post(ORDERS, { ...BUY, symbol: "BRK.A", notional: undefined, qty: "2.000" }, key())).status).toBe(201);
    expect(await user.brokerTrail()).toEqual([`POST /v1/trading/accounts/${user.accountId}/orders`]);
  });
});

describe("trailing stops and extended hours", () => {
  it("sends a trailing stop with its trail, and a limit day order in extended hours, as the Broker API takes them", async () => {
    const trailing = { ...notionalMarketOrderAccepted, type: "trailing_stop", side: "sell", notional: null, qty: "1", trail_percent: "1.5", hwm: "190.00", stop_price: "187.15", time_in_force: "gtc" };
    const extended = { ...notionalMarketOrderAccepted, type: "limit", notional: null, qty: "1", limit_price: "150", extended_hours: true };
    const user = await accountHolder({ "POST /v1/trading/accounts/{id}/orders": [{ body: trailing }, { body: extended }] });
    const first = await user.post(ORDERS, { symbol: "AAPL", side: "sell", type: "trailing_stop", time_in_force: "gtc", qty: "1", trail_percent: "1.5" }, key());
    expect(await first.json()).toMatchObject({ type: "trailing_stop", trail_percent: "1.5", trail_price: null, stop_price: "187.15", extended_hours: false });
    const second = await user.post(ORDERS, { symbol: "AAPL", side: "buy", type: "limit", time_in_force: "day", qty: "1", limit_price: "150", extended_hours: true }, key());
    expect(await second.json()).toMatchObject({ type: "limit", extended_hours: true });
    const sent = (await user.calls()).filter((call) => call.action === "POST /v1/trading/accounts/{id}/orders").map((call) => call.body);
    expect(sent).toEqual([
      { symbol: "AAPL", side: "sell", type: "trailing_stop", time_in_force: "gtc", qty: "1", trail_percent: "1.5", client_order_id: expect.any(String) },
      { symbol: "AAPL", side: "buy", type: "limit", time_in_force: "day", qty: "1", limit_price: "150", extended_hours: true, client_order_id: expect.any(String) },
    ]);
  });

  const SELL = { symbol: "AAPL", side: "sell", qty: "1" };
  it.each([
    [{ ...SELL, type: "trailing_stop", time_in_force: "day" }, "trail_price", "send exactly one of trail_price and trail_percent for a trailing_stop order"],
    [{ ...SELL, type: "trailing_stop", time_in_force: "day", trail_price: "2", trail_percent: "1" }, "trail_price", "send exactly one of trail_price and trail_percent for a trailing_stop order"],
    [{ ...SELL, type: "trailing_stop", time_in_force: "ioc", trail_price: "2" }, "time_in_force", "a trailing_stop order's time_in_force is day or gtc"],
    [{ ...SELL, type: "trailing_stop", time_in_force: "day", trail_percent: "100" }, "trail_percent", "trail_percent must be below 100"],
    [{ ...SELL, type: "market", time_in_force: "day", trail_price: "2" }, "trail_price", "trail_price and trail_percent are only for trailing_stop orders"],
    [{ ...SELL, type: "market", time_in_force: "day", extended_hours: true }, "extended_hours", "extended_hours is only for limit orders with time_in_force day"],
    [{ ...SELL, type: "limit", time_in_force: "gtc", limit_price: "150", extended_hours: true }, "extended_hours", "extended_hours is only for limit orders with time_in_force day"],
    [{ ...SELL, type: "limit", time_in_force: "day", limit_price: "150", extended_hours: "yes" }, "extended_hours", "extended_hours must be true or false"],
  ])("refuses %j with 400 naming the field, before any Broker call", async (body, field, message) => {
    const user = await accountHolder();
    expect((await problemOf(await user.post(ORDERS, body, key()))).errors).toEqual([{ field, message }]);
    expect(await user.brokerTrail()).toEqual([]);
  });
});

describe("PATCH /platform/accounts/me/orders/{id} (replace)", () => {
  const OLD = { ...notionalMarketOrderAccepted, type: "limit", notional: null, qty: "2", limit_price: "180", status: "new" };
  const NEW = { ...OLD, id: "7a1f3c52-9b4e-4d86-a0c2-5e8f1b3d7a96", limit_price: "185", replaces: OLD.id, created_at: "2021-03-16T18:40:00.1Z" };
  const path = `${ORDERS}/${OLD.id}`;
  const patch = (user: Awaited<ReturnType<typeof accountHolder>>, body: unknown, k: string, id = OLD.id) => user.send("PATCH", `${ORDERS}/${id}`, body, { "idempotency-key": k });

  it("answers the new order, linked to the old one; its client_order_id is derived from the user and the key; the audit row names the new order", async () => {
    const user = await accountHolder({ "PATCH /v1/trading/accounts/{id}/orders/{id}": [{ body: NEW }] });
    const k = key();
    const res = await patch(user, { limit_price: "185.00" }, k);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(orderView(NEW));
    const sent = (await user.calls()).find((call) => call.action === "PATCH /v1/trading/accounts/{id}/orders/{id}")!;
    expect([sent.path, sent.body]).toEqual([`/v1/trading/accounts/${user.accountId}/orders/${OLD.id}`, { limit_price: "185.00", client_order_id: await clientOrderId(user.sub, k) }]);
    expect((await auditDetails(user.sub)).map((row) => [row.action, row.outcome, row.idempotency_key, row.object_id])).toEqual([["order.replace", "ok", k, NEW.id]]);
    // The new order's row was written with the answer: its read is D1's, linked to the old one.
    expect(await (await user.call(`${ORDERS}/${NEW.id}`)).json()).toEqual(orderView(NEW));
    expect(await user.brokerTrail()).toHaveLength(1);
  });

  it("replays the key with no Broker call; the key on another order, or with another body, is 422", async () => {
    const user = await accountHolder({ "PATCH /v1/trading/accounts/{id}/orders/{id}": [{ body: NEW }] });
    const k = key();
    const first = await visibleAnswer(await patch(user, { limit_price: "185.00" }, k));
    expect(await visibleAnswer(await patch(user, { limit_price: "185.00" }, k))).toEqual({ ...first, headers: { ...first.headers, "idempotency-replayed": "true" } });
    expect((await problemOf(await patch(user, { limit_price: "185.00" }, k, crypto.randomUUID()))).code).toBe("idempotency_key_reused");
    expect((await problemOf(await patch(user, { limit_price: "186.00" }, k))).code).toBe("idempotency_key_reused");
    expect(await user.brokerTrail()).toHaveLength(1);
  });

  it("racing its own retry with one key makes one replacement: the retry is 409 while the first runs, then its answer", async () => {
    const user = await accountHolder({ "PATCH /v1/trading/accounts/{id}/orders/{id}": [{ body: NEW, holdUntilReleased: true }] });
    const k = key();
    const requests = [patch(user, { limit_price: "185.00" }, k), patch(user, { limit_price: "185.00" }, k)];
    await settled(requests, 1);
    await user.release();
    const answers = await Promise.all(requests);
    expect(answers.map((res) => res.status).sort()).toEqual([200, 409]);
    expect((await problemOf(answers.find((res) => res.status === 409)!)).code).toBe("request_in_progress");
    const again = await patch(user, { limit_price: "185.00" }, k);
    expect([again.status, again.headers.get("idempotency-replayed"), ((await again.json()) as { id: string }).id]).toEqual([200, "true", NEW.id]);
    expect((await user.brokerTrail()).filter((call) => call.startsWith("PATCH"))).toHaveLength(1);
  });

  it("after a timeout, the retry finds the replacement by its client_order_id: one replacement, recorded as recovered", async () => {
    const user = await accountHolder({
      "PATCH /v1/trading/accounts/{id}/orders/{id}": [{ hang: true }, { status: 422, body: { code: 42210000, message: "order is not replaceable" } }],
      "GET /v1/trading/accounts/{id}/orders:by_client_order_id": [{ body: NEW }],
    });
    const k = key();
    expect((await timingOut(() => patch(user, { limit_price: "185.00" }, k))).status).toBe(504);
    const retry = await patch(user, { limit_price: "185.00" }, k);
    expect([retry.status, ((await retry.json()) as { replaces: string }).replaces]).toEqual([200, OLD.id]);
    expect((await user.brokerTrail()).map((call) => call.split("?")[0])).toEqual([
      `PATCH /v1/trading/accounts/${user.accountId}/orders/${OLD.id}`,
      `GET /v1/trading/accounts/${user.accountId}/orders:by_client_order_id`,
    ]);
    expect((await auditDetails(user.sub)).map((row) => [row.outcome, row.object_id])).toEqual([
      ["upstream_timeout", null],
      ["recovered", NEW.id],
    ]);
  });

  it("passes the Broker API's refusals on: 422 order_rejected (no replacement by the key), 404 order_not_found, 429 with Retry-After", async () => {
    const user = await accountHolder({
      "PATCH /v1/trading/accounts/{id}/orders/{id}": [
        { status: 422, body: { code: 42210000, message: "order is not replaceable" } },
        BROKER_ERRORS.orderNotFound,
        { status: 429, body: { code: 42910000, message: "rate limit exceeded" }, headers: { "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 20) } },
      ],
      "GET /v1/trading/accounts/{id}/orders:by_client_order_id": [BROKER_ERRORS.orderNotFound],
    });
    expect((await problemOf(await patch(user, { qty: "3" }, key()))).code).toBe("order_rejected");
    expect((await problemOf(await patch(user, { qty: "3" }, key()))).code).toBe("order_not_found");
    const throttled = await patch(user, { qty: "3" }, key());
    expect([throttled.status, (await problemOf(throttled)).code]).toEqual([429, "rate_limited"]);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("does not take another replacement found by the key's client_order_id as this one", async () => {
    const user = await accountHolder({
      "PATCH /v1/trading/accounts/{id}/orders/{id}": [BROKER_ERRORS.clientOrderIdNotUnique],
      "GET /v1/trading/accounts/{id}/orders:by_client_order_id": [{ body: { ...NEW, replaces: crypto.randomUUID() } }],
    });
    expect((await problemOf(await patch(user, { qty: "3" }, key()))).code).toBe("idempotency_key_reused");
  });

  it.each([
    [{}, "qty", "send at least one of qty, time_in_force, limit_price, stop_price and trail"],
    [{ qty: "1.5" }, "qty", "qty of a replace must be a whole number of shares"],
    [{ limit_price: 185 }, "limit_price", 'limit_price must be a decimal string, e.g. "190.25"'],
    [{ qty: "3", notional: "10.00" }, "(body)", "unknown field: notional"],
  ])("refuses %j with 400 naming the field, before any Broker call", async (body, field, message) => {
    const user = await accountHolder();
    expect((await problemOf(await patch(user, body, key()))).errors).toEqual([{ field, message }]);
    expect(await user.brokerTrail()).toEqual([]);
  });

  it("needs an Idempotency-Key; an id the Broker API cannot have made is 404 with no Broker call", async () => {
    const user = await accountHolder();
    expect((await problemOf(await user.send("PATCH", path, { qty: "3" }))).code).toBe("idempotency_key_required");
    expect((await problemOf(await patch(user, { qty: "3" }, key(), "not-an-id"))).code).toBe("order_not_found");
    expect(await user.brokerTrail()).toEqual([]);
  });
});

describe("DELETE /platform/accounts/me/orders (cancel all)", () => {
  it("asks the Broker API to cancel every open order and says, per order, whether it took the cancel; one audit row", async () => {
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    const user = await accountHolder({ "DELETE /v1/trading/accounts/{id}/orders": [{ status: 207, body: [{ id: a, status: 200, body: notionalMarketOrderAccepted }, { id: b, status: 500 }] }] });
    const res = await user.call(ORDERS, { method: "DELETE" });
    expect([res.status, await res.json()]).toEqual([200, { orders: [{ id: a, cancel: "requested" }, { id: b, cancel: "failed" }] }]);
    expect(await user.brokerTrail()).toEqual([`DELETE /v1/trading/accounts/${user.accountId}/orders`]);
    expect(await moneyTrail(user.sub)).toEqual([{ action: "order.cancel_all", outcome: "ok", idempotency_key: null, amount: null, symbol: null }]);
  });

  it("with no open order, answers an empty list", async () => {
    const user = await accountHolder({ "DELETE /v1/trading/accounts/{id}/orders": [{ status: 207, body: [] }] });
    expect(await (await user.call(ORDERS, { method: "DELETE" })).json()).toEqual({ orders: [] });
  });
});
