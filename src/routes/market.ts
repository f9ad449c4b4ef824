import { Hono } from "hono/tiny";
import { validQuery } from "../middleware/validate";
import { BarsQuery, CalendarQuery, SnapshotsQuery } from "../schemas/market";
import { bars, calendar, clock, snapshots, type MarketDeps } from "../services/market";
import type { PlatformEnv } from "./env";
import { rules } from "./rules";

/** The request's clients (the composition root's), the edge cache every user shares, the clock. */
const depsOf = (c: { get(name: "clients"): PlatformEnv["Variables"]["clients"] }): MarketDeps => {
  const clients = c.get("clients");
  return { market: clients.market, hours: clients.marketHours, cache: caches.default, now: Date.now };
};

/**
 * Prices, charts, the market's clock and calendar: for a signed-in user only (market data is licensed
 * per user of the app), never public; the answers are cached at the edge and shared between users.
 * Counted per user and route on the market's counter (MARKET_RATE_LIMITER, wrangler.toml).
 */
export const marketRoutes = new Hono<PlatformEnv>()
  .get("/market/snapshots", ...rules({ limit: { market: "market.snapshots" } }), validQuery(SnapshotsQuery), async (c) => {
    return c.json(await snapshots(depsOf(c), c.req.valid("query").symbols), 200);
  })
  .get("/market/bars", ...rules({ limit: { market: "market.bars" } }), validQuery(BarsQuery), async (c) => {
    return c.json(await bars(depsOf(c), c.req.valid("query")), 200);
  })
  .get("/market/clock", ...rules({ limit: { market: "market.clock" } }), async (c) => {
    return c.json(await clock(depsOf(c)), 200);
  })
  .get("/market/calendar", ...rules({ limit: { market: "market.calendar" } }), validQuery(CalendarQuery), async (c) => {
    return c.json(await calendar(depsOf(c), c.req.valid("query")), 200);
  });
