/**
 * The Broker API's event streams, each followed by one Durable Object (`BrokerStreamConsumer`,
 * idFromName(stream)): it holds the stream open with the Broker key, parses it as it comes
 * (events/sse.ts), hands each event to the ledger one at a time, in order, and stores the id of the
 * newest event it has processed. It reconnects from a little before that id (the Broker orders events
 * only per account, and same-millisecond ids may sort either way: broker-api.md section 7) and skips
 * the overlap's events by id. An alarm is its watchdog: no bytes for 60 s, a closed stream, a refusal
 * or a failed apply all end the connection and reconnect after a backoff with jitter (a 429 not
 * before X-RateLimit-Reset). The Worker keeps the three running (index.ts `ensureConsumers`).
 */
import { DurableObject } from "cloudflare:workers";
import { BrokerClient } from "../broker/client";
import { BrokerError } from "../broker/errors";
import { isFailure } from "../failures";
import { isJsonObject } from "../json";
import { log } from "../log";
import { depsFrom } from "../root";
import { applyEvent } from "./apply";
import { publishChanges } from "./publish";
import { meaningOf, SseParser, type SseMessage } from "./sse";
import type { AppliedChange, ApplyOutcome, ApplyResult, BrokerEvent, EventStream } from "./types";

/** Each stream's path, the name of its cursor parameter and the payload field that is its id (section 7). */
export const STREAMS: Record<EventStream, { path: string; action: string; cursor: "since_id" | "since_ulid"; idField: "event_id" | "event_ulid" }> = {
  accounts: { path: "/v1/events/accounts/status", action: "AccountStatusEvents", cursor: "since_ulid", idField: "event_ulid" },
  trades: { path: "/v2/events/trades", action: "TradeEvents", cursor: "since_id", idField: "event_id" },
  funding: { path: "/v2/events/funding/status", action: "FundingStatusEvents", cursor: "since_id", idField: "event_id" },
};

export const EVENT_STREAMS = Object.keys(STREAMS) as EventStream[];

/** No byte (event or heartbeat) for this long: the connection is dead, whatever TCP says. */
export const SILENCE_MS = 60_000;
/** How far before the newest processed event a reconnect starts ("a few minutes", section 7). */
export const OVERLAP_MS = 2 * 60_000;
/** The backoff's first ceiling and its cap (1 s doubling, cap 60 s: section 7). */
export const BACKOFF_BASE_MS = 1_000;
export const BACKOFF_CAP_MS = 60_000;
/** Ids processed are kept this far behind the cursor: twice the overlap, so a replayed event is always found. */
const SEEN_KEPT_MS = 2 * OVERLAP_MS;
/** Old ids are pruned after this many processed events (and at each connect). */
const PRUNE_EVERY = 500;

// ---- ULIDs: 48 bits of milliseconds in 10 Crockford base-32 characters, then 80 random bits ----

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** The time in a ULID (ms since the epoch), or undefined for an id that is not one. */
export function ulidTime(id: string): number | undefined {
  if (!ULID.test(id)) return undefined;
  let time = 0;
  for (const char of id.slice(0, 10)) time = time * 32 + CROCKFORD.indexOf(char);
  return time;
}

/** The smallest ULID of millisecond `ms`: every event id made at or after `ms` sorts after it. */
export function ulidAt(ms: number): string {
  let time = Math.max(0, Math.floor(ms));
  let text = "";
  for (let i = 0; i < 10; i++) {
    text = CROCKFORD[time % 32] + text;
    time = Math.floor(time / 32);
  }
  return `${text}${"0".repeat(16)}`;
}

/** The query a connection opens with: no cursor yet, live only; a ULID cursor, OVERLAP_MS before it; another id as it is. */
export function cursorQuery(stream: EventStream, cursor: string | undefined): Record<string, string> {
  if (cursor === undefined) return {};
  const time = ulidTime(cursor);
  return { [STREAMS[stream].cursor]: time === undefined ? cursor : ulidAt(time - OVERLAP_MS) };
}

