// The stand-in's market clock, calendar and price path at fixed instants (scripts/market-standin.mjs).
import { describe, expect, it } from "vitest";
import { bars, calendar, clock, snapshot } from "../../scripts/market-standin.mjs";

describe("the stand-in's clock: the exchange's hours in New York time", () => {
  it.each([
    // A Monday in winter (UTC-5), before the open, during, after the close.
    ["2026-12-07T14:00:00Z", false, "2026-12-07T09:30:00-05:00", "2026-12-07T16:00:00-05:00"],
    ["2026-12-07T15:00:00Z", true, "2026-12-08T09:30:00-05:00", "2026-12-07T16:00:00-05:00"],
    ["2026-12-07T21:00:00Z", false, "2026-12-08T09:30:00-05:00", "2026-12-08T16:00:00-05:00"],
    // Friday evening: Monday next; in summer (UTC-4).
    ["2026-07-10T21:00:00Z", false, "2026-07-13T09:30:00-04:00", "2026-07-13T16:00:00-04:00"],
    // Christmas Eve evening: the 25th is a holiday.
    ["2026-12-24T22:00:00Z", false, "2026-12-28T09:30:00-05:00", "2026-12-28T16:00:00-05:00"],
  ])("at %s: open %s, next open %s, next close %s", (now, isOpen, nextOpen, nextClose) => {
    expect(clock(Date.parse(now))).toMatchObject({ is_open: isOpen, next_open: nextOpen, next_close: nextClose });
  });

  it("writes the time with New York's offset", () => {
    expect(clock(Date.parse("2026-12-07T15:04:05Z")).timestamp).toBe("2026-12-07T10:04:05-05:00");
  });

  it("the calendar defaults to today", () => {
    expect(calendar(new URLSearchParams(), Date.parse("2026-12-07T15:00:00Z"))).toEqual([{ date: "2026-12-07", open: "09:30", close: "16:00" }]);
    expect(calendar(new URLSearchParams(), Date.parse("2026-12-06T15:00:00Z"))).toEqual([]);
  });
});

describe("the stand-in's prices: a fixed path per symbol", () => {
  it("the same instant gives the same snapshot; symbols differ; prices stay within 3% of the base", () => {
    const at = Date.parse("2026-12-07T17:00:00Z");
    expect(snapshot(190, "AAPL", at)).toEqual(snapshot(190, "AAPL", at));
    expect(snapshot(190, "AAPL", at).latestTrade.p).not.toBe(snapshot(190, "MSFT", at).latestTrade.p);
    const { p } = snapshot(190, "AAPL", at).latestTrade;
    expect(Math.abs(p - 190) / 190).toBeLessThan(0.03);
  });

  it("intraday bars only within the session, on the timeframe's grid", () => {
    const page = bars(190, "AAPL", new URLSearchParams("timeframe=15Min&start=2026-12-07T14:00:00Z&end=2026-12-07T15:00:00Z"), Date.parse("2026-12-08T00:00:00Z"));
    expect(page.bars.map((bar: { t: string }) => bar.t)).toEqual(["2026-12-07T14:30:00Z", "2026-12-07T14:45:00Z", "2026-12-07T15:00:00Z"]);
    // An hour's bar from 09:00 New York time holds the open's first half hour; the last one ends at the close.
    const hours = bars(190, "AAPL", new URLSearchParams("timeframe=1Hour&start=2026-12-07T00:00:00Z&end=2026-12-08T00:00:00Z"), Date.parse("2026-12-08T00:00:00Z"));
    expect(hours.bars.map((bar: { t: string }) => bar.t)).toEqual(["14", "15", "16", "17", "18", "19", "20"].map((hour) => `2026-12-07T${hour}:00:00Z`));
    expect((hours.bars as unknown as { n: number }[]).map((bar) => bar.n)).toEqual([30, 60, 60, 60, 60, 60, 60]);
  });
});
