// The consumer as the Worker runs it: the BrokerStreamConsumer Durable Object, its Broker stream on the
// fake upstream (sent in pieces, as the network does), the real ledger (applyEvent) in the test's D1,
// and its alarm driven by the test (runDurableObjectAlarm).
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { OVERLAP_MS, ulidAt, type BrokerStreamConsumer } from "../../src/events/consumer";
import { BROKER_AUTH, BROKER_KEYS } from "../support/brokerage";
import { scenario } from "../support/worker";
import { brokerOrder, heldAccount, ledgerAudit } from "./ledger-support";
import { idAt } from "./stream-support";

const SSE = { "content-type": "text/event-stream" };

/** A fresh consumer whose Broker API is `base` (its own environment: the test's has no Broker settings). */
async function consumerOn(base: string, vars: Record<string, unknown> = {}) {
  const stub = env.BROKER_STREAMS.get(env.BROKER_STREAMS.idFromName(`trades-${crypto.randomUUID()}`));
  await runInDurableObject(stub, (instance: BrokerStreamConsumer) => {
    Object.assign(instance, { env: { ...env, ...BROKER_KEYS, BROKER_API_URL: base, ...vars } });
  });
  return stub;
}

describe("BrokerStreamConsumer, a Durable Object on the Broker's trades stream", () => {
  it("holds the stream with the Broker key, applies each event to D1 once, and after the Broker ends it reconnects from before the cursor: none lost, none twice", async () => {
    const { sub, accountId } = await heldAccount();
    const order = brokerOrder({ type: "limit", limit_price: "100", qty: "10" });
    const at = Date.now() - 60_000;
    const ids = [idAt(at, 1), idAt(at + 1000, 2), idAt(at + 2000, 3)];
    const trade = (id: string, event: string, fields: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      `data: ${JSON.stringify({ account_id: accountId, event, event_id: id, at: new Date(at).toISOString(), timestamp: new Date(at).toISOString(), order: { ...order, ...fields }, ...extra })}\n\n`;
    const accepted = trade(ids[0]!, "new", { status: "new" });
    const partial = trade(ids[1]!, "partial_fill", { status: "partially_filled", filled_qty: "4", filled_avg_price: "100" }, { price: "100", qty: "4", position_qty: "4" });
    const filled = trade(ids[2]!, "fill", { status: "filled", filled_qty: "10", filled_avg_price: "100" }, { price: "100", qty: "6", position_qty: "10" });
    const upstream = await scenario({
      "GET /v2/events/trades": [
        // The first connection: two events cut mid-line, a heartbeat, then the Broker ends it.
        { status: 200, headers: SSE, chunks: [":heartbeat\r\n\r\n", accepted.slice(0, 50), accepted.slice(50) + partial.slice(0, 10), partial.slice(10)] },
        // The reconnect: the overlap again (both known), then the fill, then the end.
        { status: 200, headers: SSE, chunks: [accepted + partial, filled] },
      ],
    });
    const stub = await consumerOn(upstream.base);

    expect(await stub.ensureRunning("trades")).toMatchObject({ stream: "trades", connected: true, cursor: undefined });
    await stub.closed();
    expect(await stub.status()).toMatchObject({ connected: false, cursor: ids[1], failures: 1, counts: { applied: 2 } });

    await runDurableObjectAlarm(stub);
    await stub.closed();
    await stub.stop();
    expect(await stub.status()).toMatchObject({ cursor: ids[2], counts: { applied: 3, skipped: 2 } });

    const calls = await upstream.calls();
    expect(calls.slice(0, 2).map((call) => [call.path, call.headers.authorization, call.headers.accept])).toEqual([
      ["/v2/events/trades", BROKER_AUTH, "text/event-stream"],
      [`/v2/events/trades?since_id=${ulidAt(at + 1000 - OVERLAP_MS)}`, BROKER_AUTH, "text/event-stream"],
    ]);
    // One audit row per event, each applied once, by the Broker's event (its id), none by a request.
    const audit = await ledgerAudit(sub);
    expect(audit.map((row) => [row.source, row.request_id])).toEqual(ids.map((id) => ["broker_event", id]));
    const { results } = await env.DB.prepare("SELECT status, filled_qty FROM orders WHERE id = ?").bind(order.id).all();
    expect(results).toEqual([{ status: "filled", filled_qty: "10" }]);
  });

  it("applies events with the Broker's settings and D1 alone: no Cognito settings are needed (and no notice is sent without them)", async () => {
    const { sub, accountId } = await heldAccount();
    const order = brokerOrder({ type: "limit", limit_price: "100", qty: "10" });
    const id = idAt(Date.now() - 1000, 1);
    const fill = `data: ${JSON.stringify({ account_id: accountId, event: "fill", event_id: id, at: new Date().toISOString(), timestamp: new Date().toISOString(), order: { ...order, status: "filled", filled_qty: "10", filled_avg_price: "100" }, price: "100", qty: "10", position_qty: "10" })}\n\n`;
    const upstream = await scenario({ "GET /v2/events/trades": [{ status: 200, headers: SSE, chunks: [fill] }] });
    const stub = await consumerOn(upstream.base, { USER_POOL_ID: undefined, COGNITO_USER_CLIENT_ID: undefined, COGNITO_REGION_NAME: undefined });

    await stub.ensureRunning("trades");
    await stub.closed();
    await stub.stop();
    expect(await stub.status()).toMatchObject({ cursor: id, counts: { applied: 1 } });
    expect((await ledgerAudit(sub)).map((row) => [row.source, row.request_id])).toEqual([["broker_event", id]]);
    expect((await upstream.calls()).map((call) => call.path)).toEqual(["/v2/events/trades"]);
  });
});
