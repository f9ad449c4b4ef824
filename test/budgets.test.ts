// Budgets that CI holds every change to (issue 10): round trips to Cognito per route, JWKS fetches
// per cold start, and for the brokerage routes D1 round trips and Broker API calls (issue 17). Timings vary from machine to machine; these counts do not. `npm run bench`
// reports the same counts; the bundle-size budget is `npm run size`.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { applyEvent } from "../src/events/apply";
import { StreamConsumer } from "../src/events/consumer";
import { storesOf } from "../src/stores";
import { brokerOrder, heldAccount } from "./events/ledger-support";
import { idAt, writtenStream } from "./events/stream-support";
import { accountActive, accountCreated, achRelationshipQueued, activities, notionalMarketOrderAccepted, PORTFOLIO_HISTORY_TEXT, STATEMENT_PDF, transferQueued } from "./fixtures/broker";
import { authenticationResult, emptyResult, signUpResult } from "./fixtures/cognito";
import { brokerAccount, brokerUser, observedDb } from "./support/brokerage";
import { accountHolder } from "./support/funding";
import { AAPL_SNAPSHOT_TEXT, jsonText, snapshotsAnswer } from "./fixtures/market";
import { marketUser } from "./support/market";
import type { Reply } from "./support/fake-upstream";
import { ownPool } from "./support/own-pool";
import { apiWith, jsonInit, scenario, STRONG_PASSWORD, uniqueEmail } from "./support/worker";

const getUserReply: Reply = {
  status: 200,
  body: { Username: "u", UserAttributes: [{ Name: "email", Value: "ann@example.com" }, { Name: "email_verified", Value: "true" }] },
};

/** A pool of our own on the fake upstream (ownPool), with the upstream actions it was asked for. */
async function pool(replies: Record<string, Reply[]>) {
  const own = await ownPool(replies);
  return { token: own.token, call: own.call, actions: async () => (await own.upstream.calls()).map((call) => call.action) };
}

const credentials = () => jsonInit({ email: uniqueEmail("budget"), password: STRONG_PASSWORD });
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe("upstream calls per route", () => {
  it("GET /: none", async () => {
    const upstream = await pool({});
    expect((await upstream.call("/")).status).toBe(200);
    expect(await upstream.actions()).toEqual([]);
  });

  it("log-in: 1 (InitiateAuth)", async () => {
    const upstream = await pool({ InitiateAuth: [authenticationResult()] });
    expect((await upstream.call("/platform/login", credentials())).status).toBe(200);
    expect(await upstream.actions()).toEqual(["InitiateAuth"]);
  });

  it("sign-up: 3 (SignUp, AdminConfirmSignUp, InitiateAuth)", async () => {
    const upstream = await pool({ SignUp: [signUpResult()], AdminConfirmSignUp: [emptyResult()], InitiateAuth: [authenticationResult()] });
    expect((await upstream.call("/platform/signup", credentials())).status).toBe(201);
    expect(await upstream.actions()).toEqual(["SignUp", "AdminConfirmSignUp", "InitiateAuth"]);
  });

  it("me: the session's first call asks Cognito for the email once; a repeated token makes none", async () => {
    const upstream = await pool({ GetUser: [getUserReply] });
    expect((await upstream.call("/platform/me", bearer(upstream.token))).status).toBe(200);
    expect(await upstream.actions()).toEqual(["JWKS", "GetUser"]);
    for (let i = 0; i < 5; i++) expect((await upstream.call("/platform/me", bearer(upstream.token))).status).toBe(200);
    expect(await upstream.actions()).toEqual(["JWKS", "GetUser"]);
  });
});

describe("JWKS fetches", () => {
  it("one per cold start, for a burst of concurrent first requests and every request after it", async () => {
    const upstream = await pool({ GetUser: [getUserReply] });
    const burst = await Promise.all(Array.from({ length: 20 }, () => upstream.call("/platform/me", bearer(upstream.token))));
    expect(burst.map((res) => res.status)).toEqual(Array(20).fill(200));
    for (let i = 0; i < 5; i++) expect((await upstream.call("/platform/me", bearer(upstream.token))).status).toBe(200);
    expect((await upstream.actions()).filter((action) => action === "JWKS")).toEqual(["JWKS"]);
  });
});

