// The stream consumer (src/events/consumer.ts) inside a real Durable Object, its storage and its alarm:
// the stream is one the test writes to, the clock one the test moves, the ledger a recording apply.
// Deterministic: the test waits for what the consumer did (an apply, an opening), never for time.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { BrokerError } from "../../src/broker/errors";
import {
  BACKOFF_CAP_MS,
  backoffMs,
  cursorQuery,
  OVERLAP_MS,
  SILENCE_MS,
  StreamConsumer,
  ulidAt,
  ulidTime,
  type ConsumerDeps,
} from "../../src/events/consumer";
import type { ApplyResult, BrokerEvent, EventStream } from "../../src/events/types";
import { Failure } from "../../src/failures";
import { idAt, writtenStream } from "./stream-support";

/** Far ahead of the real clock: no alarm the consumer sets fires by itself during a test. */
const T0 = Date.now() + 86_400_000;

const trade = (id: string, event = "fill") => `data: ${JSON.stringify({ event, event_id: id, account_id: crypto.randomUUID(), order: { symbol: "AAPL" } })}\n\n`;

/** Something the test waits for: resolves once `count` calls have come. */
class Waiter<T> {
  readonly seen: T[] = [];
  #waiting: { count: number; resolve: () => void }[] = [];
  push(value: T) {
    this.seen.push(value);
    this.#waiting = this.#waiting.filter((wait) => (this.seen.length >= wait.count ? (wait.resolve(), false) : true));
  }
  until(count: number): Promise<T[]> {
    if (this.seen.length >= count) return Promise.resolve(this.seen);
    return new Promise((resolve) => this.#waiting.push({ count, resolve: () => resolve(this.seen) }));
  }
}

type Opening = { query: Record<string, string>; stream: ReturnType<typeof writtenStream> };

/**
 * A consumer on a fresh Durable Object's storage, run inside it. `refuse` answers the next openings
 * with an error instead of a stream; `failApply` fails the apply of those ids once.
 */
async function inConsumer(run: (t: {
  consumer: StreamConsumer;
  storage: DurableObjectStorage;
  clock: { now: number };
  openings: Waiter<Opening>;
  applied: Waiter<string>;
  refuse: unknown[];
  failApply: Set<string>;
}) => Promise<void>, stream: EventStream = "trades") {
  const stub = env.BROKER_STREAMS.get(env.BROKER_STREAMS.newUniqueId());
  await runInDurableObject(stub, async (_, state) => {
    const clock = { now: T0 };
    const openings = new Waiter<Opening>();
    const applied = new Waiter<string>();
    const refuse: unknown[] = [];
    const failApply = new Set<string>();
    const deps: ConsumerDeps = {
      stream,
      storage: state.storage,
      now: () => clock.now,
      random: () => 0.5,
      async open(query, signal) {
        const refusal = refuse.shift();
        if (refusal !== undefined) throw refusal;
        const written = writtenStream(signal);
        openings.push({ query, stream: written });
        return written.response;
      },
      async apply(event: BrokerEvent): Promise<ApplyResult> {
        if (failApply.delete(event.id)) throw new Error("D1 is unavailable");
        applied.push(event.id);
        return { outcome: "applied", changes: [] };
      },
      publish: async () => undefined,
    };
    await run({ consumer: new StreamConsumer(deps), storage: state.storage, clock, openings, applied, refuse, failApply });
  });
}

describe("ULID cursors", () => {
  it("reads the time of a ULID and makes the smallest ULID of a millisecond; other ids have no time", () => {
    // The recorded account status event's id, made within a second of its `at`.
    expect(Date.parse("2021-06-14T09:59:15.558338Z") - ulidTime("01F84ZC0H0Q1QN7XPNWX44HF5J")!).toBeLessThan(1000);
    for (const ms of [0, 1, T0, 2 ** 48 - 1]) expect(ulidTime(ulidAt(ms))).toBe(ms);
    expect(ulidAt(T0) < idAt(T0, 1)).toBe(true);
    expect([ulidTime("12345"), ulidTime("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"), ulidTime("01F84ZC0H0Q1QN7XPNWX44HF5U")]).toEqual([undefined, undefined, undefined]);
  });

  it("opens from OVERLAP_MS before the cursor, with each stream's own parameter; no cursor, live only; an id that is no ULID, as it is", () => {
    const cursor = idAt(T0, 7);
    expect(cursorQuery("trades", cursor)).toEqual({ since_id: ulidAt(T0 - OVERLAP_MS) });
    expect(cursorQuery("funding", cursor)).toEqual({ since_id: ulidAt(T0 - OVERLAP_MS) });
    expect(cursorQuery("accounts", cursor)).toEqual({ since_ulid: ulidAt(T0 - OVERLAP_MS) });
    expect(cursorQuery("trades", undefined)).toEqual({});
    expect(cursorQuery("accounts", "12345")).toEqual({ since_ulid: "12345" });
  });

  it("backs off from half a second to a minute, doubling, with jitter over the upper half", () => {
    expect([1, 2, 3, 7, 8, 30].map((failures) => backoffMs(failures, () => 0))).toEqual([500, 1000, 2000, 30_000, 30_000, 30_000]);
    expect([1, 2, 3, 7, 8, 30].map((failures) => backoffMs(failures, () => 1))).toEqual([1000, 2000, 4000, BACKOFF_CAP_MS, BACKOFF_CAP_MS, BACKOFF_CAP_MS]);
  });
});

describe("StreamConsumer", () => {
  it("applies each event once, in order, across chunks cut anywhere and between heartbeats; stores the id of the newest processed", async () => {
    await inConsumer(async ({ consumer, openings, applied, storage }) => {
      const ids = [idAt(T0 - 3000), idAt(T0 - 2000), idAt(T0 - 1000)];
      expect(await consumer.ensureRunning()).toMatchObject({ connected: true, cursor: undefined });
      const [{ query, stream }] = (await openings.until(1)) as [Opening];
      expect(query).toEqual({});
      const text = `:heartbeat\n\n${trade(ids[0]!)}${trade(ids[1]!)}: heartbeat\r\n\r\n${trade(ids[2]!)}`;
      for (let at = 0; at < text.length; at += 37) stream.send(text.slice(at, at + 37));
      expect(await applied.until(3)).toEqual(ids);
      // While it is open, the watchdog's alarm is a minute after the last byte.
      expect(await storage.getAlarm()).toBe(T0 + SILENCE_MS);
      stream.end();
      await consumer.closed();
      expect(await storage.get("cursor")).toBe(ids[2]);
      expect((await consumer.status()).counts).toMatchObject({ applied: 3, skipped: 0 });
    });
  });

  it("reconnects after the stream ends, from a little before the cursor, and skips the overlap's events by id: none lost, none applied twice", async () => {
    await inConsumer(async ({ consumer, openings, applied, storage, clock }) => {
      const ids = [1, 2, 3, 4, 5].map((n) => idAt(T0 - 10_000 + n * 1000));
      await consumer.ensureRunning();
      const [first] = await openings.until(1);
      for (const id of ids.slice(0, 3)) first!.stream.send(trade(id));
      await applied.until(3);
      first!.stream.end();
      await consumer.closed();
      // A connection that delivered events ended: the first backoff, then the alarm reconnects.
      const status = await consumer.status();
      expect(status).toMatchObject({ connected: false, failures: 1, cursor: ids[2] });
      expect(status.retryAt).toBe(clock.now + backoffMs(1, () => 0.5));
      expect(await storage.getAlarm()).toBe(status.retryAt);
      clock.now = status.retryAt!;
      await consumer.alarm();
      const [, second] = await openings.until(2);
      expect(second!.query).toEqual({ since_id: ulidAt(ulidTime(ids[2]!)! - OVERLAP_MS) });
      // The Broker sends the overlap again, then what is new.
      for (const id of ids) second!.stream.send(trade(id));
      expect(await applied.until(5)).toEqual(ids);
      second!.stream.end();
      await consumer.closed();
      expect((await consumer.status()).counts).toMatchObject({ applied: 5, skipped: 3 });
      expect(await storage.get("cursor")).toBe(ids[4]);
      expect(await storage.get("failures")).toBe(1);
    });
  });

  it("leaves the cursor where it was when an apply fails, ends the connection, and applies that event on the reconnect, once", async () => {
    await inConsumer(async ({ consumer, openings, applied, failApply, storage, clock }) => {
      const ids = [1, 2, 3].map((n) => idAt(T0 - 10_000 + n * 1000));
      failApply.add(ids[1]!);
      await consumer.ensureRunning();
      const [first] = await openings.until(1);
      for (const id of ids) first!.stream.send(trade(id));
      await consumer.closed();
      expect(applied.seen).toEqual([ids[0]]);
      expect(await storage.get("cursor")).toBe(ids[0]);
      clock.now = (await consumer.status()).retryAt!;
      await consumer.alarm();
      const [, second] = await openings.until(2);
      expect(second!.query).toEqual({ since_id: ulidAt(ulidTime(ids[0]!)! - OVERLAP_MS) });
      for (const id of ids) second!.stream.send(trade(id));
      second!.stream.end();
      await consumer.closed();
      expect(applied.seen).toEqual(ids);
      expect(await storage.get("cursor")).toBe(ids[2]);
    });
  });

  it("applies an event that comes late, older than the cursor, and moves the cursor no backwards", async () => {
    await inConsumer(async ({ consumer, openings, applied, storage }) => {
      const [older, newer] = [idAt(T0 - 2000), idAt(T0 - 1000)];
      await consumer.ensureRunning();
      const [{ stream }] = (await openings.until(1)) as [Opening];
      stream.send(trade(newer) + trade(older));
      stream.end();
      await consumer.closed();
      expect(applied.seen).toEqual([newer, older]);
      expect(await storage.get("cursor")).toBe(newer);
    });
  });

  it("skips data that is not JSON or has no id, and reads on", async () => {
    await inConsumer(async ({ consumer, openings, applied }) => {
      const id = idAt(T0 - 1000);
      await consumer.ensureRunning();
      const [{ stream }] = (await openings.until(1)) as [Opening];
      stream.send(`data: {not json\n\ndata: {"event":"fill","order":{}}\n\ndata: {"event_id":42}\n\n${trade(id)}`);
      stream.end();
      await consumer.closed();
      expect(applied.seen).toEqual([id]);
      expect((await consumer.status()).counts).toMatchObject({ applied: 1, skipped: 3 });
    });
  });

  it("reads the accounts stream's events by event_ulid and reconnects it with since_ulid", async () => {
    await inConsumer(async ({ consumer, openings, applied, clock }) => {
      const id = idAt(T0 - 1000);
      await consumer.ensureRunning();
      const [first] = await openings.until(1);
      first!.stream.send(`data: ${JSON.stringify({ account_id: crypto.randomUUID(), event_id: 12, event_ulid: id, status_from: "SUBMITTED", status_to: "APPROVED" })}\n\n`);
      expect(await applied.until(1)).toEqual([id]);
      first!.stream.end();
      await consumer.closed();
      clock.now = (await consumer.status()).retryAt!;
      await consumer.alarm();
      const [, second] = await openings.until(2);
      expect(second!.query).toEqual({ since_ulid: ulidAt(T0 - 1000 - OVERLAP_MS) });
    }, "accounts");
  });

  it("reconnects from the cursor when the Broker says it dropped messages", async () => {
    await inConsumer(async ({ consumer, openings, applied, clock }) => {
      const id = idAt(T0 - 1000);
      await consumer.ensureRunning();
      const [first] = await openings.until(1);
      first!.stream.send(`${trade(id)}: you are reading too slowly, dropped 3 messages\n\n${trade(idAt(T0 - 500))}`);
      await consumer.closed();
      expect(applied.seen).toEqual([id]);
      const { retryAt, connected } = await consumer.status();
      expect(connected).toBe(false);
      clock.now = retryAt!;
      await consumer.alarm();
      const [, second] = await openings.until(2);
      expect(second!.query).toEqual({ since_id: ulidAt(T0 - 1000 - OVERLAP_MS) });
    });
  });
});

describe("the watchdog (the Durable Object's alarm)", () => {
  it("keeps a connection whose bytes keep coming, and ends one silent for 60 s, reconnecting after a backoff with jitter", async () => {
    await inConsumer(async ({ consumer, openings, applied, storage, clock }) => {
      await consumer.ensureRunning();
      const [first] = await openings.until(1);
      expect(await storage.getAlarm()).toBe(T0 + SILENCE_MS);
      // Bytes 30 s in: at the alarm, the connection has been silent 31 s, so the alarm moves on.
      clock.now = T0 + 30_000;
      first!.stream.send(`:heartbeat\n\n${trade(idAt(T0))}`);
      await applied.until(1);
      clock.now = T0 + SILENCE_MS + 1000;
      await consumer.alarm();
      expect((await consumer.status()).connected).toBe(true);
      expect(await storage.getAlarm()).toBe(T0 + 30_000 + SILENCE_MS);
      // 60 s without a byte: the connection ends, and the next opens after the backoff.
      clock.now = T0 + 30_000 + SILENCE_MS;
      await consumer.alarm();
      const status = await consumer.status();
      expect(status.connected).toBe(false);
      // It delivered an event: counted as healthy, so this is the first failure's backoff.
      expect(status.failures).toBe(1);
      expect(status.retryAt! - clock.now).toBeGreaterThanOrEqual(500);
      expect(status.retryAt! - clock.now).toBeLessThanOrEqual(1000);
      expect(await storage.getAlarm()).toBe(status.retryAt);
      // The cron in the meantime opens nothing: the backoff holds.
      await consumer.ensureRunning();
      expect(openings.seen).toHaveLength(1);
      clock.now = status.retryAt!;
      await consumer.alarm();
      await openings.until(2);
      expect((await consumer.status()).connected).toBe(true);
    });
  });

  it("backs off longer after each failed opening, up to a minute, and resets once a connection delivers", async () => {
    await inConsumer(async ({ consumer, openings, applied, refuse, clock }) => {
      refuse.push(...Array.from({ length: 8 }, () => new Failure("upstream_unavailable")));
      const waits: number[] = [];
      await consumer.ensureRunning();
      for (let attempt = 0; attempt < 8; attempt++) {
        const { retryAt, connected } = await consumer.status();
        expect(connected).toBe(false);
        waits.push(retryAt! - clock.now);
        clock.now = retryAt!;
        await consumer.alarm();
      }
      // random() is 0.5: three quarters of each ceiling (1, 2, 4 ... 60 s).
      expect(waits).toEqual([750, 1500, 3000, 6000, 12_000, 24_000, 45_000, 45_000]);
      const [{ stream }] = (await openings.until(1)) as [Opening];
      stream.send(trade(idAt(T0)));
      await applied.until(1);
      stream.end();
      await consumer.closed();
      expect((await consumer.status()).failures).toBe(1);
    });
  });

  it("honours a 429 until X-RateLimit-Reset, then the backoff; the cron opens nothing before", async () => {
    await inConsumer(async ({ consumer, openings, refuse, clock }) => {
      refuse.push(new BrokerError("TradeEvents", 429, 42910000, [], 20));
      await consumer.ensureRunning();
      const { retryAt } = await consumer.status();
      expect(retryAt! - clock.now).toBe(20_000 + 750);
      clock.now += 20_000;
      await consumer.ensureRunning();
      expect(openings.seen).toHaveLength(0);
      clock.now = retryAt!;
      await consumer.ensureRunning();
      expect(openings.seen).toHaveLength(1);
    });
  });

  it("opens one connection however often it is asked, and none after stop()", async () => {
    await inConsumer(async ({ consumer, openings, storage }) => {
      await Promise.all([consumer.ensureRunning(), consumer.ensureRunning(), consumer.alarm()]);
      await consumer.ensureRunning();
      expect(openings.seen).toHaveLength(1);
      await consumer.stop();
      expect(await storage.getAlarm()).toBe(null);
      expect((await consumer.status()).connected).toBe(false);
    });
  });
});
