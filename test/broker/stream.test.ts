// The Broker API's event streams (broker-api.md section 7) through BrokerClient.stream, on the fake
// upstream sending its body in pieces: the Response as soon as its headers arrive, the body read as it
// comes, no bound of the request's budget, the caller's abort, the wait for the headers timed, and a
// refusal failing as a REST call's does.
import { describe, expect, it, vi } from "vitest";
import { BrokerClient } from "../../src/broker/client";
import type { RequestScope } from "../../src/upstream";
import { accountStatusEvent, BROKER_ERRORS } from "../fixtures/broker";
import type { Reply } from "../support/fake-upstream";
import { BROKER_AUTH, BROKER_KEYS } from "../support/brokerage";
import { secondsLeftAround } from "../support/timeouts";
import { scenario } from "../support/worker";

const STATUS_EVENTS = "/v1/events/accounts/status";
const HEARTBEAT = ":heartbeat\n\n";
const EVENT = `data: ${JSON.stringify(accountStatusEvent)}\n\n`;
const SSE = { "content-type": "text/event-stream" };

async function broker(replies: Reply[], timeoutMs = 2_000) {
  const upstream = await scenario({ [`GET ${STATUS_EVENTS}`]: replies });
  // A budget spent already: a stream is no part of a request's.
  const scope: RequestScope = { budgetEndsAt: Date.now() - 1, calls: [], clearance: Promise.resolve() };
  const client = new BrokerClient({ url: upstream.base, keyId: BROKER_KEYS.APCA_BROKER_API_KEY, secret: BROKER_KEYS.APCA_BROKER_API_SECRET }, scope, timeoutMs);
  return { client, scope, calls: () => upstream.calls() };
}

/** Reads on until the text so far ends with `wanted` (pieces may arrive split or joined). */
async function readUntil(reader: ReadableStreamDefaultReader<string>, wanted: string, text = ""): Promise<string> {
  while (!text.endsWith(wanted)) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the body ended before ${JSON.stringify(wanted)}: ${JSON.stringify(text)}`);
    text += value;
  }
  return text;
}

const readerOf = (response: Response) => response.body!.pipeThrough(new TextDecoderStream()).getReader();

describe("BrokerClient.stream, an event stream on the fake upstream", () => {
  it("answers the Response at its headers, Basic auth, Accept text/event-stream and the cursor sent, and its body read while the Broker keeps it open", async () => {
    const { client, scope, calls } = await broker([{ status: 200, headers: SSE, chunks: [HEARTBEAT, EVENT], hang: true }]);
    const response = await client.stream("AccountStatusEvents", STATUS_EVENTS, { query: { since_ulid: accountStatusEvent.event_ulid } });
    expect([response.status, response.headers.get("content-type")]).toEqual([200, "text/event-stream"]);
    const reader = readerOf(response);
    // The body never ends here: a buffered read would never return.
    expect(await readUntil(reader, EVENT)).toBe(HEARTBEAT + EVENT);
    await reader.cancel();
    const [call] = await calls();
    expect([call!.path, call!.headers.authorization, call!.headers.accept]).toEqual([`${STATUS_EVENTS}?since_ulid=${accountStatusEvent.event_ulid}`, BROKER_AUTH, "text/event-stream"]);
    expect(scope.calls).toMatchObject([{ action: "AccountStatusEvents", status: 200 }]);
  });

  it("reads a body that outlasts the wait for the headers, piece by piece, to its end", async () => {
    // The last piece comes after the 300 ms for the headers have run out: that limit ends with the headers.
    const { client } = await broker([{ status: 200, headers: SSE, chunks: [HEARTBEAT, EVENT, HEARTBEAT], chunkGapMs: 160 }], 300);
    // The wait for the headers on a clock of the test's: a loaded machine cannot make the headers late;
    // once they are in, the 300 ms run out at once, with the body still to come.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let response: Response;
    try {
      response = await client.stream("AccountStatusEvents", STATUS_EVENTS);
      vi.advanceTimersByTime(300);
    } finally {
      vi.useRealTimers();
    }
    expect(await new Response(response.body).text()).toBe(HEARTBEAT + EVENT + HEARTBEAT);
  });

  it("ends the body when the caller aborts mid-stream, and a wait for the headers too (logged as aborted)", async () => {
    const { client, scope } = await broker([{ status: 200, headers: SSE, chunks: [EVENT], hang: true }, { hang: true }]);
    const reading = new AbortController();
    const reader = readerOf(await client.stream("AccountStatusEvents", STATUS_EVENTS, { signal: reading.signal }));
    await readUntil(reader, EVENT);
    reading.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: "AbortError" });

    const waiting = new AbortController();
    const opening = client.stream("AccountStatusEvents", STATUS_EVENTS, { signal: waiting.signal });
    waiting.abort();
    await expect(opening).rejects.toMatchObject({ name: "AbortError" });
    expect(scope.calls.map((call) => call.status)).toEqual([200, "aborted"]);
  });

  it("gives up on a Broker that never sends the headers after the client's timeout: upstream_timeout", async () => {
    const { client, scope } = await broker([{ hang: true }], 100);
    await expect(client.stream("AccountStatusEvents", STATUS_EVENTS)).rejects.toMatchObject({ name: "Failure", code: "upstream_timeout" });
    expect(scope.calls).toMatchObject([{ action: "AccountStatusEvents", status: "timeout" }]);
  });

  it("fails a 401 and a 429 as a REST call does, the 429 with the seconds to X-RateLimit-Reset; never retried", async () => {
    const reset = String(Math.floor(Date.now() / 1000) + 20);
    const { client, scope, calls } = await broker([BROKER_ERRORS.notAuthorized, { status: 429, body: { code: 42910000, message: "rate limit exceeded" }, headers: { "x-ratelimit-reset": reset } }]);
    await expect(client.stream("AccountStatusEvents", STATUS_EVENTS)).rejects.toMatchObject({ name: "BrokerError", httpStatus: 401, code: 40110000 });
    const { result: limited, atMost, atLeast } = await secondsLeftAround(Number(reset), () => client.stream("AccountStatusEvents", STATUS_EVENTS).catch((error: unknown) => error));
    expect(limited).toMatchObject({ name: "BrokerError", httpStatus: 429 });
    const { retryAfterSeconds } = limited as { retryAfterSeconds: number };
    expect(retryAfterSeconds).toBeGreaterThanOrEqual(atLeast);
    expect(retryAfterSeconds).toBeLessThanOrEqual(atMost);
    expect(scope.calls.map((call) => [call.status, call.errorType])).toEqual([
      [401, "40110000"],
      [429, "42910000"],
    ]);
    expect((await calls()).length).toBe(2);
  });
});