/** The wait before reconnect attempt `failures` (1, 2, ...): half its ceiling plus up to the other half at random. */
export function backoffMs(failures: number, random: () => number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** What a consumer runs with: its stream, its Durable Object's storage, and the Broker, the ledger and the live streams. */
export interface ConsumerDeps {
  stream: EventStream;
  storage: DurableObjectStorage;
  /** Opens the stream with `query` (BrokerClient.stream): the 2xx Response, its body unread; a refusal throws (a BrokerError). */
  open(query: Record<string, string>, signal: AbortSignal): Promise<Response>;
  /** Stores and applies one event in D1 (events/apply.ts applyEvent); throws when D1 fails. */
  apply(event: BrokerEvent): Promise<ApplyResult>;
  /** Hands applied changes to the users' live streams. */
  publish(changes: AppliedChange[]): Promise<void>;
  now(): number;
  random(): number;
}

type Counts = Record<ApplyOutcome | "skipped", number>;

/** A consumer as `status()` tells it. */
export interface ConsumerStatus {
  stream: EventStream;
  connected: boolean;
  /** The id of the newest event processed. */
  cursor: string | undefined;
  /** Failed or ended connections since one last delivered an event. */
  failures: number;
  /** When the next connection is due, while waiting out a backoff. */
  retryAt: number | undefined;
  /** Events since this object started, by what became of them ("skipped": unreadable, or seen in an overlap). */
  counts: Counts;
}

interface Connection {
  abort: AbortController;
  openedAt: number;
  lastByteAt: number;
  /** Events processed on this connection. */
  events: number;
  /** Why we end it, when we do. */
  reason?: "silent" | "dropped" | "stopped";
  /** Settles once the connection is over and the next one scheduled. */
  done?: Promise<void>;
}

const KEY = { cursor: "cursor", failures: "failures", retryAt: "retryAt", seen: "seen:" } as const;

export class StreamConsumer {
  readonly #deps: ConsumerDeps;
  #connection: Connection | undefined;
  /** A step under way (an opening, the watchdog's check): no second one meanwhile. */
  #busy: Promise<void> | undefined;
  #counts: Counts = { applied: 0, duplicate: 0, not_ours: 0, kept: 0, skipped: 0 };
  #sincePrune = 0;

  constructor(deps: ConsumerDeps) {
    this.#deps = deps;
  }

  /** Connects unless connected or waiting out a backoff, and makes sure an alarm watches. Answers once the headers are in (or the opening failed). */
  async ensureRunning(): Promise<ConsumerStatus> {
    await this.#once(async () => {
      const { storage, now } = this.#deps;
      if (this.#connection) {
        if ((await storage.getAlarm()) === null) await storage.setAlarm(this.#connection.lastByteAt + SILENCE_MS);
        return;
      }
      const retryAt = await storage.get<number>(KEY.retryAt);
      if (retryAt === undefined || retryAt <= now()) await this.#open();
      else if ((await storage.getAlarm()) === null) await storage.setAlarm(retryAt);
    });
    return this.status();
  }

  /** The watchdog: a connection silent for SILENCE_MS ends (and the next is scheduled); with none open, the alarm is the time to connect. */
  async alarm(): Promise<void> {
    await this.#once(async () => {
      const connection = this.#connection;
      if (!connection) return this.#open();
      const { now, storage, stream } = this.#deps;
      if (now() - connection.lastByteAt < SILENCE_MS) return storage.setAlarm(connection.lastByteAt + SILENCE_MS);
      log("warn", "broker stream silent", { stream, silent_ms: now() - connection.lastByteAt });
      await this.#end(connection, "silent");
    });
  }

  /** Runs `step` unless one is running (a cron and an alarm at once): then waits for that one instead. */
  async #once(step: () => Promise<void>): Promise<void> {
    if (this.#busy) return this.#busy;
    this.#busy = step().finally(() => (this.#busy = undefined));
    return this.#busy;
  }

  /** Ends the connection (if any) without scheduling another: the next ensureRunning starts one. */
  async stop(): Promise<void> {
    await this.#busy;
    if (this.#connection) await this.#end(this.#connection, "stopped");
    await this.#deps.storage.deleteAlarm();
  }

  /** Settles once the open connection (if any) has ended and the next one is scheduled: a finite stream read to its end. */
  async closed(): Promise<void> {
    await this.#busy;
    await this.#connection?.done;
  }

  async status(): Promise<ConsumerStatus> {
    const stored = await this.#deps.storage.get([KEY.cursor, KEY.failures, KEY.retryAt]);
    return {
      stream: this.#deps.stream,
      connected: this.#connection !== undefined,
      cursor: stored.get(KEY.cursor) as string | undefined,
      failures: (stored.get(KEY.failures) as number | undefined) ?? 0,
      retryAt: stored.get(KEY.retryAt) as number | undefined,
      counts: { ...this.#counts },
    };
  }

  async #end(connection: Connection, reason: NonNullable<Connection["reason"]>): Promise<void> {
    connection.reason ??= reason;
    connection.abort.abort();
    await connection.done;
  }

  async #open(): Promise<void> {
    const { storage, stream, now } = this.#deps;
    const cursor = await storage.get<string>(KEY.cursor);
    await this.#prune(cursor);
    const query = cursorQuery(stream, cursor);
    const connection: Connection = { abort: new AbortController(), openedAt: now(), lastByteAt: now(), events: 0 };
    let response: Response;
    try {
      response = await this.#deps.open(query, connection.abort.signal);
    } catch (error) {
      return this.#scheduleNext(connection, error);
    }
    connection.lastByteAt = now();
    await storage.delete(KEY.retryAt);
    await storage.setAlarm(connection.lastByteAt + SILENCE_MS);
    log("info", "broker stream open", { stream, ...query });
    this.#connection = connection;
    // Read in the background: the caller (a cron, an alarm) is answered now; the pending read keeps the object alive.
    connection.done = this.#read(connection, response);
  }

  async #read(connection: Connection, response: Response): Promise<void> {
    const parser = new SseParser();
    const reader = response.body?.getReader();
    let failure: unknown;
    try {
      if (!reader) throw new Error("the stream's answer has no body");
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        connection.lastByteAt = this.#deps.now();
        for (const item of parser.feed(value)) {
          if (item.type === "message") {
            await this.#process(connection, item);
            continue;
          }
          const meaning = meaningOf(item);
          if (meaning.kind === "dropped") {
            // Events were lost between the Broker and us: read them again from the cursor.
            log("warn", "broker stream dropped messages", { stream: this.#deps.stream, dropped: meaning.count });
            connection.reason = "dropped";
            throw new Error(`the Broker dropped ${meaning.count} messages`);
          }
        }
      }
    } catch (error) {
      failure = error;
    } finally {
      this.#connection = undefined;
      connection.abort.abort();
      await reader?.cancel().catch(() => undefined);
    }
    await this.#scheduleNext(connection, connection.reason ? undefined : failure);
  }

  async #process(connection: Connection, message: SseMessage): Promise<void> {
    const { stream, storage } = this.#deps;
    let data: unknown;
    try {
      data = JSON.parse(message.data);
    } catch {
      data = undefined;
    }
    const id = isJsonObject(data) ? data[STREAMS[stream].idField] : undefined;
    if (typeof id !== "string" || id === "") {
      // Nothing to key it by, so nothing to keep: the heal pass corrects what it would have changed.
      this.#counts.skipped++;
      log("warn", "broker event unreadable", { stream, json: data !== undefined });
      return;
    }
    const time = ulidTime(id);
    if (time !== undefined && (await storage.get(KEY.seen + id)) !== undefined) {
      this.#counts.skipped++;
      return;
    }
    // A failure here ends the connection with the cursor where it was: the event comes again.
    const { outcome, changes } = await this.#deps.apply({ stream, id, data });
    const cursor = await storage.get<string>(KEY.cursor);
    // The newest id processed: an older one, come late, moves nothing back.
    const newest = cursor !== undefined && time !== undefined && ulidTime(cursor) !== undefined && cursor > id ? cursor : id;
    await storage.put({ [KEY.cursor]: newest, ...(time !== undefined ? { [KEY.seen + id]: time } : {}) });
    connection.events++;
    this.#counts[outcome]++;
    log("info", "broker event", { stream, id, event: eventName(stream, data), outcome, changes: changes.length });
    if (changes.length) {
      try {
        await this.#deps.publish(changes);
      } catch (error) {
        // The change is in D1: a live stream that missed it gets it on its next Last-Event-ID.
        log("warn", "broker event not published", { stream, id, error: error instanceof Error ? error.name : "unknown" });
      }
    }
    if (++this.#sincePrune >= PRUNE_EVERY) await this.#prune(newest);
  }

  /** After a connection: the failure count (reset by a connection that delivered events or outlived the watchdog), the backoff, and the alarm that reconnects. */
  async #scheduleNext(connection: Connection, failure: unknown): Promise<void> {
    const { storage, stream, now, random } = this.#deps;
    if (connection.reason === "stopped") return;
    const healthy = connection.events > 0 || now() - connection.openedAt >= SILENCE_MS;
    const failures = (healthy ? 0 : ((await storage.get<number>(KEY.failures)) ?? 0)) + 1;
    let wait = backoffMs(failures, random);
    // A 429: not before its window resets, and then with the backoff's jitter.
    if (failure instanceof BrokerError && failure.httpStatus === 429) wait += (failure.retryAfterSeconds ?? 1) * 1000;
    const retryAt = now() + wait;
    await storage.put({ [KEY.failures]: failures, [KEY.retryAt]: retryAt });
    await storage.setAlarm(retryAt);
    log(failure === undefined ? "info" : "warn", "broker stream closed", {
      stream,
      reason: connection.reason ?? (failure === undefined ? "ended" : "failed"),
      ...(failure === undefined ? {} : { error: describe(failure) }),
      events: connection.events,
      retry_in_ms: wait,
    });
  }

  /** Forgets processed ids too old for any overlap to replay. */
  async #prune(cursor: string | undefined): Promise<void> {
    this.#sincePrune = 0;
    const time = cursor === undefined ? undefined : ulidTime(cursor);
    if (time === undefined) return;
    const { storage } = this.#deps;
    for (;;) {
      const old = await storage.list({ prefix: KEY.seen, end: KEY.seen + ulidAt(time - SEEN_KEPT_MS), limit: 128 });
      if (old.size === 0) return;
      await storage.delete([...old.keys()]);
    }
  }
}

