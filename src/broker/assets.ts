// The Broker API's asset list (broker-api.md section 10): no account id. What this API reads of an
// Asset; the list is read whole once a day (services/assets.ts keeps it in D1).
import * as z from "zod/mini";
import { read } from "./accounts";
import type { BrokerClient } from "./client";

const BrokerAsset = z.object({
  id: z.string(),
  symbol: z.string().check(z.minLength(1)),
  // Some listings have no name.
  name: z.pipe(z.nullish(z.string()), z.transform((name) => name ?? "")),
  class: z.string(),
  exchange: z.string(),
  status: z.string(),
  tradable: z.boolean(),
  fractionable: z.boolean(),
  shortable: z.boolean(),
  marginable: z.boolean(),
});

export type BrokerAsset = z.output<typeof BrokerAsset>;

export class BrokerAssets {
  readonly #client: BrokerClient;

  constructor(client: BrokerClient) {
    this.#client = client;
  }

  /** Every active US equity (no exchange filter exists; the list is large: one call a day). */
  async active(): Promise<BrokerAsset[]> {
    const answer = await this.#client.call("ListAssets", "GET", "/v1/assets?status=active&asset_class=us_equity");
    // Thousands of assets are active on any day: an empty list is a fault upstream, and kept, it
    // would mark every asset inactive (every order refused until the next sync).
    return read(z.array(BrokerAsset).check(z.minLength(1)), answer, "ListAssets");
  }
}
