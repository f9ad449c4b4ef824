// The market flows' edge cache, with a Cache that records what is stored: how long each answer is kept
// (the routes' tests prove the real caches.default serves a hit with no upstream call).
import { describe, expect, it } from "vitest";
import type { MarketHours } from "../../src/broker/market-hours";
import type { MarketData } from "../../src/market/client";
import { bars, CACHE_SECONDS, clock, snapshots, type MarketDeps } from "../../src/services/market";

const NOW = Date.parse("2026-12-07T18:00:00Z");

/** A cache that misses, keeping each put's key and Cache-Control. */
function recordingCache() {
  const puts: { key: string; cacheControl: string | null }[] = [];
  const cache = {
    match: async () => undefined,
    put: async (key: Request, response: Response) => void puts.push({ key: key.url, cacheControl: response.headers.get("cache-control") }),
  } as unknown as Cache;
  return { cache, puts };
}

/** A market client answering empty pages, with real request URLs. */
const market = {
  barsRequest: (query: { symbol: string; end?: string }) => ({ url: `https://data.example/v2/stocks/${query.symbol}/bars?end=${query.end ?? ""}` }),
  bars: async () => ({ bars: [], next_page_token: null }),
  snapshotsRequest: (symbols: string[]) => ({ url: `https://data.example/v2/stocks/snapshots?symbols=${symbols.join(",")}` }),
  snapshots: async () => ({}),
} as unknown as MarketData;

const hours = {
  clockUrl: "https://broker.example/v1/clock",
  clock: async () => ({ is_open: false, next_open: "a", next_close: "b", timestamp: "c" }),
} as unknown as MarketHours;

const depsWith = (cache: Cache): MarketDeps => ({ market, hours, cache, now: () => NOW });

describe("how long market answers are kept at the edge", () => {
  it("bars: 60 s for a window still open or ended in the last 15 minutes; an hour once it ended before that", async () => {
    const { cache, puts } = recordingCache();
    const deps = depsWith(cache);
    await bars(deps, { symbol: "AAPL", timeframe: "1Min" });
    await bars(deps, { symbol: "AAPL", timeframe: "1Min", end: new Date(NOW - 5 * 60_000).toISOString() });
    await bars(deps, { symbol: "AAPL", timeframe: "1Day", end: "2026-12-04" });
    // A bare date is inclusive: today's session is still open, so today's date is no ended window.
    await bars(deps, { symbol: "AAPL", timeframe: "1Min", end: "2026-12-07" });
    expect(puts.map((put) => put.cacheControl)).toEqual([
      `public, max-age=${CACHE_SECONDS.bars}`,
      `public, max-age=${CACHE_SECONDS.bars}`,
      `public, max-age=${CACHE_SECONDS.closedBars}`,
      `public, max-age=${CACHE_SECONDS.bars}`,
    ]);
    expect(CACHE_SECONDS).toMatchObject({ snapshots: 2, bars: 60, clock: 60, calendar: 60 });
  });

  it("snapshots for 2 s and the clock for a minute, keyed by the upstream request alone (sorted symbols: any order shares one entry)", async () => {
    const { cache, puts } = recordingCache();
    const deps = depsWith(cache);
    await snapshots(deps, ["MSFT", "AAPL"]);
    await snapshots(deps, ["AAPL", "MSFT"]);
    await clock(deps);
    expect(puts.map((put) => put.cacheControl)).toEqual(["public, max-age=2", "public, max-age=2", "public, max-age=60"]);
    expect(puts[0]!.key).toBe(puts[1]!.key);
    expect(puts[0]!.key).toBe(`https://market-cache.internal/?upstream=${encodeURIComponent("https://data.example/v2/stocks/snapshots?symbols=AAPL,MSFT")}`);
  });
});
