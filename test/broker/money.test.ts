// The Broker API's funding and trading calls (src/broker/funding.ts, trading.ts) on its recorded
// answers (test/fixtures/broker.ts): the request each makes, and what it reads of the answer.
import { describe, expect, it } from "vitest";
import { BrokerClient } from "../../src/broker/client";
import { BrokerFunding } from "../../src/broker/funding";
import { BrokerTrading } from "../../src/broker/trading";
import type { RequestScope } from "../../src/upstream";
import { achRelationshipQueued, BROKER_ERRORS, notionalMarketOrderAccepted, positions, transferQueued, transferReplayed } from "../fixtures/broker";
import type { Reply } from "../support/fake-upstream";
import { BROKER_AUTH, BROKER_KEYS } from "../support/brokerage";
import { scenario } from "../support/worker";

const ACCOUNT = achRelationshipQueued.account_id;

async function broker(replies: Record<string, Reply[]>) {
  const upstream = await scenario(replies);
  const scope: RequestScope = { budgetEndsAt: Date.now() + 5_000, calls: [], clearance: Promise.resolve() };
  const client = new BrokerClient({ url: upstream.base, keyId: BROKER_KEYS.APCA_BROKER_API_KEY, secret: BROKER_KEYS.APCA_BROKER_API_SECRET }, scope, 2_000);
  return { funding: new BrokerFunding(client), trading: new BrokerTrading(client), calls: () => upstream.calls() };
}

describe("the Broker API's funding calls, on recorded answers", () => {
  it("creates an ACH relationship and reads the recorded one", async () => {
    const { funding, calls } = await broker({ "POST /v1/accounts/{id}/ach_relationships": [{ status: 200, body: achRelationshipQueued }] });
    const made = await funding.createRelationship(ACCOUNT, { processor_token: "processor-sandbox-0asd1-a92nc" } as never);
    expect(made).toMatchObject({ id: achRelationshipQueued.id, status: "QUEUED", created_at: achRelationshipQueued.created_at });
    const [call] = await calls();
    expect([call!.path, call!.headers.authorization]).toEqual([`/v1/accounts/${ACCOUNT}/ach_relationships`, BROKER_AUTH]);
  });

  it("creates a transfer under its Idempotency-Key and reads amounts as the recorded decimal strings", async () => {
    const { funding, calls } = await broker({ "POST /v1/accounts/{id}/transfers": [{ status: 200, body: transferQueued }] });
    const key = "3b241101-e2bb-5255-8caf-4136c566a962";
    const made = await funding.createTransfer(ACCOUNT, { relationshipId: transferQueued.relationship_id, amount: "500", direction: "INCOMING" }, key);
    expect(made.transfer).toMatchObject({ id: transferQueued.id, amount: "500", direction: "INCOMING", status: "QUEUED" });
    expect(made.replayed).toBe(false);
    const [call] = await calls();
    expect(call!.body).toMatchObject({ transfer_type: "ach", relationship_id: transferQueued.relationship_id, amount: "500", direction: "INCOMING" });
    expect(call!.headers["idempotency-key"]).toBe(key);
  });

  it("reads a replay of the key (200 with Idempotency-Replayed: true, the transfer in its current status) as not new", async () => {
    const { funding } = await broker({ "POST /v1/accounts/{id}/transfers": [{ status: 200, body: transferReplayed, headers: { "idempotency-replayed": "true" } }] });
    const made = await funding.createTransfer(ACCOUNT, { relationshipId: transferQueued.relationship_id, amount: "500", direction: "INCOMING" }, "3b241101-e2bb-5255-8caf-4136c566a962");
    expect(made).toMatchObject({ replayed: true, transfer: { id: transferQueued.id, status: "COMPLETE" } });
  });

  it("passes the Broker API's 422 for a key sent with another body on as a Broker error, for the service to name", async () => {
    const { funding } = await broker({ "POST /v1/accounts/{id}/transfers": [BROKER_ERRORS.idempotencyKeyReused] });
    const made = funding.createTransfer(ACCOUNT, { relationshipId: transferQueued.relationship_id, amount: "501", direction: "INCOMING" }, "3b241101-e2bb-5255-8caf-4136c566a962");
    await expect(made).rejects.toMatchObject({ name: "BrokerError", httpStatus: 422, refusal: undefined });
  });
});

describe("the Broker API's trading calls, on recorded answers", () => {
  it("places an order and reads the recorded one, qty null beside the notional", async () => {
    const { trading, calls } = await broker({ "POST /v1/trading/accounts/{id}/orders": [{ status: 200, body: notionalMarketOrderAccepted }] });
    const order = { symbol: "AAPL", side: "buy", type: "market", time_in_force: "day", notional: "500", client_order_id: notionalMarketOrderAccepted.client_order_id } as const;
    expect(await trading.placeOrder(ACCOUNT, order)).toMatchObject({ id: notionalMarketOrderAccepted.id, notional: "500", qty: null, status: "accepted" });
    expect((await calls())[0]!.path).toBe(`/v1/trading/accounts/${ACCOUNT}/orders`);
  });

  it("reads the recorded positions, every amount a string", async () => {
    const { trading } = await broker({ "GET /v1/trading/accounts/{id}/positions": [{ status: 200, body: positions }] });
    const [position] = await trading.positions(ACCOUNT);
    expect(position).toMatchObject({ symbol: "AAPL", qty: "5", avg_entry_price: "100.0", market_value: "600.0" });
  });

  it("calls a recorded order with an amount as a number unusable", async () => {
    const { trading } = await broker({ "POST /v1/trading/accounts/{id}/orders": [{ status: 200, body: { ...notionalMarketOrderAccepted, notional: 500 } }] });
    const order = { symbol: "AAPL", side: "buy", type: "market", time_in_force: "day", notional: "500", client_order_id: "x" } as const;
    await expect(trading.placeOrder(ACCOUNT, order)).rejects.toMatchObject({ name: "Failure", code: "upstream_error" });
  });
});
