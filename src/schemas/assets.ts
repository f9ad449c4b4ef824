// The asset and watchlist routes' queries, bodies and answers: one definition of each (services
// return the derived types; the docs and tests check answers against them).
import * as z from "zod/mini";
import { WATCHLIST_LIMITS } from "../stores/watchlists";
import { strictBody, TickerSymbol } from "./funding";

const LIMIT = "limit must be a whole number from 1 to 100";

/** GET /assets?q=&limit=: q is matched against symbols and names; none lists the first assets by symbol. */
export const AssetSearchQuery = strictBody({
  q: z._default(z.string({ error: "q must be text" }).check(z.trim(), z.maxLength(50, { error: "q must be at most 50 characters" })), ""),
  limit: z._default(z.pipe(z.string(), z.transform(Number)).check(z.int({ error: LIMIT }), z.minimum(1, { error: LIMIT }), z.maximum(100, { error: LIMIT })), 20),
});

export const AssetResponse = z.object({
  symbol: z.string(),
  name: z.string(),
  /** us_equity (the list this API keeps). */
  class: z.string(),
  exchange: z.string(),
  /** active, or inactive for an asset the Broker API no longer lists. */
  status: z.string(),
  tradable: z.boolean(),
  fractionable: z.boolean(),
  shortable: z.boolean(),
  marginable: z.boolean(),
});
export type AssetResponse = z.output<typeof AssetResponse>;

export const AssetsResponse = z.object({ assets: z.array(AssetResponse) });

const name = z.string({ error: "name must be a string" }).check(
  z.trim(),
  z.minLength(1, { error: "name must not be empty" }),
  z.maxLength(64, { error: "name must be at most 64 characters" }),
);

/** POST /accounts/me/watchlists */
export const NewWatchlist = strictBody({
  name,
  symbols: z.optional(z.array(TickerSymbol, { error: "symbols must be an array of symbols" }).check(z.maxLength(WATCHLIST_LIMITS.symbols, { error: `symbols must hold at most ${WATCHLIST_LIMITS.symbols} symbols` }))),
});
export type NewWatchlist = z.output<typeof NewWatchlist>;

/** PATCH /accounts/me/watchlists/{id} */
export const RenameWatchlist = strictBody({ name });

/** POST /accounts/me/watchlists/{id}/symbols */
export const WatchlistSymbol = strictBody({ symbol: TickerSymbol });

export const WatchlistResponse = z.object({
  id: z.string(),
  name: z.string(),
  /** Its assets, in the order they were added. */
  assets: z.array(AssetResponse),
  created_at: z.string(),
  updated_at: z.string(),
});
export type WatchlistResponse = z.output<typeof WatchlistResponse>;

export const WatchlistsResponse = z.object({ watchlists: z.array(WatchlistResponse) });
