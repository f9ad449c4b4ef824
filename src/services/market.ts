// Market data for a signed-in user: snapshots and bars (the Market Data API), the clock and the
// calendar (the Broker API). Each answer is cached at the edge (the Cache API), shared by every user:
// the key is the upstream request alone, never the user or the token (market data is licensed per
// user of the app, so the routes still need a signed-in user; the data is the same for each).
import { BrokerError } from "../broker/errors";
import { Failure } from "../failures";
import type { CalendarRange, MarketClock, MarketHours, MarketSession } from "../broker/market-hours";
import { MarketDataError, type BarsQuery, type MarketBar, type MarketData, type MarketRequest, type MarketSnapshot } from "../market/client";
import type { BarResponse, BarsResponse, CalendarResponse, ClockResponse, SnapshotResponse, SnapshotsResponse } from "../schemas/market";
import { brokerMeaningOf } from "./broker-errors";

/** What the market flows run with: the invocation's clients, the edge cache and the clock. */
export interface MarketDeps {
  market: MarketData;
  hours: MarketHours;
  cache: Cache;
  now: () => number;
}

/** How long each answer is reused, in seconds (docs/market-data.md). */
export const CACHE_SECONDS = {
  snapshots: 2,
  bars: 60,
  /** Bars of a window that ended this long ago no longer change. */
  closedBars: 3_600,
  clock: 60,
  calendar: 60,
} as const;

/** A window whose end is at least this far in the past is closed: its last bar is final (late trades settle within it). */
const CLOSED_AFTER_MS = 15 * 60_000;

/** The cache key: a synthetic URL of the upstream request alone. */
function cacheKey(upstream: string): Request {
  return new Request(`https://market-cache.internal/?upstream=${encodeURIComponent(upstream)}`);
}

/** The cached answer of `upstream`, or `load`'s, stored for `seconds` before it is answered. */
async function cached<T>(cache: Cache, upstream: string, seconds: number, load: () => Promise<T>): Promise<T> {
  const key = cacheKey(upstream);
  const hit = await cache.match(key);
  if (hit) return (await hit.json()) as T;
  const value = await load();
  await cache.put(key, new Response(JSON.stringify(value), { headers: { "content-type": "application/json", "cache-control": `public, max-age=${seconds}` } }));
  return value;
}

/** A Market Data API or Broker API refusal in our words. */
function meaningOf(error: unknown): unknown {
  if (error instanceof BrokerError) return brokerMeaningOf(error);
  if (!(error instanceof MarketDataError)) return error;
  if (error.httpStatus === 429) {
    return new Failure("rate_limited", { detail: "The Market Data API is throttling requests; retry later.", headers: { "retry-after": String(error.retryAfterSeconds ?? 1) }, cause: error });
  }
  if (error.httpStatus === 403) return new Failure("market_data_not_entitled", { cause: error });
  // Our key refused.
  if (error.httpStatus === 401) return new Failure("misconfigured", { cause: error });
  // Values our schema let through that the Market Data API refuses (a date it reads otherwise, a stale cursor): the client's to fix, not a fault.
  if (error.httpStatus === 400 || error.httpStatus === 422) {
    return new Failure("validation_failed", { detail: "The market data service refused the query's values (a date, a symbol or the cursor).", cause: error });
  }
  return new Failure("upstream_error", { detail: "The Market Data API failed to complete the request.", cause: error });
}

async function inOurWords<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw meaningOf(error);
  }
}

const barOf = (bar: MarketBar): BarResponse => ({ time: bar.t, open: bar.o, high: bar.h, low: bar.l, close: bar.c, volume: bar.v });

function snapshotOf(symbol: string, snapshot: MarketSnapshot | null | undefined): SnapshotResponse {
  const trade = snapshot?.latestTrade;
  const quote = snapshot?.latestQuote;
  return {
    symbol,
    latest_trade: trade ? { price: trade.p, size: trade.s, time: trade.t } : null,
    latest_quote: quote ? { bid_price: quote.bp, bid_size: quote.bs, ask_price: quote.ap, ask_size: quote.as, time: quote.t } : null,
    daily_bar: snapshot?.dailyBar ? barOf(snapshot.dailyBar) : null,
    prev_daily_bar: snapshot?.prevDailyBar ? barOf(snapshot.prevDailyBar) : null,
  };
}

/**
 * The latest trade, quote, day's and previous day's bar of each symbol, in the order asked. One
 * upstream call for the set, sorted so that the same set in any order shares one cache entry; a
 * symbol the feed has nothing for answers with nulls.
 */
export async function snapshots(deps: MarketDeps, symbols: readonly string[]): Promise<SnapshotsResponse> {
  const request = deps.market.snapshotsRequest([...symbols].sort());
  const bySymbol = await cached(deps.cache, request.url, CACHE_SECONDS.snapshots, () => inOurWords(deps.market.snapshots(request)));
  return { snapshots: symbols.map((symbol) => snapshotOf(symbol, bySymbol[symbol])) };
}

/**
 * When a window's `end` is over. A bare date is inclusive (the whole of that day's session, extended
 * hours end at 20:00 New York, 01:00 UTC the next day): over 30 hours after its UTC midnight.
 */
function endOf(end: string): number {
  return /^\d{4}-\d{2}-\d{2}$/.test(end) ? Date.parse(end) + 30 * 3_600_000 : Date.parse(end);
}

/** Bars of one symbol, oldest first, a page at a time: `next_cursor` is the Market Data API's page token, passed back as it came. */
export async function bars(deps: MarketDeps, query: Omit<BarsQuery, "pageToken"> & { cursor?: string }): Promise<BarsResponse> {
  const request: MarketRequest = deps.market.barsRequest({ ...query, pageToken: query.cursor });
  const closed = query.end !== undefined && endOf(query.end) <= deps.now() - CLOSED_AFTER_MS;
  const page = await cached(deps.cache, request.url, closed ? CACHE_SECONDS.closedBars : CACHE_SECONDS.bars, () => inOurWords(deps.market.bars(request)));
  return { symbol: query.symbol, timeframe: query.timeframe, bars: (page.bars ?? []).map(barOf), next_cursor: page.next_page_token ?? null };
}

/** Whether the market is open now, and its next open and close (New York offsets, as the Broker API writes them); up to a minute old. */
export async function clock(deps: MarketDeps): Promise<ClockResponse> {
  const answer: MarketClock = await cached(deps.cache, deps.hours.clockUrl, CACHE_SECONDS.clock, () => inOurWords(deps.hours.clock()));
  return { is_open: answer.is_open, next_open: answer.next_open, next_close: answer.next_close, timestamp: answer.timestamp };
}

/** The trading sessions between two dates, inclusive (the Broker API's defaults without them). */
export async function calendar(deps: MarketDeps, range: CalendarRange): Promise<CalendarResponse> {
  const url = deps.hours.calendarUrl(range);
  const sessions: MarketSession[] = await cached(deps.cache, url, CACHE_SECONDS.calendar, () => inOurWords(deps.hours.calendar(range)));
  return { sessions: sessions.map(({ date, open, close }) => ({ date, open, close })) };
}
