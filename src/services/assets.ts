// The Broker API's asset list, kept in D1 (stores/assets.ts): synced once a day by a Cron Trigger,
// filled on first use when it was never loaded, and read by the asset routes, the order checks and
// the watchlists. One load at a time across every isolate (the sync's lease in D1): of a burst of
// first requests one loads the list, and the others are told to retry in a few seconds.
import { BrokerAssets } from "../broker/assets";
import { BrokerClient } from "../broker/client";
import type { Actor } from "../actor";
import type { Deps, Root } from "../deps";
import { Failure } from "../failures";
import { log } from "../log";
import type { AssetResponse } from "../schemas/assets";
import type { AssetRow, AssetsRead } from "../stores/assets";
import { leaseMsFor } from "../stores/lease";
import { withBrokerFailures } from "./broker-errors";
import { iso } from "../time";

export type AssetDeps = Pick<Deps, "stores" | "broker" | "now" | "requestBudgetMs">;

/**
 * Loads the list whole under the sync's lease, held by `holder` for `leaseMs`: "busy" when another
 * load holds it. A failed load gives the lease back, so the next try runs at once.
 */
export async function loadAssets(deps: Pick<Deps, "stores" | "now"> & { assets: BrokerAssets }, holder: string, leaseMs: number): Promise<{ outcome: "loaded"; count: number } | { outcome: "busy" }> {
  const store = deps.stores.assets;
  const now = deps.now();
  if (!(await store.hold(holder, iso(now), iso(now + leaseMs)))) return { outcome: "busy" };
  try {
    const assets = await deps.assets.active();
    await store.load(assets, holder, iso(now));
    return { outcome: "loaded", count: assets.length };
  } catch (error) {
    await store.release(holder).catch(() => undefined);
    throw error;
  }
}

/** The daily sync's time for the list: it is large (several MB), and no request waits for it. */
const SYNC_TIMEOUT_MS = 60_000;

/** The Cron Trigger's job ("17 4 * * *", index.ts): loads the list with a client and a time of its own. */
export async function syncAssetList(root: Root): Promise<void> {
  const scope = { budgetEndsAt: root.now() + SYNC_TIMEOUT_MS, calls: [], clearance: Promise.resolve() };
  const assets = new BrokerAssets(new BrokerClient(root.brokerage().broker, scope, SYNC_TIMEOUT_MS));
  try {
    const result = await loadAssets({ stores: root.stores(), now: root.now, assets }, `asset-sync:${crypto.randomUUID()}`, SYNC_TIMEOUT_MS + 5_000);
    log("info", "asset sync", { ...result, calls: scope.calls });
  } catch (error) {
    // The list stays as the last sync left it, and the lease is given back: the next day's sync tries again.
    log("error", "asset sync failed", { error: error instanceof Error ? error.message : String(error), calls: scope.calls });
    throw error;
  }
}

/**
 * What `read` finds, once the list is loaded: a list never loaded is loaded now, by this request
 * (on the request's own time and client), or, when another load holds the lease, 503 assets_loading.
 */
async function loaded(deps: AssetDeps, holder: string, read: () => Promise<AssetsRead>): Promise<AssetRow[]> {
  const found = await read();
  if (found.loaded) return found.assets;
  const load = await withBrokerFailures(loadAssets({ stores: deps.stores, now: deps.now, assets: deps.broker.assets }, holder, leaseMsFor(deps.requestBudgetMs)));
  if (load.outcome === "busy") throw new Failure("assets_loading", { headers: { "retry-after": "5" } });
  return (await read()).assets;
}

export function assetView(row: AssetRow): AssetResponse {
  return {
    symbol: row.symbol,
    name: row.name,
    class: row.class,
    exchange: row.exchange,
    status: row.status,
    tradable: row.tradable === 1,
    fractionable: row.fractionable === 1,
    shortable: row.shortable === 1,
    marginable: row.marginable === 1,
  };
}

/** The assets of these symbols that the list has (`holder`: who loads the list if it was never loaded). */
export function assetsOf(deps: AssetDeps, holder: string, symbols: readonly string[]): Promise<AssetRow[]> {
  return loaded(deps, holder, () => deps.stores.assets.bySymbols(symbols));
}

/** A symbol as the Broker API lists them; anything else is no asset (and is never looked up). */
const TICKER = /^[A-Z][A-Z0-9./]{0,14}$/;

export async function asset(deps: AssetDeps, actor: Actor, symbol: string): Promise<AssetResponse> {
  if (!TICKER.test(symbol)) throw new Failure("asset_not_found");
  const [found] = await assetsOf(deps, actor.id, [symbol]);
  if (!found) throw new Failure("asset_not_found");
  return assetView(found);
}

/** Active assets by symbol or name (stores/assets.ts search orders them). */
export async function searchAssets(deps: AssetDeps, actor: Actor, { q, limit }: { q: string; limit: number }): Promise<AssetResponse[]> {
  return (await loaded(deps, actor.id, () => deps.stores.assets.search(q, limit))).map(assetView);
}

const WHOLE = /^\d+(\.0*)?$/;

/**
 * What the Broker API would refuse, refused before it is asked (422 order_rejected, in our words): an
 * unknown symbol, an asset that is not tradable, a fractional qty or a notional on an asset that
 * cannot be traded in fractions.
 */
export async function checkOrderable(deps: AssetDeps, actor: Actor, order: { symbol: string; qty?: string; notional?: string }): Promise<void> {
  const [found] = await assetsOf(deps, actor.id, [order.symbol]);
  const refusal = !found
    ? "The symbol is not an asset the broker lists."
    : found.tradable !== 1 || found.status !== "active"
      ? "The asset is not tradable."
      : found.fractionable !== 1 && (order.notional !== undefined || (order.qty !== undefined && !WHOLE.test(order.qty)))
        ? "The asset cannot be traded in fractions: use a whole quantity or another asset."
        : undefined;
  if (refusal) throw new Failure("order_rejected", { detail: `The order was not sent: ${refusal}` });
}
