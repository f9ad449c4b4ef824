// The asset list in workerd against real D1: search and read from the list the tests load
// (test/support/assets.ts), the fill on first use (one Broker call for a burst), the daily sync.
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { assetsActive } from "../fixtures/broker";
import { forgetAssets, seedAssets } from "../support/assets";
import { consoleLines } from "../support/logs";
import { accountHolder } from "../support/funding";
import { envWith, problemOf, settled } from "../support/worker";
import worker from "../../src/index";

const ASSETS = "/platform/assets";
const AAPL = { symbol: "AAPL", name: "Apple Inc. Common Stock", class: "us_equity", exchange: "NASDAQ", status: "active", tradable: true, fractionable: true, shortable: true, marginable: true };

/** The list a test changed is the recorded one again for the next test (the database is shared). */
afterEach(async () => {
  await forgetAssets();
  await seedAssets();
});

describe("GET /platform/assets", () => {
  it("finds assets by symbol or name, the exact symbol first, from D1: no Broker call", async () => {
    const user = await accountHolder();
    const found = async (query: string) => ((await (await user.call(`${ASSETS}?${query}`)).json()) as { assets: { symbol: string }[] }).assets.map((asset) => asset.symbol);
    // APP is the symbol; Apple and AppLovin have it in their names.
    expect(await found("q=app")).toEqual(["APP", "AAPL"]);
    expect(await found("q=App&limit=1")).toEqual(["APP"]);
    expect(await found("q=berkshire")).toEqual(["BRK.A"]);
    // LIKE's wildcards are text: no name holds "%" or "_".
    expect(await found("q=%25")).toEqual([]);
    expect(await found("q=_")).toEqual([]);
    expect(await found("limit=2")).toEqual(["AAPL", "AMZN"]);
    const whole = (await (await user.call(`${ASSETS}?q=aapl`)).json()) as { assets: unknown[] };
    expect(whole.assets[0]).toEqual(AAPL);
    expect(await user.brokerTrail()).toEqual([]);
  });

  it.each([
    ["limit=0", "limit", "limit must be a whole number from 1 to 100"],
    ["limit=101", "limit", "limit must be a whole number from 1 to 100"],
    ["limit=ten", "limit", "limit must be a whole number from 1 to 100"],
    [`q=${"a".repeat(51)}`, "q", "q must be at most 50 characters"],
    ["symbol=AAPL", "(body)", "unknown field: symbol"],
  ])("refuses %s with 400 naming the field", async (query, field, message) => {
    const user = await accountHolder();
    const problem = await problemOf(await user.call(`${ASSETS}?${query}`));
    expect([problem.code, problem.errors]).toEqual(["validation_failed", [{ field, message }]]);
    expect(await user.brokerTrail()).toEqual([]);
  });

  it("needs a signed-in user", async () => {
    const user = await accountHolder();
    const res = await user.call(ASSETS, { headers: { authorization: "" } });
    expect(res.status).toBe(401);
  });
});

describe("GET /platform/assets/{symbol}", () => {
  it("answers what an app needs before an order: tradable, fractionable, shortable, marginable, exchange, class, status, name", async () => {
    const user = await accountHolder();
    expect(await (await user.call(`${ASSETS}/aapl`)).json()).toEqual(AAPL);
    expect(await (await user.call(`${ASSETS}/BRK.A`)).json()).toMatchObject({ symbol: "BRK.A", fractionable: false, tradable: true });
    expect(await (await user.call(`${ASSETS}/GRAYU`)).json()).toMatchObject({ symbol: "GRAYU", tradable: false });
    for (const symbol of ["NOPE", "%25", "a%20b"]) {
      const res = await user.call(`${ASSETS}/${symbol}`);
      expect([res.status, (await problemOf(res)).code], symbol).toEqual([404, "asset_not_found"]);
    }
    expect(await user.brokerTrail()).toEqual([]);
  });
});