describe("brokerage: D1 round trips and Broker API calls per route", () => {
  it("POST /platform/accounts: one D1 write before the Broker call, one after (the row and its audit row in one batch), one Broker call", async () => {
    const email = uniqueEmail("budget");
    const { db, trips } = observedDb();
    const user = await brokerUser({ "POST /v1/accounts": [{ status: 200, body: brokerAccount(accountCreated, email) }] }, { email, vars: { DB: db } });
    expect((await user.open()).status).toBe(201);
    expect(trips).toEqual([["INSERT INTO brokerage_accounts"], ["UPDATE brokerage_accounts SET", "INSERT INTO audit_events"]]);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/accounts"]);
  });

  it("GET /platform/accounts/me repeated within the copy's life: 1 D1 query (its audit row) and no Broker call each", async () => {
    const email = uniqueEmail("budget");
    const { db, trips } = observedDb();
    const user = await brokerUser(
      { "POST /v1/accounts": [{ status: 200, body: brokerAccount(accountCreated, email) }], "GET /v1/accounts/{id}": [{ status: 200, body: accountActive }] },
      { email, vars: { DB: db } },
    );
    expect((await user.open()).status).toBe(201);
    trips.length = 0;
    for (let i = 0; i < 5; i++) expect((await user.call("/platform/accounts/me")).status).toBe(200);
    expect(trips).toEqual(Array(5).fill(["INSERT INTO audit_events"]));
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/accounts"]);
  });
});

describe("funding and trading: D1 round trips and Broker API calls", () => {
  it("an order: 1 Broker call and 4 D1 round trips (the account, the key, the asset, its answer, the audit row and the order's row in one batch); its replay: 0 Broker calls, 3 D1 round trips (the account, the key in one batch, the audit row)", async () => {
    const { db, trips } = observedDb();
    const user = await accountHolder({ "POST /v1/trading/accounts/{id}/orders": [{ status: 200, body: notionalMarketOrderAccepted }] }, { vars: { DB: db } });
    const order = { symbol: "AAPL", side: "buy", type: "market", time_in_force: "day", notional: "500.00" };
    const key = crypto.randomUUID();
    trips.length = 0;
    expect((await user.post("/platform/accounts/me/orders", order, key)).status).toBe(201);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/trading/accounts/{id}/orders"]);
    expect(trips.map((trip) => trip.length)).toEqual([1, 4, 2, 3]);
    // The asset list's check, before the Broker call: the asset and whether the list was loaded, in one batch.
    expect(trips[2]).toEqual(["SELECT synced_at FROM", "SELECT symbol, name,"]);
    expect(trips[3]).toEqual(["UPDATE idempotency_keys SET", "INSERT INTO audit_events", "INSERT INTO orders"]);
    trips.length = 0;
    expect((await user.post("/platform/accounts/me/orders", order, key)).status).toBe(201);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/trading/accounts/{id}/orders"]);
    expect(trips).toEqual([
      ["SELECT * FROM"],
      ["DELETE FROM idempotency_keys", "DELETE FROM idempotency_keys", "INSERT INTO idempotency_keys", "SELECT request_hash, state,"],
      ["INSERT INTO audit_events"],
    ]);
  });
});

