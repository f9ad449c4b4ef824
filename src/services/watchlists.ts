// The signed-in user's watchlists, kept in D1 by the token's `sub` (stores/watchlists.ts), not at the
// Broker API (docs/market-data.md, "Watchlists", says why): every id is looked up with the user, so another user's
// list answers as an unknown one. Each symbol is checked against the asset list when it is added.
import type { Actor } from "../actor";
import type { Deps } from "../deps";
import { Failure } from "../failures";
import type { NewWatchlist, WatchlistResponse } from "../schemas/assets";
import { isNameTaken, WATCHLIST_LIMITS, type WatchlistRow } from "../stores/watchlists";
import { assetsOf, assetView, type AssetDeps } from "./assets";
import { keyUseOf, type Created, type Keyed } from "./funding";
import { IdempotencyKeys } from "./idempotency";
import { iso } from "../time";

type WatchlistDeps = AssetDeps & Pick<Deps, "keys" | "cleared">;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function view(row: WatchlistRow): WatchlistResponse {
  return { id: row.id, name: row.name, assets: row.assets.map(assetView), created_at: row.created_at, updated_at: row.updated_at };
}

/** The list, or 404 watchlist_not_found (also for an id no list of ours can have). */
function found(row: WatchlistRow | null): WatchlistResponse {
  if (!row) throw new Failure("watchlist_not_found");
  return view(row);
}

const listId = (id: string) => {
  if (!UUID.test(id)) throw new Failure("watchlist_not_found");
  return id;
};

/** 400 naming the field for each symbol the asset list does not have. */
async function knownSymbols(deps: WatchlistDeps, actor: Actor, symbols: readonly string[], field: string): Promise<void> {
  if (!symbols.length) return;
  const known = new Set((await assetsOf(deps, actor.id, [...new Set(symbols)])).map((asset) => asset.symbol));
  const unknown = symbols.flatMap((symbol, index) => (known.has(symbol) ? [] : [{ field: field === "symbol" ? field : `${field}.${index}`, message: "symbol is not an asset the broker lists" }]));
  if (unknown.length) throw new Failure("validation_failed", { errors: unknown });
}

async function nameFree<T>(change: Promise<T>): Promise<T> {
  try {
    return await change;
  } catch (error) {
    throw isNameTaken(error) ? new Failure("watchlist_name_taken", { cause: error }) : error;
  }
}

export async function watchlists(deps: WatchlistDeps, actor: Actor): Promise<WatchlistResponse[]> {
  return (await deps.stores.watchlists.list(actor.sub)).map(view);
}

export async function watchlist(deps: WatchlistDeps, actor: Actor, id: string): Promise<WatchlistResponse> {
  return found(await deps.stores.watchlists.read(actor.sub, listId(id)));
}

/** A new list, once per Idempotency-Key (a retry is answered the list the first try made). */
export async function createWatchlist(deps: WatchlistDeps, actor: Actor, input: Keyed<NewWatchlist>): Promise<Created<WatchlistResponse>> {
  const { name, symbols = [] } = input.body;
  const unique = [...new Set(symbols)];
  const use = await keyUseOf(deps, actor, input);
  const answer = await new IdempotencyKeys(deps.stores.keys, deps.now, deps.requestBudgetMs).once(use, async () => {
    await knownSymbols(deps, actor, symbols, "symbols");
    const row = await nameFree(deps.stores.watchlists.create(actor.sub, crypto.randomUUID(), name, unique, iso(deps.now())));
    if (!row) throw new Failure("watchlist_limit", { detail: `A user has at most ${WATCHLIST_LIMITS.lists} watchlists.` });
    return { status: 201, body: JSON.stringify(view(row)), resourceId: row.id };
  });
  // A replay reads nothing upstream, which would have waited for the address's limit: it waits here.
  if (answer.replayed) await deps.cleared;
  return answer as Created<WatchlistResponse>;
}

export async function renameWatchlist(deps: WatchlistDeps, actor: Actor, { id, name }: { id: string; name: string }): Promise<WatchlistResponse> {
  return found(await nameFree(deps.stores.watchlists.rename(actor.sub, listId(id), name, iso(deps.now()))));
}

export async function deleteWatchlist(deps: WatchlistDeps, actor: Actor, id: string): Promise<void> {
  if (!(await deps.stores.watchlists.delete(actor.sub, listId(id)))) throw new Failure("watchlist_not_found");
}

/** Adds a symbol at the end (one the list has is no change); 409 watchlist_limit when it is full. */
export async function addWatchlistSymbol(deps: WatchlistDeps, actor: Actor, { id, symbol }: { id: string; symbol: string }): Promise<WatchlistResponse> {
  listId(id);
  await knownSymbols(deps, actor, [symbol], "symbol");
  const list = found(await deps.stores.watchlists.add(actor.sub, id, symbol, iso(deps.now())));
  if (!list.assets.some((asset) => asset.symbol === symbol)) throw new Failure("watchlist_limit", { detail: `A watchlist holds at most ${WATCHLIST_LIMITS.symbols} symbols.` });
  return list;
}

/** Removes a symbol (one the list does not have is no change). */
export async function removeWatchlistSymbol(deps: WatchlistDeps, actor: Actor, { id, symbol }: { id: string; symbol: string }): Promise<WatchlistResponse> {
  return found(await deps.stores.watchlists.remove(actor.sub, listId(id), symbol.toUpperCase(), iso(deps.now())));
}
