// From the Broker's event to the user's live stream, as deployed: the BrokerStreamConsumer Durable
// Object on the fake upstream's trades stream applies each event to D1 and hands the change to the
// owner's UserEventStreams object, which writes it to the owner's open stream, and to nobody else's.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { BrokerStreamConsumer } from "../../src/events/consumer";
import { BROKER_KEYS } from "../support/brokerage";
import { accountHolder } from "../support/funding";
import { documentedBody, streamOf } from "../support/live-events";
import { scenario } from "../support/worker";
import { brokerOrder } from "./ledger-support";
import { idAt } from "./stream-support";

describe("a Broker trade event", () => {
  it("reaches its owner's open stream within a second, with the body GET answers from D1; another user's stream never sees it", async () => {
    const [ann, bea] = await Promise.all([accountHolder(), accountHolder()]);
    const [annStream, beaStream] = [streamOf(await ann.call("/platform/accounts/me/events")), streamOf(await bea.call("/platform/accounts/me/events"))];
    const [annsOrder, beasOrder] = [brokerOrder(), brokerOrder()];
    const at = Date.now();
    const trade = (id: string, accountId: string, order: object) =>
      `data: ${JSON.stringify({ account_id: accountId, event: "new", event_id: id, at: new Date(at).toISOString(), timestamp: new Date(at).toISOString(), order })}\n\n`;
    const upstream = await scenario({
      "GET /v2/events/trades": [{ status: 200, headers: { "content-type": "text/event-stream" }, chunks: [trade(idAt(at, 1), ann.accountId, annsOrder), trade(idAt(at, 2), bea.accountId, beasOrder)] }],
    });
    const consumer = env.BROKER_STREAMS.get(env.BROKER_STREAMS.idFromName(`trades-${crypto.randomUUID()}`));
    await runInDurableObject(consumer, (instance: BrokerStreamConsumer) => {
      Object.assign(instance, { env: { ...env, ...BROKER_KEYS, BROKER_API_URL: upstream.base } });
    });

    const started = Date.now();
    await consumer.ensureRunning("trades");
    const message = await annStream.next();
    expect(Date.now() - started).toBeLessThan(1000);
    await consumer.closed();
    await consumer.stop();

    expect(message).toMatchObject({ event: "order" });
    const read = await ann.call(`/platform/accounts/me/orders/${annsOrder.id}`);
    expect(read.status).toBe(200);
    expect(documentedBody(message)).toEqual(await read.json());
    // Bea's first message is her own order: Ann's never reached her stream.
    expect(JSON.parse((await beaStream.next())!.data!)).toMatchObject({ id: beasOrder.id });
  });
});
