import type { FailureCode } from "../../failures";
import type { marketRoutes } from "../../routes/market";
import { BarsResponse, CalendarResponse, ClockResponse, SnapshotsResponse } from "../../schemas/market";
import { ANY, PLATFORM, TOKEN, type RouterDocs } from "../route-docs";

/** Every market route: the token, the address's and the user's limits, and the upstream (its 429 as rate_limited with Retry-After). */
const MARKET: FailureCode[] = [...PLATFORM, ...TOKEN, "upstream_error", "upstream_unavailable", "upstream_timeout", ...ANY];

const BAR = { time: "2021-05-11T04:00:00Z", open: "123.5", high: "126.27", low: "122.77", close: "125.91", volume: "125863164" };

/** broker-api.md section 9's snapshot of AAPL, as this API answers it. */
export const SNAPSHOT_EXAMPLE = {
  symbol: "AAPL",
  latest_trade: { price: "125.91", size: "5589631", time: "2021-05-11T20:00:00.435997104Z" },
  latest_quote: { bid_price: "125.6", bid_size: "4", ask_price: "125.68", ask_size: "12", time: "2021-05-11T22:05:02.307304704Z" },
  daily_bar: BAR,
  prev_daily_bar: { time: "2021-05-10T04:00:00Z", open: "129.41", high: "129.54", low: "126.81", close: "126.85", volume: "79569305" },
};

const cached = (seconds: string) => `Cached at the edge for ${seconds}, shared by every user (the key is the upstream request, never the user)`;

export const marketDocs: RouterDocs<typeof marketRoutes> = {
  "/market/snapshots": {
    $get: {
      operationId: "getSnapshots",
      summary: `The latest trade, the latest quote, the day's bar and the previous day's bar of 1 to 50 symbols, in the order asked; prices and sizes as decimal strings, digit for digit as the Market Data API wrote them. A symbol the feed has nothing for answers with nulls. ${cached("2 seconds")}`,
      auth: true,
      query: { symbols: { description: "1 to 50 symbols, comma-separated: AAPL,MSFT" } },
      responses: { 200: { description: "One snapshot per symbol", body: { schema: SnapshotsResponse, example: { snapshots: [SNAPSHOT_EXAMPLE] } } } },
      problems: [...MARKET, "validation_failed", "market_data_not_entitled"],
    },
  },
  "/market/bars": {
    $get: {
      operationId: "getBars",
      summary: `One symbol's bars, oldest first, a page at a time: pass next_cursor as cursor for the next page. ${cached("60 seconds (an hour for a window that ended at least 15 minutes ago)")}`,
      auth: true,
      query: {
        symbol: { description: "The symbol: AAPL" },
        timeframe: { description: "The bar's length", enum: ["1Min", "5Min", "15Min", "1Hour", "1Day"] },
        start: { description: "RFC 3339 time or date (inclusive); default: the start of today" },
        end: { description: "RFC 3339 time or date (inclusive); default: now" },
        limit: { description: "Bars per page, 1 to 10000 (default 1000)" },
        cursor: { description: "The next_cursor of the page before" },
      },
      responses: { 200: { description: "A page of bars", body: { schema: BarsResponse, example: { symbol: "AAPL", timeframe: "1Day", bars: [BAR], next_cursor: "QUFQTHxNfDE2MjA3MDU2MDAwMDAwMDAwMDA=" } } } },
      problems: [...MARKET, "validation_failed", "market_data_not_entitled"],
    },
  },
  "/market/clock": {
    $get: {
      operationId: "getClock",
      summary: `Whether the market is open, and its next open and close (New York time with its offset). ${cached("a minute")}: is_open may lag the bell by up to a minute`,
      auth: true,
      responses: {
        200: {
          description: "The clock",
          body: { schema: ClockResponse, example: { is_open: false, next_open: "2026-12-07T09:30:00-05:00", next_close: "2026-12-07T16:00:00-05:00", timestamp: "2026-12-06T18:15:54.12-05:00" } },
        },
      },
      problems: MARKET,
    },
  },
  "/market/calendar": {
    $get: {
      operationId: "getCalendar",
      summary: `The trading sessions from start to end, inclusive: each date with its open and close (New York wall-clock time, early closes included). ${cached("a minute")}`,
      auth: true,
      query: { start: { description: "A date, YYYY-MM-DD; default today" }, end: { description: "A date, YYYY-MM-DD; default today" } },
      responses: {
        200: {
          description: "The sessions",
          body: { schema: CalendarResponse, example: { sessions: [{ date: "2026-12-23", open: "09:30", close: "16:00" }, { date: "2026-12-24", open: "09:30", close: "13:00" }] } },
        },
      },
      problems: [...MARKET, "validation_failed"],
    },
  },
};
