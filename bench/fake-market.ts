// The Market Data API inside the bench isolate, as fake-broker.ts is the Broker API: globalThis.fetch
// answers GET /v2/stocks/snapshots with the recorded snapshot of AAPL (test/fixtures/market.ts, JSON
// numbers as the API writes them) for every symbol asked, and counts each call. A bench tool: it
// checks nothing.
import { AAPL_SNAPSHOT_TEXT } from "../test/fixtures/market";
import type { CallCounts } from "./fake-cognito";

/** Wraps globalThis.fetch: requests below `baseUrl` are answered here, the rest go to the fetch installed before. */
export function installFakeMarketData(baseUrl: string, counts: CallCounts): void {
  const next = globalThis.fetch;
  globalThis.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(baseUrl)) return next(request);
    counts.GetSnapshots = (counts.GetSnapshots ?? 0) + 1;
    const symbols = (new URL(request.url).searchParams.get("symbols") ?? "").split(",").filter(Boolean);
    const text = `{${symbols.map((symbol) => `${JSON.stringify(symbol)}:${AAPL_SNAPSHOT_TEXT}`).join(",")}}`;
    return new Response(text, { headers: { "content-type": "application/json" } });
  };
}
