// Two users on every id-taking funding and trading route: another account's id answers exactly as an
// unknown one, and every Broker API call names the caller's own account. Then a log and D1 scan for
// bank numbers and Plaid tokens across the funding flows.
import { describe, expect, it } from "vitest";
import { achRelationshipQueued, notionalMarketOrderAccepted, positions, transferQueued } from "../fixtures/broker";
import { authenticationResult } from "../fixtures/cognito";
import { plaidProcessorTokenCreated, plaidPublicTokenExchanged } from "../fixtures/plaid";
import { everyRowStored } from "../support/brokerage";
import type { Reply } from "../support/fake-upstream";
import { accountHolder } from "../support/funding";
import { consoleLines } from "../support/logs";
import { timingOut } from "../support/timeouts";
import { STRONG_PASSWORD, visibleAnswer } from "../support/worker";

const notFound = (message: string): Reply[] => [{ status: 404, body: { code: 40410000, message } }];

describe("two users", () => {
  it("never reach each other's bank links, transfers, orders or positions: the same answer as an unknown id, calls under the caller's account", async () => {
    const ann = await accountHolder(
      {
        "GET /v1/accounts/{id}/ach_relationships": [{ body: [{ ...achRelationshipQueued, status: "APPROVED" }] }],
        "GET /v1/accounts/{id}/transfers": [{ body: [transferQueued] }],
        "GET /v1/trading/accounts/{id}/orders": [{ body: [notionalMarketOrderAccepted] }],
        "GET /v1/trading/accounts/{id}/positions": [{ body: positions }],
      },
      { opened: "before" },
    );
    // Ann's objects exist for Ann.
    expect((await ann.call(`/platform/accounts/me/transfers/${transferQueued.id}`)).status).toBe(200);
    expect((await ann.call(`/platform/accounts/me/orders/${notionalMarketOrderAccepted.id}`)).status).toBe(200);

    // The Broker API answers Bea's account as it would: nothing of Ann's is under it.
    const bea = await accountHolder({
      InitiateAuth: [authenticationResult()],
      "GET /v1/accounts/{id}/ach_relationships": [{ body: [] }],
      "DELETE /v1/accounts/{id}/ach_relationships/{id}": notFound("ach relationship not found"),
      "DELETE /v1/accounts/{id}/transfers/{id}": notFound("transfer not found"),
      "DELETE /v1/trading/accounts/{id}/orders/{id}": notFound("order not found"),
      "PATCH /v1/trading/accounts/{id}/orders/{id}": notFound("order not found"),
      "DELETE /v1/trading/accounts/{id}/orders": [{ status: 207, body: [] }],
      "DELETE /v1/trading/accounts/{id}/positions/AAPL": notFound("position not found"),
      "DELETE /v1/trading/accounts/{id}/positions/ZZZZ": notFound("position not found"),
    });
    const stepUp = { password: STRONG_PASSWORD };
    const tries: [string, (id: string) => Promise<Response>, string, string][] = [
      ["DELETE bank link", (id) => bea.send("DELETE", `/platform/accounts/me/bank-links/${id}`, stepUp), achRelationshipQueued.id, crypto.randomUUID()],
      ["GET transfer", (id) => bea.call(`/platform/accounts/me/transfers/${id}`), transferQueued.id, crypto.randomUUID()],
      ["DELETE transfer", (id) => bea.call(`/platform/accounts/me/transfers/${id}`, { method: "DELETE" }), transferQueued.id, crypto.randomUUID()],
      ["GET order", (id) => bea.call(`/platform/accounts/me/orders/${id}`), notionalMarketOrderAccepted.id, crypto.randomUUID()],
      ["DELETE order", (id) => bea.call(`/platform/accounts/me/orders/${id}`, { method: "DELETE" }), notionalMarketOrderAccepted.id, crypto.randomUUID()],
      ["PATCH order", (id) => bea.send("PATCH", `/platform/accounts/me/orders/${id}`, { qty: "3" }, { "idempotency-key": crypto.randomUUID() }), notionalMarketOrderAccepted.id, crypto.randomUUID()],
      ["DELETE position", (id) => bea.send("DELETE", `/platform/accounts/me/positions/${id}`, stepUp), "AAPL", "ZZZZ"],
      [
        "POST transfer on Ann's link",
        (id) => bea.post("/platform/accounts/me/transfers", { bank_link_id: id, amount: "10.00", direction: "INCOMING" }, crypto.randomUUID()),
        achRelationshipQueued.id,
        crypto.randomUUID(),
      ],
    ];
    for (const [what, attempt, annsId, unknownId] of tries) {
      const foreign = await visibleAnswer(await attempt(annsId));
      const unknown = await visibleAnswer(await attempt(unknownId));
      expect(foreign.status, what).toBe(404);
      expect(foreign, what).toEqual(unknown);
    }
    // Cancelling all cancels the caller's own open orders: the call names Bea's account.
    expect(await (await bea.call("/platform/accounts/me/orders", { method: "DELETE" })).json()).toEqual({ orders: [] });
    const trail = await bea.brokerTrail();
    expect(trail.length).toBeGreaterThan(tries.length);
    for (const call of trail) expect(call).toContain(`/accounts/${bea.accountId}/`);
    expect(trail.some((call) => call.includes(ann.accountId))).toBe(false);
  });
});

