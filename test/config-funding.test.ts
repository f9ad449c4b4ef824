// Plaid's settings, the transfer limit and the market data settings, each parsed apart from Cognito's and the Broker API's.
import { describe, expect, it } from "vitest";
import { loadFundingConfig, loadMarketDataConfig, loadPlaidConfig, loadTimeouts } from "../src/config";

describe("Plaid settings", () => {
  it("need the client id and secret, naming them, never their values", () => {
    expect(loadPlaidConfig({})).toEqual({ ok: false, invalid: ["PLAID_CLIENT_ID", "PLAID_SECRET"], placeholders: [] });
    expect(loadPlaidConfig({ PLAID_CLIENT_ID: "id", PLAID_SECRET: "replace-with-plaid-secret" })).toEqual({ ok: false, invalid: ["PLAID_SECRET"], placeholders: ["PLAID_SECRET"] });
  });

  it("default to the sandbox; PLAID_ENV=production and PLAID_API_URL choose the host (Link in the browser: PLAID_ENV's, none for another Plaid)", () => {
    const keys = { PLAID_CLIENT_ID: "id", PLAID_SECRET: "secret" };
    expect(loadPlaidConfig(keys)).toEqual({ ok: true, plaid: { url: "https://sandbox.plaid.com", clientId: "id", secret: "secret", clientName: "Edge Brokerage", linkApi: "https://sandbox.plaid.com" } });
    expect(loadPlaidConfig({ ...keys, PLAID_ENV: "production" })).toMatchObject({ ok: true, plaid: { url: "https://production.plaid.com", linkApi: "https://production.plaid.com" } });
    expect(loadPlaidConfig({ ...keys, PLAID_API_URL: "http://127.0.0.1:9100/plaid/" })).toMatchObject({ ok: true, plaid: { url: "http://127.0.0.1:9100/plaid", linkApi: undefined } });
    expect(loadPlaidConfig({ ...keys, PLAID_ENV: "development" })).toEqual({ ok: false, invalid: ["PLAID_ENV"], placeholders: [] });
  });
});

describe("MAX_TRANSFER_AMOUNT", () => {
  it("is 50000.00 by default, any money amount when set, and named when it is not one", () => {
    expect(loadFundingConfig({})).toEqual({ ok: true, funding: { maxTransferAmount: "50000.00" } });
    expect(loadFundingConfig({ MAX_TRANSFER_AMOUNT: "2500.50" })).toEqual({ ok: true, funding: { maxTransferAmount: "2500.50" } });
    for (const value of ["1e5", "-1", "0", "10.001"]) expect(loadFundingConfig({ MAX_TRANSFER_AMOUNT: value })).toEqual({ ok: false, invalid: ["MAX_TRANSFER_AMOUNT"], placeholders: [] });
  });
});

describe("market data settings", () => {
  it("default to the sandbox data host and the iex feed; MARKET_DATA_URL and MARKET_DATA_FEED=sip change them; anything else is named", () => {
    expect(loadMarketDataConfig({})).toEqual({ ok: true, marketData: { url: "https://data.sandbox.alpaca.markets", feed: "iex" } });
    expect(loadMarketDataConfig({ MARKET_DATA_URL: "https://data.alpaca.markets/", MARKET_DATA_FEED: "sip" })).toEqual({ ok: true, marketData: { url: "https://data.alpaca.markets", feed: "sip" } });
    expect(loadMarketDataConfig({ MARKET_DATA_FEED: "otc", MARKET_DATA_URL: "ftp://data" })).toEqual({ ok: false, invalid: ["MARKET_DATA_FEED", "MARKET_DATA_URL"], placeholders: [] });
  });

  it("MARKET_DATA_TIMEOUT_MS is the data calls' own limit, else UPSTREAM_TIMEOUT_MS", () => {
    expect(loadTimeouts({ UPSTREAM_TIMEOUT_MS: "3000" })).toMatchObject({ ok: true, timeouts: { marketDataMs: 3000, brokerMs: 3000 } });
    expect(loadTimeouts({ MARKET_DATA_TIMEOUT_MS: "1500" })).toMatchObject({ ok: true, timeouts: { marketDataMs: 1500, brokerMs: 5000 } });
    expect(loadTimeouts({ MARKET_DATA_TIMEOUT_MS: "50" })).toEqual({ ok: false, invalid: ["MARKET_DATA_TIMEOUT_MS"], placeholders: [] });
  });
});