/** What the event was, for the log: a trade's event, a status's new value; never a name or an amount. */
function eventName(stream: EventStream, data: unknown): string | undefined {
  if (!isJsonObject(data)) return undefined;
  const value = stream === "trades" ? data.event : stream === "funding" ? `${String(data.entity_type)} ${String(data.status_to)}` : data.status_to;
  return typeof value === "string" ? value.slice(0, 60) : undefined;
}

/** A failure as the log may name it: its type and, for a Broker refusal, its status and code (never a body). */
function describe(error: unknown): string {
  if (error instanceof BrokerError) return error.message;
  if (isFailure(error)) return `${error.code}: ${error.detail}`;
  if (error instanceof Error) return error.name === "Error" ? error.message.slice(0, 200) : error.name;
  return "unknown";
}

/**
 * One stream's consumer as a Durable Object: the Worker names it by its stream (idFromName) and calls
 * `ensureRunning(stream)`; the stream is kept in its storage for the alarms that come without a caller.
 */
export class BrokerStreamConsumer extends DurableObject<Env> {
  #consumer: StreamConsumer | undefined;

  /** Connects unless connected or backing off; the status once the headers are in (or the opening failed). */
  async ensureRunning(stream: EventStream): Promise<ConsumerStatus> {
    return (await this.#consumerOf(stream))!.ensureRunning();
  }

  async status(): Promise<ConsumerStatus | undefined> {
    return (await this.#consumerOf())?.status();
  }

  /** Ends the connection and the alarm until the next ensureRunning (an operator's pause, before a reshard). */
  async stop(): Promise<void> {
    await (await this.#consumerOf())?.stop();
  }

  /** Settles once the connection open now has ended: a stream that the Broker (or a stand-in) ends, read to its end. */
  async closed(): Promise<void> {
    await (await this.#consumerOf())?.closed();
  }

  override async alarm(): Promise<void> {
    await (await this.#consumerOf())?.alarm();
  }

  async #consumerOf(stream?: EventStream): Promise<StreamConsumer | undefined> {
    if (this.#consumer) return this.#consumer;
    const stored = await this.ctx.storage.get<EventStream>("stream");
    if (stored === undefined && stream === undefined) return undefined;
    if (stored === undefined) await this.ctx.storage.put("stream", stream);
    this.#consumer = new StreamConsumer(consumerDeps(this.ctx, this.env, stored ?? stream!));
    return this.#consumer;
  }
}

/** How long one event's notice may spend upstream (the owner's account, then SES). */
const EVENT_BUDGET_MS = 10_000;

/** A consumer's dependencies from the composition root: the Broker API's settings (not_configured without them, retried as any failure), D1's ledger and the live streams. */
function consumerDeps(ctx: DurableObjectState, env: Env, stream: EventStream): ConsumerDeps {
  const root = depsFrom(env);
  const { path, action } = STREAMS[stream];
  return {
    stream,
    storage: ctx.storage,
    now: Date.now,
    random: Math.random,
    open(query, signal) {
      const { broker, timeoutMs } = root.brokerage();
      // A stream belongs to no request: no budget of one, and nothing to clear first.
      const scope = { budgetEndsAt: Date.now(), calls: [], clearance: Promise.resolve() };
      return new BrokerClient(broker, scope, timeoutMs).stream(action, path, { signal, query });
    },
    // Each event its own invocation, with a budget of its own for its notice's Broker and SES calls (as the heal pass has): no request's, so no Cognito settings.
    apply: (event) => applyEvent(root.eventDeps({ budgetEndsAt: Date.now() + EVENT_BUDGET_MS, calls: [], clearance: Promise.resolve() }), event),
    publish: (changes) => publishChanges(env, changes),
  };
}
