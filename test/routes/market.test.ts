import { secondsLeftAround } from "../support/timeouts";
// The market routes in workerd, against the Market Data API's and the Broker API's recorded answers on
// the fake upstream (test/fixtures/market.ts). Each user's scenario has its own base URL, so its cache
// entries are its own unless another user is pointed at it.
import { describe, expect, it } from "vitest";
import { SNAPSHOT_EXAMPLE } from "../../src/docs/routes/market";
import { AAPL_SNAPSHOT_TEXT, calendarAnswer, clockAnswer, jsonText, notEntitled, snapshotsAnswer, throttled } from "../fixtures/market";
import { BROKER_AUTH } from "../support/brokerage";
import { marketUser } from "../support/market";
import { api, inOneLimitWindow, problemOf } from "../support/worker";

const SNAPSHOTS = "GET /v2/stocks/snapshots";

describe("GET /platform/market/snapshots", () => {
  it("answers the recorded snapshot in our shape, decimal strings digit for digit; one call for the set, with the Broker API's key and the iex feed", async () => {
    const user = await marketUser({ [SNAPSHOTS]: [snapshotsAnswer({ AAPL: AAPL_SNAPSHOT_TEXT })] });
    const res = await user.get("/platform/market/snapshots?symbols=msft,AAPL");
    expect(res.status).toBe(200);
    const nothing = { latest_trade: null, latest_quote: null, daily_bar: null, prev_daily_bar: null };
    // In the order asked; a symbol the feed has nothing for answers with nulls.
    expect(await res.json()).toEqual({ snapshots: [{ symbol: "MSFT", ...nothing }, SNAPSHOT_EXAMPLE] });
    const [call, ...more] = await user.dataCalls();
    expect(more).toEqual([]);
    expect(call!.path).toBe("/v2/stocks/snapshots?symbols=AAPL%2CMSFT&feed=iex");
    expect(call!.headers.authorization).toBe(BROKER_AUTH);
  });

  it("keeps the digits of 187.1200000001, writes 1e-7 as 0.0000001, and takes integers as they are", async () => {
    const snapshot = `{"latestTrade":{"t":"2026-12-04T20:59:30Z","p":187.1200000001,"s":100},"latestQuote":{"t":"2026-12-04T20:59:45Z","bp":1e-7,"bs":3,"ap":187.12000000010,"as":1E+2}}`;
    const user = await marketUser({ [SNAPSHOTS]: [snapshotsAnswer({ PENNY: snapshot })] });
    const body = (await (await user.get("/platform/market/snapshots?symbols=PENNY")).json()) as { snapshots: Record<string, unknown>[] };
    expect(body.snapshots[0]).toMatchObject({
      latest_trade: { price: "187.1200000001", size: "100", time: "2026-12-04T20:59:30Z" },
      latest_quote: { bid_price: "0.0000001", bid_size: "3", ask_price: "187.12000000010", ask_size: "100", time: "2026-12-04T20:59:45Z" },
    });
  });

  it("is shared between users: a second user's same snapshot within 2 s makes no data call, and the cache key holds no user or token", async () => {
    const ann = await marketUser({ [SNAPSHOTS]: [snapshotsAnswer({ AAPL: AAPL_SNAPSHOT_TEXT })] });
    const bea = await marketUser({}, { MARKET_DATA_URL: ann.base });
    const first = await ann.get("/platform/market/snapshots?symbols=AAPL");
    const second = await bea.get("/platform/market/snapshots?symbols=aapl");
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await second.json()).toEqual(await first.json());
    expect((await ann.dataCalls()).length).toBe(1);
  });

  it("without a token: 401, no data call", async () => {
    const user = await marketUser({ [SNAPSHOTS]: [snapshotsAnswer({ AAPL: AAPL_SNAPSHOT_TEXT })] });
    const res = await api("/platform/market/snapshots?symbols=AAPL");
    expect([res.status, (await problemOf(res)).code]).toEqual([401, "invalid_token"]);
    expect(await user.dataCalls()).toEqual([]);
  });

  it.each([
    ["no symbols", ""],
    ["an empty one", "symbols="],
    ["a space inside", "symbols=AA%20PL"],
    ["a digit first", "symbols=1ABC"],
    ["51 symbols", `symbols=${Array.from({ length: 51 }, (_, i) => `S${i}`).join(",")}`],
  ])("%s: 400 naming symbols, no data call", async (_, query) => {
    const user = await marketUser({ [SNAPSHOTS]: [snapshotsAnswer({ AAPL: AAPL_SNAPSHOT_TEXT })] });
    const problem = await problemOf(await user.get(`/platform/market/snapshots?${query}`));
    expect(problem.code).toBe("validation_failed");
    expect((problem.errors as { field: string }[]).map((error) => error.field)).toEqual(["symbols"]);
    expect(await user.dataCalls()).toEqual([]);
  });

  it("50 distinct symbols (a repeat counts once) are one call", async () => {
    const symbols = Array.from({ length: 50 }, (_, i) => `S${i}`);
    const user = await marketUser({ [SNAPSHOTS]: [snapshotsAnswer({})] });
    const res = await user.get(`/platform/market/snapshots?symbols=${[...symbols, "S0"].join(",")}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { snapshots: unknown[] }).snapshots.length).toBe(50);
    expect((await user.dataCalls()).length).toBe(1);
  });

  it("passes the Market Data API's 429 on as 429 with Retry-After", async () => {
    const reset = Math.floor(Date.now() / 1000) + 30;
    const user = await marketUser({ [SNAPSHOTS]: [throttled(reset)] });
    const { result: res, atLeast, atMost } = await secondsLeftAround(reset, () => user.get("/platform/market/snapshots?symbols=AAPL"));
    expect([res.status, (await problemOf(res)).code]).toEqual([429, "rate_limited"]);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(atLeast);
    expect(Number(res.headers.get("retry-after"))).toBeLessThanOrEqual(atMost);
  });

  it("a feed the subscription does not cover (403): 503 market_data_not_entitled in our words, never its message; nothing cached", async () => {
    const user = await marketUser({ [SNAPSHOTS]: [notEntitled, snapshotsAnswer({ AAPL: AAPL_SNAPSHOT_TEXT })] }, { MARKET_DATA_FEED: "sip" });
    const res = await user.get("/platform/market/snapshots?symbols=AAPL");
    const problem = await problemOf(res);
    expect([res.status, problem.code]).toEqual([503, "market_data_not_entitled"]);
    expect(JSON.stringify(problem)).not.toContain("subscription does not permit");
    expect((await user.get("/platform/market/snapshots?symbols=AAPL")).status).toBe(200);
    expect((await user.dataCalls()).map((call) => new URL(call.path, "http://x").searchParams.get("feed"))).toEqual(["sip", "sip"]);
  });

  it("values the Market Data API refuses (400 or 422, e.g. a date it reads otherwise): 400 validation_failed in our words, never its message, not a 502", async () => {
    const refusal = (status: number) => ({ status, body: { code: status === 400 ? 40010001 : 42210000, message: "invalid start: parsing time \"2024-02-30\"" } });
    const user = await marketUser({ [SNAPSHOTS]: [refusal(400), refusal(422)] });
    for (const _ of [400, 422]) {
      const problem = await problemOf(await user.get("/platform/market/snapshots?symbols=AAPL"));
      expect([problem.status, problem.code]).toEqual([400, "validation_failed"]);
      expect(JSON.stringify(problem)).not.toContain("parsing time");
    }
    expect((await user.dataCalls()).length).toBe(2);
  });

  it("an answer that is not the API's (a 502 page, or junk): 502 upstream_error, after the reads' retries", async () => {
    const user = await marketUser({ [SNAPSHOTS]: [{ status: 502, body: "<html>bad gateway</html>" }, { status: 200, body: "<html>not json</html>" }] });
    const res = await user.get("/platform/market/snapshots?symbols=AAPL");
    expect([res.status, (await problemOf(res)).code]).toEqual([502, "upstream_error"]);
  });

  it("a price that is not a number: 502 upstream_error, never passed on", async () => {
    const user = await marketUser({ [SNAPSHOTS]: [snapshotsAnswer({ AAPL: `{"latestTrade":{"t":"2026-12-04T20:59:30Z","p":"NaN","s":1}}` })] });
    const res = await user.get("/platform/market/snapshots?symbols=AAPL");
    expect([res.status, (await problemOf(res)).code]).toEqual([502, "upstream_error"]);
  });

  it("MARKET_DATA_FEED other than iex or sip: 503 not_configured naming it", async () => {
    const user = await marketUser({}, { MARKET_DATA_FEED: "otc" });
    const res = await user.get("/platform/market/snapshots?symbols=AAPL");
    const problem = await problemOf(res);
    expect([res.status, problem.code]).toEqual([503, "not_configured"]);
    expect(problem.detail).toContain("MARKET_DATA_FEED");
  });
});

const BARS = "GET /v2/stocks/AAPL/bars";
const barsPage = (token: string | null) =>
  jsonText(`{"bars":[{"t":"2021-05-10T04:00:00Z","o":129.41,"h":129.54,"l":126.81,"c":126.85,"v":79569305,"n":1,"vw":128.1},{"t":"2021-05-11T04:00:00Z","o":123.5,"h":126.27,"l":122.77,"c":125.91,"v":125863164,"n":1,"vw":124.9}],"symbol":"AAPL","next_page_token":${JSON.stringify(token)}}`);

describe("GET /platform/market/bars", () => {
  it("answers a page of bars with the upstream's page token as the cursor, and passes the cursor back as page_token", async () => {
    const user = await marketUser({ [BARS]: [barsPage("QUFQTHwxNjIwNzk"), barsPage(null)] });
    const first = await user.get("/platform/market/bars?symbol=aapl&timeframe=1Day&start=2021-05-10&end=2021-05-12&limit=2");
    expect(first.status).toBe(200);
    const page = (await first.json()) as { next_cursor: string; bars: unknown[] };
    expect(page).toEqual({
      symbol: "AAPL",
      timeframe: "1Day",
      bars: [
        { time: "2021-05-10T04:00:00Z", open: "129.41", high: "129.54", low: "126.81", close: "126.85", volume: "79569305" },
        { time: "2021-05-11T04:00:00Z", open: "123.5", high: "126.27", low: "122.77", close: "125.91", volume: "125863164" },
      ],
      next_cursor: "QUFQTHwxNjIwNzk",
    });
    const last = await user.get(`/platform/market/bars?symbol=AAPL&timeframe=1Day&start=2021-05-10&end=2021-05-12&limit=2&cursor=${page.next_cursor}`);
    expect(((await last.json()) as { next_cursor: unknown }).next_cursor).toBeNull();
    expect((await user.dataCalls()).map((call) => call.path)).toEqual([
      "/v2/stocks/AAPL/bars?timeframe=1Day&feed=iex&start=2021-05-10&end=2021-05-12&limit=2",
      "/v2/stocks/AAPL/bars?timeframe=1Day&feed=iex&start=2021-05-10&end=2021-05-12&limit=2&page_token=QUFQTHwxNjIwNzk",
    ]);
  });

  it.each([
    ["timeframe", "symbol=AAPL&timeframe=2Day"],
    ["timeframe", "symbol=AAPL"],
    ["symbol", "timeframe=1Min"],
    ["start", "symbol=AAPL&timeframe=1Min&start=yesterday"],
    ["end", "symbol=AAPL&timeframe=1Min&start=2021-05-12&end=2021-05-10"],
    ["limit", "symbol=AAPL&timeframe=1Min&limit=10001"],
    ["limit", "symbol=AAPL&timeframe=1Min&limit=1.5"],
    ["cursor", "symbol=AAPL&timeframe=1Min&cursor=%3Cscript%3E"],
  ])("400 naming %s (%s), no data call", async (field, query) => {
    const user = await marketUser({ [BARS]: [barsPage(null)] });
    const problem = await problemOf(await user.get(`/platform/market/bars?${query}`));
    expect(problem.code).toBe("validation_failed");
    expect((problem.errors as { field: string }[]).map((error) => error.field)).toEqual([field]);
    expect(await user.dataCalls()).toEqual([]);
  });
});

describe("GET /platform/market/clock and /calendar", () => {
  it("the clock as the Broker API gives it, cached: a second ask makes no call", async () => {
    const user = await marketUser({ "GET /v1/clock": [{ body: clockAnswer }] });
    for (let i = 0; i < 2; i++) {
      const res = await user.get("/platform/market/clock");
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ is_open: true, next_open: "2022-05-02T09:30:00-04:00", next_close: "2022-04-29T16:00:00-04:00", timestamp: "2022-04-29T10:14:32.120523771-04:00" });
    }
    expect((await user.brokerCalls()).map((call) => call.action)).toEqual(["GET /v1/clock"]);
  });

  it("the sessions between two dates, early closes included", async () => {
    const user = await marketUser({ "GET /v1/calendar": [{ body: calendarAnswer }] });
    const res = await user.get("/platform/market/calendar?start=2021-04-06&end=2021-11-26");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sessions: [{ date: "2021-04-06", open: "09:30", close: "16:00" }, { date: "2021-11-26", open: "09:30", close: "13:00" }] });
    expect((await user.brokerCalls()).map((call) => call.path)).toEqual(["/v1/calendar?start=2021-04-06&end=2021-11-26"]);
  });

  it.each([
    ["start", "start=2021-4-6"],
    ["end", "start=2021-04-06&end=2021-04-05"],
  ])("400 naming %s (%s), no Broker call", async (field, query) => {
    const user = await marketUser({ "GET /v1/calendar": [{ body: calendarAnswer }] });
    const problem = await problemOf(await user.get(`/platform/market/calendar?${query}`));
    expect((problem.errors as { field: string }[]).map((error) => error.field)).toEqual([field]);
    expect(await user.brokerCalls()).toEqual([]);
  });

  it("the Broker API's 429 on the clock: 429 with Retry-After", async () => {
    const reset = Math.floor(Date.now() / 1000) + 30;
    const user = await marketUser({ "GET /v1/clock": [{ status: 429, body: { code: 42910000, message: "too many requests" }, headers: { "x-ratelimit-reset": String(reset) } }] });
    const { result: res, atLeast, atMost } = await secondsLeftAround(reset, () => user.get("/platform/market/clock"));
    expect([res.status, (await problemOf(res)).code]).toEqual([429, "rate_limited"]);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(atLeast);
    expect(Number(res.headers.get("retry-after"))).toBeLessThanOrEqual(atMost);
  });

  it.each(["/platform/market/clock", "/platform/market/calendar", "/platform/market/bars?symbol=AAPL&timeframe=1Day"])("%s without a token: 401", async (path) => {
    const res = await api(path);
    expect([res.status, (await problemOf(res)).code]).toEqual([401, "invalid_token"]);
  });
});

describe("per-user limit", () => {
  it("120 a minute per user and route (cached answers count too); the 121st is 429 with Retry-After, and another user is untouched", () =>
    inOneLimitWindow(async () => {
      const ann = await marketUser({ "GET /v1/clock": [{ body: clockAnswer }] });
      const bea = await marketUser({}, { BROKER_API_URL: ann.base });
      const seen: number[] = [];
      for (let i = 0; i < 121; i++) seen.push((await ann.get("/platform/market/clock")).status);
      expect(seen).toEqual([...Array(120).fill(200), 429]);
      const over = await ann.get("/platform/market/clock");
      expect([(await problemOf(over)).code, over.headers.get("retry-after")]).toEqual(["rate_limited", "60"]);
      expect((await bea.get("/platform/market/clock")).status).toBe(200);
      expect((await ann.brokerCalls()).length).toBe(1);
    }));
});
