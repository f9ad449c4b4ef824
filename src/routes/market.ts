import { Hono } from "hono/tiny";
import { limit } from "../middleware/rate-limit";
import { requireAuth, type AuthVariables } from "../middleware/require-auth";
import { validQuery } from "../middleware/validate";
import { BarsQuery, CalendarQuery, SnapshotsQuery } from "../schemas/market";
import { bars, calendar, clock, snapshots, type MarketDeps } from "../services/market";
import type { PlatformEnv } from "./env";

type Signed = PlatformEnv & { Variables: AuthVariables };

/** Per user and route (MARKET_RATE_LIMITER, wrangler.toml), as the brokerage reads: one user's polling cannot spend another's. */
const perUser = (route: string) => limit<Signed>({ counter: "MARKET_RATE_LIMITER", key: (c) => `market.${route}|${c.get("user").sub}`, detail: "Too many requests for this account; retry later." });

/** The request's clients (the composition root's), the edge cache every user shares, the clock. */
const depsOf = (c: { get(name: "clients"): PlatformEnv["Variables"]["clients"] }): MarketDeps => {
  const clients = c.get("clients");
  return { market: clients.market, hours: clients.marketHours, cache: caches.default, now: Date.now };
};

/**
 * Prices, charts, the market's clock and calendar: for a signed-in user only (market data is licensed
 * per user of the app), never public; the answers are cached at the edge and shared between users.
 */
export const marketRoutes = new Hono<PlatformEnv>()
  .get("/market/snapshots", requireAuth, perUser("snapshots"), validQuery(SnapshotsQuery), async (c) => {
    return c.json(await snapshots(depsOf(c), c.req.valid("query").symbols), 200);
  })
  .get("/market/bars", requireAuth, perUser("bars"), validQuery(BarsQuery), async (c) => {
    return c.json(await bars(depsOf(c), c.req.valid("query")), 200);
  })
  .get("/market/clock", requireAuth, perUser("clock"), async (c) => {
    return c.json(await clock(depsOf(c)), 200);
  })
  .get("/market/calendar", requireAuth, perUser("calendar"), validQuery(CalendarQuery), async (c) => {
    return c.json(await calendar(depsOf(c), c.req.valid("query")), 200);
  });
