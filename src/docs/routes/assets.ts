import type { FailureCode } from "../../failures";
import type { assetRoutes } from "../../routes/assets";
import { AssetResponse, AssetsResponse, NewWatchlist, RenameWatchlist, WatchlistResponse, WatchlistsResponse, WatchlistSymbol } from "../../schemas/assets";
import { ANY, BODY, PLATFORM, TOKEN, type RouterDocs } from "../route-docs";

/**
 * Every route here: the token, the address's and the user's limits, D1 and the Broker API's settings;
 * a list never loaded is loaded on first use (a Broker API call: its faults, or 503 while another
 * request loads it).
 */
const SIGNED: FailureCode[] = [...PLATFORM, ...TOKEN, ...ANY];
const FIRST_USE: FailureCode[] = ["assets_loading", "upstream_error", "upstream_unavailable", "upstream_timeout"];

export const AAPL_ASSET = { symbol: "AAPL", name: "Apple Inc. Common Stock", class: "us_equity", exchange: "NASDAQ", status: "active", tradable: true, fractionable: true, shortable: true, marginable: true };
const WATCHLIST = { id: "3b5b8f2e-2d3c-4a57-9c0f-6d1e2a7b9c41", name: "Tech", assets: [AAPL_ASSET], created_at: "2026-12-01T09:40:00.523Z", updated_at: "2026-12-01T09:40:00.523Z" };
const fromAssets = "Symbols are checked against the asset list: one it does not have is 400 naming the field";

export const assetDocs: RouterDocs<typeof assetRoutes> = {
  "/assets": {
    $get: {
      operationId: "searchAssets",
      summary:
        "Active US equities whose symbol begins with q or whose name holds it (any case): the exact symbol first, then symbols beginning with q, tradable ones first. From the Broker API's asset list, synced daily into D1 (docs/market-data.md)",
      auth: true,
      query: { q: { description: "Text to find, up to 50 characters; none lists the first assets by symbol" }, limit: { description: "1 to 100 (default 20)" } },
      responses: { 200: { description: "The assets found", body: { schema: AssetsResponse, example: { assets: [AAPL_ASSET] } } } },
      problems: [...SIGNED, "validation_failed", ...FIRST_USE],
    },
  },
  "/assets/:symbol": {
    $get: {
      operationId: "getAsset",
      summary: "One asset: whether it is tradable, fractionable, shortable and marginable, its exchange, class, status and name. An asset the Broker API no longer lists is answered inactive and not tradable",
      auth: true,
      responses: { 200: { description: "The asset", body: { schema: AssetResponse, example: AAPL_ASSET } } },
      problems: [...SIGNED, "asset_not_found", ...FIRST_USE],
    },
  },
  "/accounts/me/watchlists": {
    $post: {
      operationId: "createWatchlist",
      summary: `A new watchlist of the signed-in user, with its first symbols (at most 20 lists a user, 100 symbols a list; names unique per user, any case). ${fromAssets}. Needs an Idempotency-Key header: the same key and body replay the first answer, with Idempotency-Replayed: true`,
      auth: true,
      body: { schema: NewWatchlist, required: true, example: { name: "Tech", symbols: ["AAPL"] } },
      responses: { 201: { description: "Created", body: { schema: WatchlistResponse, example: WATCHLIST } } },
      problems: [...SIGNED, ...BODY, "idempotency_key_required", "idempotency_key_reused", "request_in_progress", "watchlist_name_taken", "watchlist_limit", ...FIRST_USE],
    },
    $get: {
      operationId: "listWatchlists",
      summary: "The signed-in user's watchlists, oldest first, each with its assets in the order they were added",
      auth: true,
      responses: { 200: { description: "The watchlists", body: { schema: WatchlistsResponse, example: { watchlists: [WATCHLIST] } } } },
      problems: SIGNED,
    },
  },
  "/accounts/me/watchlists/:id": {
    $get: {
      operationId: "getWatchlist",
      summary: "One of the signed-in user's watchlists (another user's id answers as an unknown one)",
      auth: true,
      responses: { 200: { description: "The watchlist", body: { schema: WatchlistResponse, example: WATCHLIST } } },
      problems: [...SIGNED, "watchlist_not_found"],
    },
    $patch: {
      operationId: "renameWatchlist",
      summary: "Rename a watchlist",
      auth: true,
      body: { schema: RenameWatchlist, required: true, example: { name: "Chips" } },
      responses: { 200: { description: "The watchlist renamed", body: { schema: WatchlistResponse, example: { ...WATCHLIST, name: "Chips" } } } },
      problems: [...SIGNED, ...BODY, "watchlist_not_found", "watchlist_name_taken"],
    },
    $delete: {
      operationId: "deleteWatchlist",
      summary: "Delete a watchlist",
      auth: true,
      responses: { 204: { description: "Deleted" } },
      problems: [...SIGNED, ...BODY, "watchlist_not_found"],
    },
  },
  "/accounts/me/watchlists/:id/symbols": {
    $post: {
      operationId: "addWatchlistSymbol",
      summary: `Add a symbol at the end of a watchlist (one it holds already is no change). ${fromAssets}`,
      auth: true,
      body: { schema: WatchlistSymbol, required: true, example: { symbol: "MSFT" } },
      responses: { 200: { description: "The watchlist", body: { schema: WatchlistResponse, example: WATCHLIST } } },
      problems: [...SIGNED, ...BODY, "watchlist_not_found", "watchlist_limit", ...FIRST_USE],
    },
  },
  "/accounts/me/watchlists/:id/symbols/:symbol": {
    $delete: {
      operationId: "removeWatchlistSymbol",
      summary: "Remove a symbol from a watchlist (one it does not hold is no change)",
      auth: true,
      responses: { 200: { description: "The watchlist", body: { schema: WatchlistResponse, example: WATCHLIST } } },
      problems: [...SIGNED, ...BODY, "watchlist_not_found"],
    },
  },
};