describe("orders, assets and watchlists: D1 round trips and Broker API calls", () => {
  it("a replace: 1 Broker call (the PATCH) and 3 D1 round trips (the account, the key, its answer, the audit row and the new order's row in one batch)", async () => {
    const { db, trips } = observedDb();
    const replacement = { ...notionalMarketOrderAccepted, id: crypto.randomUUID(), replaces: notionalMarketOrderAccepted.id };
    const user = await accountHolder({ "PATCH /v1/trading/accounts/{id}/orders/{id}": [{ body: replacement }] }, { vars: { DB: db } });
    trips.length = 0;
    const res = await user.send("PATCH", `/platform/accounts/me/orders/${notionalMarketOrderAccepted.id}`, { qty: "3" }, { "idempotency-key": crypto.randomUUID() });
    expect(res.status).toBe(200);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["PATCH /v1/trading/accounts/{id}/orders/{id}"]);
    expect(trips.map((trip) => trip.length)).toEqual([1, 4, 3]);
  });

  it("a cancel-all of many open orders: 1 Broker call and 3 D1 round trips (the account, every accepted cancel marked in one statement, the audit row)", async () => {
    const { db, trips } = observedDb();
    const order = { ...notionalMarketOrderAccepted, id: crypto.randomUUID() };
    const outcomes = [{ id: order.id, status: 200 }, ...Array.from({ length: 60 }, () => ({ id: crypto.randomUUID(), status: 200 })), { id: crypto.randomUUID(), status: 500 }];
    const user = await accountHolder(
      { "POST /v1/trading/accounts/{id}/orders": [{ status: 200, body: order }], "DELETE /v1/trading/accounts/{id}/orders": [{ status: 207, body: outcomes }] },
      { vars: { DB: db } },
    );
    expect((await user.post("/platform/accounts/me/orders", { symbol: "AAPL", side: "buy", type: "market", time_in_force: "day", notional: "500.00" }, crypto.randomUUID())).status).toBe(201);
    trips.length = 0;
    const res = await user.call("/platform/accounts/me/orders", { method: "DELETE" });
    expect(res.status).toBe(200);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/trading/accounts/{id}/orders", "DELETE /v1/trading/accounts/{id}/orders"]);
    expect(trips).toEqual([["SELECT * FROM"], ["UPDATE orders SET"], ["INSERT INTO audit_events"]]);
    // The order D1 holds is marked: its cancellation, when it comes, is the user's.
    expect(await env.DB.prepare("SELECT cancel_asked FROM orders WHERE id = ?").bind(order.id).first("cancel_asked")).toBe(1);
  });

  it("an asset read or search: 1 D1 round trip, no Broker call; a watchlist's symbol added: 2 (the asset, the change with the list read back)", async () => {
    const { db, trips } = observedDb();
    const user = await accountHolder({}, { vars: { DB: db } });
    trips.length = 0;
    expect((await user.call("/platform/assets/AAPL")).status).toBe(200);
    expect((await user.call("/platform/assets?q=apple")).status).toBe(200);
    expect(trips).toEqual([
      ["SELECT synced_at FROM", "SELECT symbol, name,"],
      ["SELECT synced_at FROM", "SELECT symbol, name,"],
    ]);
    const list = (await (await user.post("/platform/accounts/me/watchlists", { name: "Budget" }, crypto.randomUUID())).json()) as { id: string };
    trips.length = 0;
    expect((await user.send("POST", `/platform/accounts/me/watchlists/${list.id}/symbols`, { symbol: "MSFT" })).status).toBe(200);
    expect(trips.map((trip) => trip.length)).toEqual([2, 3]);
    expect(await user.brokerCalls()).toEqual([]);
  });
});