describe("journals", () => {
  it("are not exposed: the tutorial's POST /journals, and any path of it under /platform, is 404", async () => {
    const user = await accountHolder();
    for (const path of ["/journals", "/platform/journals", "/platform/accounts/me/journals"]) {
      const res = await user.send("POST", path, { entry_type: "JNLC", from_account: crypto.randomUUID(), to_account: user.accountId, amount: "50000" });
      expect(res.status, path).toBe(404);
    }
    expect(await user.brokerTrail()).toEqual([]);
  });
});

describe("bank numbers and Plaid tokens", () => {
  it("reach no log line and no D1 row, whatever the flow: linking, a refusal repeating them, a Plaid link, a timeout", async () => {
    const lines = consoleLines();
    const NUMBER = "987654321xyz";
    const ROUTING = "021000021";
    const PUBLIC = "public-sandbox-0123abcd-4567-89ef-0123-456789abcdef";
    const body = { account_owner_name: "Ann Lee", bank_account_type: "SAVINGS", bank_account_number: NUMBER, bank_routing_number: ROUTING };
    const linked = { ...achRelationshipQueued, id: crypto.randomUUID(), bank_account_number: NUMBER, bank_routing_number: ROUTING };
    const user = await accountHolder(
      {
        "POST /v1/accounts/{id}/ach_relationships": [
          { body: linked },
          { status: 422, body: { code: 40010001, message: `bank_account_number ${NUMBER} with routing ${ROUTING} is invalid` } },
          { hang: true },
          { body: { ...linked, account_mask: "0000" } },
        ],
        "GET /v1/accounts/{id}/ach_relationships": [{ body: [linked] }],
        "POST /plaid/item/public_token/exchange": [{ body: plaidPublicTokenExchanged }],
        "POST /plaid/processor/token/create": [{ body: plaidProcessorTokenCreated }],
      },
      { plaid: true },
    );
    const key = () => crypto.randomUUID();
    expect((await user.post("/platform/accounts/me/bank-links", body, key())).status).toBe(201);
    expect((await user.post("/platform/accounts/me/bank-links", body, key())).status).toBe(422);
    expect((await user.post("/platform/accounts/me/bank-links", { ...body, bank_routing_number: "021000022" }, key())).status).toBe(400);
    expect((await timingOut(() => user.post("/platform/accounts/me/bank-links", body, key()))).status).toBe(504);
    expect((await user.post("/platform/accounts/me/bank-links", { plaid_public_token: PUBLIC, plaid_account_id: "acc-1" }, key())).status).toBe(201);
    expect((await user.call("/platform/accounts/me/bank-links")).status).toBe(200);

    const stored = await everyRowStored();
    const log = lines.join("\n");
    expect(lines.length).toBeGreaterThanOrEqual(6);
    for (const secret of [NUMBER, ROUTING, "021000022", PUBLIC, plaidPublicTokenExchanged.access_token, plaidProcessorTokenCreated.processor_token, "plaid-secret-never-shown"]) {
      expect(log, secret).not.toContain(secret);
      expect(stored, secret).not.toContain(secret);
    }
  });
});
