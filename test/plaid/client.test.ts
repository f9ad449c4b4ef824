// The Plaid client against Plaid's recorded answers (test/fixtures/plaid.ts), replayed by the fake
// upstream: what it sends, what it reads, how it fails, and that no token reaches an error.
import { describe, expect, it } from "vitest";
import { openPlaid, PlaidError } from "../../src/plaid/client";
import type { RequestScope } from "../../src/upstream";
import { PLAID_ERRORS, plaidLinkTokenCreated, plaidProcessorTokenCreated, plaidPublicTokenExchanged } from "../fixtures/plaid";
import type { Reply } from "../support/fake-upstream";
import { retriesWithoutPause, timingOut } from "../support/timeouts";
import { scenario } from "../support/worker";

retriesWithoutPause();

const CONFIG = { clientId: "plaid-client-id-test", secret: "plaid-secret-never-shown", clientName: "Edge Brokerage", linkApi: "https://sandbox.plaid.com" };

async function plaid(replies: Record<string, Reply[]>, timeoutMs = 2_000, config = CONFIG) {
  const upstream = await scenario(replies);
  const scope: RequestScope = { budgetEndsAt: Date.now() + 5_000, calls: [], clearance: Promise.resolve() };
  return { client: openPlaid({ ...config, url: upstream.base }, scope, timeoutMs), scope, calls: () => upstream.calls() };
}

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a failure");
}

describe("the Plaid client, on recorded answers", () => {
  it("creates a link token for the user, credentials in headers, and reads token and expiration", async () => {
    const { client, calls, scope } = await plaid({ "POST /link/token/create": [{ body: plaidLinkTokenCreated }] });
    expect(await client.linkToken("sub-1")).toEqual({ link_token: plaidLinkTokenCreated.link_token, expiration: "2020-03-27T12:56:34Z" });
    const [call] = await calls();
    expect(call!.body).toEqual({ client_name: "Edge Brokerage", language: "en", country_codes: ["US"], user: { client_user_id: "sub-1" }, products: ["auth"] });
    expect(call!.headers).toMatchObject({ "plaid-client-id": CONFIG.clientId, "plaid-secret": CONFIG.secret, "plaid-version": "2020-09-14", "content-type": "application/json" });
    expect(scope.calls.map(({ action, status }) => [action, status])).toEqual([["LinkTokenCreate", 200]]);
  });

  it("exchanges the public token, then makes an Alpaca processor token for the account", async () => {
    const { client, calls } = await plaid({
      "POST /item/public_token/exchange": [{ body: plaidPublicTokenExchanged }],
      "POST /processor/token/create": [{ body: plaidProcessorTokenCreated }],
    });
    const { accessToken, itemId } = await client.exchangePublicToken("public-sandbox-5c224a01-8314-4491-a06f-39e193d5cddc");
    expect([accessToken, itemId]).toEqual([plaidPublicTokenExchanged.access_token, plaidPublicTokenExchanged.item_id]);
    expect(await client.processorToken(accessToken, "QPO8Jo8vdDHMepg41PBwckXm4KdK1yUdmXOwK")).toBe("processor-sandbox-0asd1-a92nc");
    expect((await calls()).map((call) => [call.action, call.body])).toEqual([
      ["POST /item/public_token/exchange", { public_token: "public-sandbox-5c224a01-8314-4491-a06f-39e193d5cddc" }],
      ["POST /processor/token/create", { access_token: plaidPublicTokenExchanged.access_token, account_id: "QPO8Jo8vdDHMepg41PBwckXm4KdK1yUdmXOwK", processor: "alpaca" }],
    ]);
  });

  it("seals the access token (only a client with the same secret opens it) and removes the Item with it; an Item Plaid no longer has counts as removed", async () => {
    const { client, calls } = await plaid({ "POST /item/remove": [{ body: { request_id: "m8MDnv9okwxFNBV" } }, { status: 400, body: { error_type: "INVALID_INPUT", error_code: "INVALID_ACCESS_TOKEN" } }] });
    const sealed = await client.sealAccessToken(plaidPublicTokenExchanged.access_token);
    expect(sealed).not.toContain(plaidPublicTokenExchanged.access_token);
    expect(sealed).not.toBe(await client.sealAccessToken(plaidPublicTokenExchanged.access_token));
    await client.removeItem(sealed);
    await client.removeItem(sealed);
    expect((await calls()).map((call) => [call.action, call.body])).toEqual(Array(2).fill(["POST /item/remove", { access_token: plaidPublicTokenExchanged.access_token }]));
    const other = await plaid({}, 2_000, { ...CONFIG, secret: "another-plaid-secret" });
    expect(await failureOf(other.client.removeItem(sealed))).toBeInstanceOf(Error);
    expect(await other.calls()).toEqual([]);
  });

  it("keeps Plaid's error type and code, never its messages, and never a token", async () => {
    const { client, scope } = await plaid({ "POST /item/public_token/exchange": [PLAID_ERRORS.invalidPublicToken] });
    const error = await failureOf(client.exchangePublicToken("public-sandbox-secret-token-value"));
    expect(error).toBeInstanceOf(PlaidError);
    expect(error).toMatchObject({ httpStatus: 400, errorType: "INVALID_INPUT", errorCode: "INVALID_PUBLIC_TOKEN" });
    expect(error.message).toBe("ItemPublicTokenExchange answered HTTP 400, INVALID_INPUT/INVALID_PUBLIC_TOKEN");
    expect(JSON.stringify(scope.calls)).not.toContain("public-sandbox-secret-token-value");
    expect(scope.calls).toEqual([expect.objectContaining({ action: "ItemPublicTokenExchange", status: 400, errorType: "INVALID_PUBLIC_TOKEN" })]);
  });

  it("retries a link token after Plaid's own fault, never an exchange (single use)", async () => {
    const linking = await plaid({ "POST /link/token/create": [PLAID_ERRORS.internal, { body: plaidLinkTokenCreated }] });
    expect((await linking.client.linkToken("sub-1")).link_token).toBe(plaidLinkTokenCreated.link_token);
    expect(await linking.calls()).toHaveLength(2);
    const exchanging = await plaid({ "POST /item/public_token/exchange": [PLAID_ERRORS.internal, { body: plaidPublicTokenExchanged }] });
    expect(await failureOf(exchanging.client.exchangePublicToken("public-sandbox-x"))).toMatchObject({ httpStatus: 500, errorType: "API_ERROR" });
    expect(await exchanging.calls()).toHaveLength(1);
  });

  it("calls an answer of the wrong shape, a 5xx page and a timeout what they are", async () => {
    const wrong = await plaid({ "POST /processor/token/create": [{ body: { request_id: "x" } }] });
    expect(await failureOf(wrong.client.processorToken("access-sandbox-x", "acc"))).toMatchObject({ code: "upstream_error", detail: "Plaid gave an unusable answer." });
    const page = await plaid({ "POST /processor/token/create": [{ status: 502, body: "<html>bad gateway</html>" }] });
    expect(await failureOf(page.client.processorToken("access-sandbox-x", "acc"))).toMatchObject({ code: "upstream_error" });
    const slow = await plaid({ "POST /item/public_token/exchange": [{ hang: true }] });
    expect(await failureOf(timingOut(() => slow.client.exchangePublicToken("public-sandbox-x")))).toMatchObject({ code: "upstream_timeout", detail: "Plaid did not answer in time." });
  });
});
