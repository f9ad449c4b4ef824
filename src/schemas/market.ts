// The market data routes' queries and answers: one definition of each, the TypeScript types derived
// from them (services/market.ts returns them; the docs and the test harness check answers against
// them). Prices and sizes are decimal strings of any length, as the Market Data API's numbers spell them.
import * as z from "zod/mini";

/** A symbol as the exchanges spell it: AAPL, BRK.A, BF/B. Lower case is read as upper case. */
const SYMBOL = /^[A-Z][A-Z0-9./-]{0,14}$/;
const MAX_SYMBOLS = 50;
const TIMEFRAMES = ["1Min", "5Min", "15Min", "1Hour", "1Day"] as const;
/** RFC 3339 (with a Z or an offset) or a date, as the Market Data API takes them. */
const INSTANT = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const symbol = (field: string) =>
  z.pipe(
    z.string({ error: `${field} must be a symbol` }),
    z.transform((text) => text.trim().toUpperCase()),
  ).check(z.regex(SYMBOL, { error: `${field} must be a symbol: letters, digits and . / -, starting with a letter` }));

/** GET /market/snapshots?symbols=AAPL,MSFT: 1 to 50 distinct symbols. */
export const SnapshotsQuery = z.strictObject({
  symbols: z.pipe(
    z.string({ error: "symbols must list 1 to 50 symbols, comma-separated" }),
    z.transform((text) => [...new Set(text.split(",").map((part) => part.trim().toUpperCase()))]),
  ).check(
    z.refine((list) => list.length >= 1 && list.length <= MAX_SYMBOLS && list.every((entry) => SYMBOL.test(entry)), {
      error: `symbols must list 1 to ${MAX_SYMBOLS} symbols, comma-separated (letters, digits and . / -, each starting with a letter)`,
    }),
  ),
});

const instant = (field: string) => z.optional(z.string().check(z.regex(INSTANT, { error: `${field} must be an RFC 3339 time or a date (YYYY-MM-DD)` })));
const date = (field: string) => z.optional(z.string().check(z.regex(DATE, { error: `${field} must be a date (YYYY-MM-DD)` })));
const notAfter = (start: string | undefined, end: string | undefined) => !start || !end || Date.parse(start) <= Date.parse(end);

/** GET /market/bars?symbol=&timeframe=&start=&end=&limit=&cursor= */
export const BarsQuery = z
  .strictObject({
    symbol: symbol("symbol"),
    timeframe: z.enum(TIMEFRAMES, { error: `timeframe must be one of ${TIMEFRAMES.join(", ")}` }),
    start: instant("start"),
    end: instant("end"),
    limit: z.optional(
      z.pipe(z.string(), z.transform(Number)).check(z.int({ error: "limit must be a whole number from 1 to 10000" }), z.minimum(1, { error: "limit must be a whole number from 1 to 10000" }), z.maximum(10_000, { error: "limit must be a whole number from 1 to 10000" })),
    ),
    cursor: z.optional(z.string().check(z.regex(/^[\w+/=-]{1,512}$/, { error: "cursor must be the next_cursor of an earlier answer" }))),
  })
  .check(z.refine((query) => notAfter(query.start, query.end), { error: "end must not be before start", path: ["end"] }));

/** GET /market/calendar?start=&end= (dates, inclusive). */
export const CalendarQuery = z
  .strictObject({ start: date("start"), end: date("end") })
  .check(z.refine((query) => notAfter(query.start, query.end), { error: "end must not be before start", path: ["end"] }));

/** A price or a size: a decimal string, digit for digit as the Market Data API wrote it. */
const MarketDecimal = z.string().check(z.regex(/^-?\d+(\.\d+)?$/));

export const BarResponse = z.object({ time: z.string(), open: MarketDecimal, high: MarketDecimal, low: MarketDecimal, close: MarketDecimal, volume: MarketDecimal });
export type BarResponse = z.output<typeof BarResponse>;

export const SnapshotResponse = z.object({
  symbol: z.string(),
  /** null for a symbol the feed has no trade of (unknown, or not traded yet). */
  latest_trade: z.nullable(z.object({ price: MarketDecimal, size: MarketDecimal, time: z.string() })),
  latest_quote: z.nullable(z.object({ bid_price: MarketDecimal, bid_size: MarketDecimal, ask_price: MarketDecimal, ask_size: MarketDecimal, time: z.string() })),
  daily_bar: z.nullable(BarResponse),
  prev_daily_bar: z.nullable(BarResponse),
});
export type SnapshotResponse = z.output<typeof SnapshotResponse>;

export const SnapshotsResponse = z.object({ snapshots: z.array(SnapshotResponse) });
export type SnapshotsResponse = z.output<typeof SnapshotsResponse>;

export const BarsResponse = z.object({
  symbol: z.string(),
  timeframe: z.enum(TIMEFRAMES),
  bars: z.array(BarResponse),
  /** The next page's `cursor`; null on the last page. */
  next_cursor: z.nullable(z.string()),
});
export type BarsResponse = z.output<typeof BarsResponse>;

export const ClockResponse = z.object({ is_open: z.boolean(), next_open: z.string(), next_close: z.string(), timestamp: z.string() });
export type ClockResponse = z.output<typeof ClockResponse>;

export const CalendarResponse = z.object({
  /** New York wall-clock times (HH:MM), early closes included. */
  sessions: z.array(z.object({ date: z.string(), open: z.string(), close: z.string() })),
});
export type CalendarResponse = z.output<typeof CalendarResponse>;
