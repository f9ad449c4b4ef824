// Budgets that CI holds every change to (issue 10): round trips to Cognito per route, JWKS fetches
// per cold start, and for the brokerage routes D1 round trips and Broker API calls (issue 17). Timings vary from machine to machine; these counts do not. `npm run bench`
// reports the same counts; the bundle-size budget is `npm run size`.
import { describe, expect, it } from "vitest";
import { accountActive, accountCreated, activities, notionalMarketOrderAccepted, PORTFOLIO_HISTORY_TEXT, STATEMENT_PDF } from "./fixtures/broker";
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
  it("an order: 1 Broker call and 3 D1 round trips (the account, the key, its answer and the audit row in one batch); its replay: 0 Broker calls, 3 D1 round trips (the account, the key in one batch, the audit row)", async () => {
    const { db, trips } = observedDb();
    const user = await accountHolder({ "POST /v1/trading/accounts/{id}/orders": [{ status: 200, body: notionalMarketOrderAccepted }] }, { vars: { DB: db } });
    const order = { symbol: "AAPL", side: "buy", type: "market", time_in_force: "day", notional: "500.00" };
    const key = crypto.randomUUID();
    trips.length = 0;
    expect((await user.post("/platform/accounts/me/orders", order, key)).status).toBe(201);
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["POST /v1/trading/accounts/{id}/orders"]);
    expect(trips.map((trip) => trip.length)).toEqual([1, 4, 2]);
    expect(trips[2]).toEqual(["UPDATE idempotency_keys SET", "INSERT INTO audit_events"]);
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