describe("reads from D1 (issue 23): no Broker API call", () => {
  it("orders, transfers and bank links (list and one) and the account status: 0 Broker calls; 3 D1 round trips each (the account, the rows, the audit row), 4 for the bank links (their Plaid Items owed removal), 2 for the status", async () => {
    const { db, trips } = observedDb();
    const order = { ...notionalMarketOrderAccepted, id: crypto.randomUUID() };
    const link = { ...achRelationshipQueued, id: crypto.randomUUID(), status: "APPROVED" };
    const transfer = { ...transferQueued, id: crypto.randomUUID(), relationship_id: link.id };
    const user = await accountHolder(
      {
        "POST /v1/trading/accounts/{id}/orders": [{ status: 200, body: order }],
        "POST /v1/accounts/{id}/ach_relationships": [{ status: 200, body: link }],
        "GET /v1/accounts/{id}/ach_relationships": [{ status: 200, body: [link] }],
        "POST /v1/accounts/{id}/transfers": [{ status: 200, body: transfer }],
      },
      { vars: { DB: db } },
    );
    const bank = { account_owner_name: "Ann Lee", bank_account_type: "CHECKING", bank_account_number: "123456789abc", bank_routing_number: "121000358", nickname: "Checking" };
    expect((await user.post("/platform/accounts/me/orders", { symbol: "AAPL", side: "buy", type: "market", time_in_force: "day", notional: "500.00" }, crypto.randomUUID())).status).toBe(201);
    expect((await user.post("/platform/accounts/me/bank-links", bank, crypto.randomUUID())).status).toBe(201);
    expect((await user.post("/platform/accounts/me/transfers", { bank_link_id: link.id, amount: "500.00", direction: "INCOMING" }, crypto.randomUUID())).status).toBe(201);
    const made = (await user.brokerCalls()).length;
    const reads = [
      "/platform/accounts/me/orders?status=all",
      `/platform/accounts/me/orders/${order.id}`,
      "/platform/accounts/me/transfers",
      `/platform/accounts/me/transfers/${transfer.id}`,
      "/platform/accounts/me/bank-links",
      "/platform/accounts/me/status",
    ];
    const tripsOf: number[] = [];
    for (const path of reads) {
      trips.length = 0;
      const res = await user.call(path);
      expect([path, res.status]).toEqual([path, 200]);
      tripsOf.push(trips.length);
    }
    expect((await user.brokerCalls()).length).toBe(made);
    expect(tripsOf).toEqual([3, 3, 3, 3, 4, 2]);
  });
});

describe("account data: D1 round trips and Broker API calls", () => {
  it("transactions, portfolio history, the document list: 1 Broker call and 2 D1 round trips each (the account, the audit row)", async () => {
    const { db, trips } = observedDb();
    const user = await accountHolder(
      {
        "GET /v1/accounts/activities": [{ body: activities }],
        "GET /v1/trading/accounts/{id}/account/portfolio/history": [jsonText(PORTFOLIO_HISTORY_TEXT)],
        "GET /v1/accounts/{id}/documents": [{ body: [] }],
      },
      { vars: { DB: db } },
    );
    for (const path of ["/platform/accounts/me/transactions", "/platform/accounts/me/portfolio/history", "/platform/accounts/me/documents"]) {
      trips.length = 0;
      expect((await user.call(path)).status, path).toBe(200);
      expect(trips, path).toEqual([["SELECT * FROM"], ["INSERT INTO audit_events"]]);
    }
    expect((await user.brokerCalls()).length).toBe(3);
  });

  it("portfolio history since the account was opened (period=all): 1 Broker call and 2 D1 round trips too (the account read once)", async () => {
    const { db, trips } = observedDb();
    const user = await accountHolder({ "GET /v1/trading/accounts/{id}/account/portfolio/history": [jsonText(PORTFOLIO_HISTORY_TEXT)] }, { vars: { DB: db } });
    trips.length = 0;
    expect((await user.call("/platform/accounts/me/portfolio/history?period=all")).status).toBe(200);
    expect(trips).toEqual([["SELECT * FROM"], ["INSERT INTO audit_events"]]);
    expect((await user.brokerCalls()).length).toBe(1);
  });

  it("a document's PDF: 1 Broker call, 1 fetch of its link, 2 D1 round trips (the account, the audit row)", async () => {
    const link = await scenario({ "GET /statement.pdf": [{ body: STATEMENT_PDF, headers: { "content-type": "application/pdf" } }] });
    const { db, trips } = observedDb();
    const user = await accountHolder({ "GET /v1/accounts/{id}/documents/{id}/download": [{ status: 301, body: "", headers: { location: `${link.base}/statement.pdf` } }] }, { vars: { DB: db } });
    trips.length = 0;
    const res = await user.call(`/platform/accounts/me/documents/${crypto.randomUUID()}`);
    expect([res.status, await res.text()]).toEqual([200, STATEMENT_PDF]);
    expect(trips).toEqual([["SELECT * FROM"], ["INSERT INTO audit_events"]]);
    expect((await user.brokerCalls()).length).toBe(1);
    expect((await link.calls()).length).toBe(1);
  });
});

