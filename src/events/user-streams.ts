// One Durable Object per user (idFromName(sub)): the user's open live streams (GET
// /platform/accounts/me/events), each fed the changes publishChanges hands it, as they are applied.
// Nothing here reads D1 in a loop: D1 is read once per stream, to replay what a client missed.
import { DurableObject } from "cloudflare:workers";
import { log } from "../log";
import { changesAfter } from "./replay";
import type { AppliedChange } from "./types";

/** At most this many open streams per user: a sixth tab, or a client that leaks them, is refused, not held. */
export const MAX_STREAMS_PER_USER = 5;
/** A comment this often keeps proxies and the client from taking a quiet stream for a dead one. */
export const HEARTBEAT_MS = 15_000;
/**
 * Live messages a client has not read yet: past this, it reads nothing (a suspended tab) and the
 * stream is ended rather than held in memory; the client resumes with Last-Event-ID.
 */
export const MAX_UNREAD = 1000;

export interface StreamRequest {
  sub: string;
  /** When the access token that opened it expires, in ms since the epoch: the stream ends then. */
  expiresAt: number;
  /** The Last-Event-ID: changes after this seq are replayed from D1 first. */
  after?: number;
}

interface OpenStream {
  sub: string;
  writer: WritableStreamDefaultWriter<Uint8Array>;
  expiresAt: number;
  unread: number;
  /**
   * The client has every change up to this seq: its Last-Event-ID, then the last one replayed. D1
   * numbers a user's changes in the order it commits them, so a change at or below it that is
   * published late (committed before the replay's read, handed over after) was replayed already.
   */
  floor: number;
  /** Changes published while the stream replays from D1; written once the replay is done. */
  held?: AppliedChange[];
}

const encoder = new TextEncoder();

/** One SSE message: `id:` the change's seq, `event:` its kind, `data:` the body the matching GET answers (one line of JSON). */
export function eventMessage(change: AppliedChange): string {
  return `id: ${change.seq}\nevent: ${change.kind}\ndata: ${JSON.stringify(change.body)}\n\n`;
}

export const HEARTBEAT = ": heartbeat\n\n";

export class UserEventStreams extends DurableObject<Env> {
  readonly #streams = new Set<OpenStream>();
  #nextHeartbeat = 0;
  /** The clock of heartbeats and expiry. Tests replace it (runInDurableObject) to make one due without waiting. */
  now: () => number = Date.now;

  /** How many streams are open: what the limit counts. */
  get openStreams(): number {
    return this.#streams.size;
  }

  /**
   * A new stream of the user's changes, or null when the user already has MAX_STREAMS_PER_USER open.
   * With `after`, the changes since are replayed from D1 before any live one, as the client reads
   * them; a change published meanwhile is held, and written after the replay unless the replay had it
   * (`floor`).
   */
  async open(request: StreamRequest): Promise<ReadableStream<Uint8Array> | null> {
    if (this.#streams.size >= MAX_STREAMS_PER_USER) return null;
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const stream: OpenStream = { sub: request.sub, writer: writable.getWriter(), expiresAt: request.expiresAt, unread: 0, floor: request.after ?? 0, ...(request.after === undefined ? {} : { held: [] }) };
    if (this.#streams.size === 0) this.#nextHeartbeat = this.now() + HEARTBEAT_MS;
    this.#streams.add(stream);
    // A client gone away is found at the next write to it (a change or a heartbeat), which errors the pipe.
    stream.writer.closed.catch(() => this.#streams.delete(stream));
    await this.#schedule();
    if (request.after !== undefined) void this.#replay(stream, request.after);
    return readable;
  }

  /** The changes applied for this user, to every open stream (each stream checks the change is its user's). */
  publish(changes: AppliedChange[]): void {
    for (const stream of this.#streams) for (const change of changes) this.#send(stream, change);
  }

  /** Ends the streams whose token has expired, and sends the heartbeat when due; then the next alarm. */
  override async alarm(): Promise<void> {
    const now = this.now();
    for (const stream of this.#streams) if (stream.expiresAt <= now) this.#end(stream, "close");
    if (now >= this.#nextHeartbeat) {
      for (const stream of this.#streams) this.#write(stream, HEARTBEAT);
      this.#nextHeartbeat = now + HEARTBEAT_MS;
    }
    await this.#schedule();
  }

  /** Each replayed message waits for the client to read the one before: a long gap costs no memory. */
  async #replay(stream: OpenStream, after: number): Promise<void> {
    try {
      for await (const change of changesAfter(this.env, stream.sub, after)) {
        await stream.writer.write(encoder.encode(eventMessage(change)));
        stream.floor = change.seq;
      }
      const held = stream.held ?? [];
      delete stream.held;
      for (const change of held) this.#send(stream, change);
    } catch (error) {
      // D1 failed, or the client went away: either way it resumes with Last-Event-ID.
      log("warn", "live_replay_ended", { error: error instanceof Error ? error.name : String(error) });
      this.#end(stream, "abort");
    }
  }

  #send(stream: OpenStream, change: AppliedChange): void {
    if (change.sub !== stream.sub || change.seq <= stream.floor) return;
    if (stream.held) stream.held.push(change);
    else this.#write(stream, eventMessage(change));
  }

  #write(stream: OpenStream, text: string): void {
    if (stream.unread >= MAX_UNREAD) return this.#end(stream, "abort");
    stream.unread++;
    stream.writer.write(encoder.encode(text)).then(
      () => stream.unread--,
      () => this.#streams.delete(stream),
    );
  }

  /** "close" once what was written is read (a token's expiry); "abort" drops it (a client that reads nothing). */
  #end(stream: OpenStream, how: "close" | "abort"): void {
    this.#streams.delete(stream);
    (how === "close" ? stream.writer.close() : stream.writer.abort()).catch(() => {});
  }

  /** The next heartbeat or expiry, whichever comes first; none once no stream is open. */
  async #schedule(): Promise<void> {
    if (this.#streams.size === 0) return;
    await this.ctx.storage.setAlarm(Math.min(this.#nextHeartbeat, ...[...this.#streams].map((stream) => stream.expiresAt)));
  }
}
