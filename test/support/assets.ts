// The asset list as the tests find it: the recorded list (test/fixtures/broker.ts assetsActive) loaded
// once into the shared test database by the code that loads it in production (stores/assets.ts), so
// that an order for AAPL is checked against a known list and asks nothing of a scripted Broker API.
import { env } from "cloudflare:workers";
import { AssetStore } from "../../src/stores/assets";
import { assetsActive } from "../fixtures/broker";

/** Loads the recorded list, unless a list is loaded already. */
export async function seedAssets(): Promise<void> {
  const loaded = await env.DB.prepare("SELECT synced_at FROM asset_sync WHERE id = 1").first<{ synced_at: string | null }>();
  if (loaded?.synced_at) return;
  const store = new AssetStore(env.DB);
  const now = new Date();
  if (!(await store.hold("test-seed", now.toISOString(), new Date(now.getTime() + 60_000).toISOString()))) return;
  await store.load(assetsActive, "test-seed", now.toISOString());
}

/** Empties the list, as a new deployment's; `seedAssets` loads it again after. */
export async function forgetAssets(): Promise<void> {
  await env.DB.batch([env.DB.prepare("DELETE FROM watchlist_symbols"), env.DB.prepare("DELETE FROM assets"), env.DB.prepare("UPDATE asset_sync SET synced_at = NULL, holder = NULL, held_until = NULL")]);
}
