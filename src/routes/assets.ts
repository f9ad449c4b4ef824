import type { TypedResponse } from "hono";
import { Hono } from "hono/tiny";
import { routePath } from "hono/route";
import type { AuthVariables } from "../middleware/require-auth";
import { validJson, validQuery } from "../middleware/validate";
import { AssetSearchQuery, NewWatchlist, RenameWatchlist, WatchlistSymbol, type WatchlistResponse } from "../schemas/assets";
import { asset, searchAssets } from "../services/assets";
import { addWatchlistSymbol, createWatchlist, deleteWatchlist, removeWatchlistSymbol, renameWatchlist, watchlist, watchlists } from "../services/watchlists";
import { requestActor } from "./actor";
import type { PlatformEnv } from "./env";
import type { BrokerVariables } from "../middleware/broker";
import { rules } from "./rules";

type Signed = PlatformEnv & { Variables: AuthVariables & BrokerVariables & { idempotencyKey: string } };

const depsOf = (c: { get(name: "deps"): BrokerVariables["deps"] }) => c.get("deps");

/**
 * The asset list (the Broker API's, synced daily into D1) and the signed-in user's watchlists. No
 * route takes a user or account id: a watchlist id is looked up with the token's `sub`. Every route
 * uses D1 and the Broker API (a list never loaded is loaded on first use) and is counted per user
 * and route: asset reads on the market's counter (a search box asks often), watchlists on the brokerage's.
 */
export const assetRoutes = new Hono<Signed>()
  .get("/assets", ...rules({ uses: "broker", limit: { market: "assets.search" } }), validQuery(AssetSearchQuery), async (c) => {
    return c.json({ assets: await searchAssets(depsOf(c), requestActor(c), c.req.valid("query")) }, 200);
  })
  .get("/assets/:symbol", ...rules({ uses: "broker", limit: { market: "assets.read" } }), async (c) => {
    return c.json(await asset(depsOf(c), requestActor(c), c.req.param("symbol").toUpperCase()), 200);
  })
  .post("/accounts/me/watchlists", ...rules({ uses: "broker", limit: { brokerage: "watchlist.create" }, idempotent: true }), validJson(NewWatchlist), async (c) => {
    const input = { key: c.get("idempotencyKey"), route: `${c.req.method} ${routePath(c, -1)}`, body: c.req.valid("json") };
    const answer = await createWatchlist(depsOf(c), requestActor(c), input);
    // The stored answer's exact bytes (a replay adds only Idempotency-Replayed), typed as the list's JSON for hc<AppType>.
    return c.body(answer.body, 201, { "content-type": "application/json", ...(answer.replayed ? { "idempotency-replayed": "true" } : {}) }) as Response as Response & TypedResponse<WatchlistResponse, 201, "json">;
  })
  .get("/accounts/me/watchlists", ...rules({ uses: "broker", limit: { brokerage: "watchlist.list" } }), async (c) => {
    return c.json({ watchlists: await watchlists(depsOf(c), requestActor(c)) }, 200);
  })
  .get("/accounts/me/watchlists/:id", ...rules({ uses: "broker", limit: { brokerage: "watchlist.read" } }), async (c) => {
    return c.json(await watchlist(depsOf(c), requestActor(c), c.req.param("id")), 200);
  })
  .patch("/accounts/me/watchlists/:id", ...rules({ uses: "broker", limit: { brokerage: "watchlist.rename" } }), validJson(RenameWatchlist), async (c) => {
    return c.json(await renameWatchlist(depsOf(c), requestActor(c), { id: c.req.param("id"), name: c.req.valid("json").name }), 200);
  })
  .delete("/accounts/me/watchlists/:id", ...rules({ uses: "broker", limit: { brokerage: "watchlist.delete" } }), async (c) => {
    await deleteWatchlist(depsOf(c), requestActor(c), c.req.param("id"));
    return c.body(null, 204);
  })
  .post("/accounts/me/watchlists/:id/symbols", ...rules({ uses: "broker", limit: { brokerage: "watchlist.add" } }), validJson(WatchlistSymbol), async (c) => {
    return c.json(await addWatchlistSymbol(depsOf(c), requestActor(c), { id: c.req.param("id"), symbol: c.req.valid("json").symbol }), 200);
  })
  .delete("/accounts/me/watchlists/:id/symbols/:symbol", ...rules({ uses: "broker", limit: { brokerage: "watchlist.remove" } }), async (c) => {
    return c.json(await removeWatchlistSymbol(depsOf(c), requestActor(c), { id: c.req.param("id"), symbol: c.req.param("symbol") }), 200);
  });