describe("the list never loaded", () => {
  it("is loaded on first use: of five concurrent first requests one calls the Broker API, the others are told to retry", async () => {
    await forgetAssets();
    const user = await accountHolder({ "GET /v1/assets": [{ body: assetsActive, holdUntilReleased: true }] });
    const requests = Array.from({ length: 5 }, () => user.call(`${ASSETS}/AAPL`));
    // The four that find the load held are answered while the one load waits for the Broker API.
    await settled(requests, 4);
    await user.release();
    const answers = await Promise.all(requests);
    expect(answers.map((res) => res.status).sort()).toEqual([200, 503, 503, 503, 503]);
    const refused = answers.find((res) => res.status === 503)!;
    expect([(await problemOf(refused)).code, refused.headers.get("retry-after")]).toEqual(["assets_loading", "5"]);
    expect(await user.brokerTrail()).toEqual(["GET /v1/assets?status=active&asset_class=us_equity"]);
    // Loaded: the next request reads D1 alone.
    expect(await (await user.call(`${ASSETS}?q=apple`)).json()).toEqual({ assets: [AAPL] });
    expect(await user.brokerTrail()).toHaveLength(1);
  });

  it("a throttled load is 429 with Retry-After, and leaves the next request to load it", async () => {
    await forgetAssets();
    const reset = String(Math.floor(Date.now() / 1000) + 30);
    const user = await accountHolder({ "GET /v1/assets": [{ status: 429, body: { code: 42910000, message: "rate limit exceeded" }, headers: { "x-ratelimit-reset": reset } }, { body: assetsActive }] });
    const throttled = await user.call(`${ASSETS}/AAPL`);
    expect([throttled.status, (await problemOf(throttled)).code]).toEqual([429, "rate_limited"]);
    expect(Number(throttled.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await user.call(`${ASSETS}/AAPL`)).status).toBe(200);
  });
});

describe("the daily sync (Cron Trigger 17 4 * * *)", () => {
  it("loads the list whole: a new asset is found, one no longer listed is kept inactive and untradable, so an order for it is refused", async () => {
    const user = await accountHolder({ "GET /v1/assets": [{ body: [...assetsActive.filter((asset) => asset.symbol !== "AMZN"), { ...assetsActive[0]!, id: crypto.randomUUID(), symbol: "NEWCO", name: "Newco Holdings" }] }] });
    await worker.scheduled({ cron: "17 4 * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController, envWith(user.vars) as unknown as Env);
    expect(await user.brokerTrail()).toEqual(["GET /v1/assets?status=active&asset_class=us_equity"]);
    expect(await (await user.call(`${ASSETS}/NEWCO`)).json()).toMatchObject({ name: "Newco Holdings", tradable: true });
    expect(await (await user.call(`${ASSETS}/AMZN`)).json()).toMatchObject({ status: "inactive", tradable: false });
    const order = await user.post("/platform/accounts/me/orders", { symbol: "AMZN", side: "buy", type: "market", time_in_force: "day", qty: "1" }, crypto.randomUUID());
    expect(await problemOf(order)).toMatchObject({ code: "order_rejected", detail: "The order was not sent: The asset is not tradable." });
    expect(await user.brokerTrail()).toHaveLength(1);
  });

  it("that fails keeps the list as it was, says so in the log, and leaves the lease free", async () => {
    const user = await accountHolder({ "GET /v1/assets": [{ status: 500, body: { code: 50010000, message: "internal server error" } }] });
    const lines = consoleLines();
    await expect(worker.scheduled({ cron: "17 4 * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController, envWith(user.vars) as unknown as Env)).rejects.toThrow();
    expect(lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line))).toContainEqual(expect.objectContaining({ level: "error", message: "asset sync failed" }));
    // Reads retry a Broker API fault: three calls, then the failure.
    expect(await user.brokerTrail()).toHaveLength(3);
    expect(await (await user.call(`${ASSETS}/AMZN`)).json()).toMatchObject({ status: "active", tradable: true });
    expect(await env.DB.prepare("SELECT holder FROM asset_sync").first()).toEqual({ holder: null });
  });

  it("answered with an empty list keeps the list as it was: no asset becomes inactive", async () => {
    const user = await accountHolder({ "GET /v1/assets": [{ body: [] }] });
    const lines = consoleLines();
    await expect(worker.scheduled({ cron: "17 4 * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController, envWith(user.vars) as unknown as Env)).rejects.toThrow();
    expect(lines.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line))).toContainEqual(expect.objectContaining({ level: "error", message: "asset sync failed" }));
    expect(await (await user.call(`${ASSETS}/AMZN`)).json()).toMatchObject({ status: "active", tradable: true });
    expect(await env.DB.prepare("SELECT holder FROM asset_sync").first()).toEqual({ holder: null });
  });
});
