// The market routes against the Broker API stand-in (scripts/market-standin.mjs), as `npm run dev`
// serves them with no keys: deterministic prices, the exchange's hours, the calendar.
import { describe, expect, inject, it } from "vitest";
import { marketUser } from "../support/market";

const STANDIN = inject("brokerStandinVars");
const DECIMAL = /^\d+(\.\d+)?$/;

describe("market data from the stand-in", () => {
  it("snapshots: each part present, prices and sizes as decimal strings, the ask above the bid", async () => {
    const user = await marketUser({}, STANDIN);
    const res = await user.get("/platform/market/snapshots?symbols=AAPL,MSFT,NOPE");
    expect(res.status).toBe(200);
    const { snapshots } = (await res.json()) as { snapshots: { symbol: string; latest_trade: { price: string; size: string } | null; latest_quote: { bid_price: string; ask_price: string } | null; daily_bar: object | null; prev_daily_bar: object | null }[] };
    expect(snapshots.map((snapshot) => snapshot.symbol)).toEqual(["AAPL", "MSFT", "NOPE"]);
    for (const snapshot of snapshots.slice(0, 2)) {
      expect(snapshot.latest_trade!.price).toMatch(DECIMAL);
      expect(snapshot.latest_trade!.size).toMatch(DECIMAL);
      expect(Number(snapshot.latest_quote!.ask_price)).toBeGreaterThan(Number(snapshot.latest_quote!.bid_price));
      expect(snapshot.daily_bar).not.toBeNull();
      expect(snapshot.prev_daily_bar).not.toBeNull();
    }
    expect(snapshots[2]).toEqual({ symbol: "NOPE", latest_trade: null, latest_quote: null, daily_bar: null, prev_daily_bar: null });
  });

  it("bars of a past window: the same every time (a fixed path per symbol), paged by the cursor", async () => {
    const user = await marketUser({}, STANDIN);
    const window = "symbol=AAPL&timeframe=1Day&start=2026-11-23&end=2026-11-30T00:00:00Z&limit=3";
    const first = (await (await user.get(`/platform/market/bars?${window}`)).json()) as { bars: { time: string; close: string }[]; next_cursor: string };
    // Thanksgiving (the 26th) is no session.
    expect(first.bars.map((bar) => bar.time)).toEqual(["2026-11-23T05:00:00Z", "2026-11-24T05:00:00Z", "2026-11-25T05:00:00Z"]);
    const rest = (await (await user.get(`/platform/market/bars?${window}&cursor=${first.next_cursor}`)).json()) as { bars: { time: string }[]; next_cursor: string | null };
    expect(rest.bars.map((bar) => bar.time)).toEqual(["2026-11-27T05:00:00Z"]);
    expect(rest.next_cursor).toBeNull();
    // Another user on another feed: another cache entry, so a fresh call to the stand-in, and the same prices.
    const again = await marketUser({}, { ...STANDIN, MARKET_DATA_FEED: "sip" });
    const other = (await (await again.get(`/platform/market/bars?${window}`)).json()) as { bars: { close: string }[] };
    expect(other.bars.map((bar) => bar.close)).toEqual(first.bars.map((bar) => bar.close));
  });

  it("the clock follows the real time: now lies before the next close, and the next open and close are New York times in the future", async () => {
    const user = await marketUser({}, STANDIN);
    const clock = (await (await user.get("/platform/market/clock")).json()) as { is_open: boolean; next_open: string; next_close: string; timestamp: string };
    const [now, open, close] = [clock.timestamp, clock.next_open, clock.next_close].map(Date.parse);
    expect(clock.next_open).toMatch(/T09:30:00-0[45]:00$/);
    expect(clock.next_close).toMatch(/T16:00:00-0[45]:00$/);
    expect(Math.abs(now! - Date.now())).toBeLessThan(120_000);
    expect(close).toBeGreaterThan(now!);
    expect(open).toBeGreaterThan(now!);
    // Open: the next open follows today's close; closed: the next open comes first.
    expect(clock.is_open ? open! > close! : open! < close!).toBe(true);
  });

  it("the calendar: weekdays but the exchange's holidays, 09:30 to 16:00", async () => {
    const user = await marketUser({}, STANDIN);
    const res = await user.get("/platform/market/calendar?start=2026-12-21&end=2026-12-31");
    expect(((await res.json()) as { sessions: { date: string }[] }).sessions.map((session) => session.date)).toEqual([
      "2026-12-21", "2026-12-22", "2026-12-23", "2026-12-24", "2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31",
    ]);
  });
});
