// Keeping the stream consumers running (src/events/ensure.ts): the Cron Trigger every minute, and
// under development servers the first request of an isolate, at most once a minute, after its answer.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { EVENT_STREAMS } from "../../src/events/consumer";
import { BROKER_KEYS } from "../support/brokerage";
import { BASE } from "../support/worker";

/** The Broker API configured (a port nothing listens on: the consumers' openings fail and back off). */
const brokerEnv = () => ({ ...env, ...BROKER_KEYS, BROKER_API_URL: `http://127.0.0.1:${(env as unknown as { UNUSED_PORT: string }).UNUSED_PORT}` }) as unknown as Env;

const consumerOf = (stream: string) => env.BROKER_STREAMS.get(env.BROKER_STREAMS.idFromName(stream));

describe("keeping the consumers running", () => {
  it("the every-minute Cron Trigger asks each stream's consumer, by the stream's name, to run", async () => {
    await worker.scheduled({ cron: "* * * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController, brokerEnv());
    const statuses = await Promise.all(EVENT_STREAMS.map((stream) => consumerOf(stream).status()));
    expect(statuses.map((status) => status?.stream)).toEqual(["accounts", "trades", "funding"]);
  });

  it("starts none where the Broker API is not configured", async () => {
    const namespace = { get: vi.fn(), idFromName: vi.fn() };
    await worker.scheduled({ cron: "* * * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController, { ...env, BROKER_STREAMS: namespace } as unknown as Env);
    expect(namespace.get).not.toHaveBeenCalled();
  });

  it("under a development server, the first request of the isolate starts them after its answer, and no other request within the minute", async () => {
    const devEnv = { ...brokerEnv(), EVENT_CONSUMERS_ON_REQUEST: "true" } as Env;
    const first = createExecutionContext();
    const waited = vi.spyOn(first, "waitUntil");
    expect((await worker.fetch(new Request(`${BASE}/`), devEnv, first)).status).toBe(200);
    // Answered before the consumers were asked: their work is the context's, after the answer.
    expect(waited).toHaveBeenCalled();
    await waitOnExecutionContext(first);
    for (const stream of EVENT_STREAMS) expect((await consumerOf(stream).status())?.stream).toBe(stream);

    const second = createExecutionContext();
    const secondWaited = vi.spyOn(second, "waitUntil");
    expect((await worker.fetch(new Request(`${BASE}/`), devEnv, second)).status).toBe(200);
    expect(secondWaited).not.toHaveBeenCalled();
    // Production (no EVENT_CONSUMERS_ON_REQUEST) leaves it to the cron.
    const production = createExecutionContext();
    const productionWaited = vi.spyOn(production, "waitUntil");
    await worker.fetch(new Request(`${BASE}/`), brokerEnv(), production);
    expect(productionWaited).not.toHaveBeenCalled();
  });
});