describe("market data: Market Data API calls", () => {
  it("a snapshot: 1 data call; repeated within its 2 s, by the same user or another: 0, and no D1 round trip", async () => {
    const { db, trips } = observedDb();
    const ann = await marketUser({ "GET /v2/stocks/snapshots": [snapshotsAnswer({ AAPL: AAPL_SNAPSHOT_TEXT })] }, { DB: db });
    const bea = await marketUser({}, { MARKET_DATA_URL: ann.base, DB: db });
    expect((await ann.get("/platform/market/snapshots?symbols=AAPL,MSFT")).status).toBe(200);
    expect((await ann.dataCalls()).length).toBe(1);
    // Two more asks, well within the 2 s the entry lives (the Cache API's own clock expires it).
    for (const user of [bea, ann]) expect((await user.get("/platform/market/snapshots?symbols=MSFT,AAPL")).status).toBe(200);
    expect((await ann.dataCalls()).length).toBe(1);
    expect(trips).toEqual([]);
  });
});

describe("Broker events: D1 round trips per event through the consumer", () => {
  it("one D1 batch per event applied (the event's row, the order, its audit row, its numbered change) after two reads (its account, its order), and the claim of a fill's notice; none for an event seen again", async () => {
    const { accountId } = await heldAccount();
    const order = brokerOrder();
    const at = Date.now() - 60_000;
    const ids = [idAt(at, 1), idAt(at, 2), idAt(at, 3)];
    const trade = (id: string, event: string, fields: Record<string, unknown>) =>
      `data: ${JSON.stringify({ account_id: accountId, event, event_id: id, at: new Date(at).toISOString(), order: { ...order, ...fields } })}\n\n`;
    const { db, trips } = observedDb();
    const stub = env.BROKER_STREAMS.get(env.BROKER_STREAMS.newUniqueId());
    await runInDurableObject(stub, async (_, state) => {
      let stream!: ReturnType<typeof writtenStream>;
      const consumer = new StreamConsumer({
        stream: "trades",
        storage: state.storage,
        now: Date.now,
        random: Math.random,
        open: async (_query, signal) => (stream = writtenStream(signal)).response,
        apply: (event) => applyEvent({ stores: storesOf(db), now: Date.now }, event),
        publish: async () => undefined,
      });
      await consumer.ensureRunning();
      stream.send(trade(ids[0]!, "new", { status: "new" }) + trade(ids[1]!, "partial_fill", { status: "partially_filled", filled_qty: "4", filled_avg_price: "100" }));
      stream.send(trade(ids[2]!, "fill", { status: "filled", filled_qty: "10", filled_avg_price: "100" }));
      // The overlap of a reconnect: known ids, no D1 round trip.
      stream.send(trade(ids[1]!, "partial_fill", { status: "partially_filled" }) + trade(ids[2]!, "fill", { status: "filled" }));
      stream.end();
      await consumer.closed();
      await consumer.stop();
    });
    const reads = [["SELECT * FROM"], ["SELECT * FROM"]];
    // A fill owes its owner a notice: claimed after the batch, so that it is sent once whatever the replays.
    const claim = ["UPDATE broker_events SET"];
    expect(trips).toEqual([
      ...reads,
      ["INSERT INTO broker_events", "INSERT INTO orders", "INSERT INTO audit_events", "INSERT INTO ledger_changes"],
      ...reads,
      ["INSERT INTO broker_events", "UPDATE orders SET", "INSERT INTO audit_events", "INSERT INTO ledger_changes"],
      claim,
      ...reads,
      ["INSERT INTO broker_events", "UPDATE orders SET", "INSERT INTO audit_events", "INSERT INTO ledger_changes"],
      claim,
    ]);
  });
});
