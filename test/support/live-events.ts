// The live stream as a client reads it: its messages one by one, and the user's Durable Object, whose
// clock and alarm a test drives instead of waiting 15 seconds for a heartbeat or an hour for a token.
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, onTestFinished } from "vitest";
import type { AppliedChange } from "../../src/events/types";
import type { UserEventStreams } from "../../src/events/user-streams";
import { EVENT_BODIES } from "../../src/docs/routes/live-events";
import { ORDER, TRANSFER } from "../../src/docs/routes/funding";
import { BROKER_KEYS } from "./brokerage";
import { ownPool, bearer } from "./own-pool";
import type { ClaimOverrides } from "./keys";
import { apiWith, unlikeSchema } from "./worker";

/** One block of the stream: a message (id, event, data) or a comment. */
export interface StreamMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

function parse(block: string): StreamMessage {
  const message: StreamMessage = {};
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) message.comment = line.slice(1).trim();
    else {
      const [field, ...rest] = line.split(":");
      const value = rest.join(":").replace(/^ /, "");
      if (field === "id" || field === "event") message[field] = value;
      else if (field === "data") message.data = message.data === undefined ? value : `${message.data}\n${value}`;
    }
  }
  return message;
}

/** Reads an answer of GET /platform/accounts/me/events; the stream is let go (cancelled) when the test ends. */
export function streamOf(res: Response) {
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/event-stream");
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  onTestFinished(() => reader.cancel().catch(() => undefined));
  let buffer = "";
  return {
    /** The next block, or undefined once the server ended the stream. */
    async next(): Promise<StreamMessage | undefined> {
      for (;;) {
        const end = buffer.indexOf("\n\n");
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          return parse(block);
        }
        const { value, done } = await reader.read();
        if (done) return undefined;
        buffer += value;
      }
    },
    /** The client goes away. */
    close: () => reader.cancel(),
  };
}

/** A message's data as the docs give its event's schema: the body of the matching GET, no field more. */
export function documentedBody(message: StreamMessage | undefined): unknown {
  const kind = message?.event as keyof typeof EVENT_BODIES;
  expect(Object.keys(EVENT_BODIES)).toContain(kind);
  const body: unknown = JSON.parse(message!.data!);
  expect(unlikeSchema(EVENT_BODIES[kind].schema, body)).toBeUndefined();
  return body;
}

/**
 * A signed-in user on a pool of their own, with the Broker API's settings (the stream's routes need
 * them configured, as every brokerage route does); `claims` change the token (e.g. its `exp`).
 */
export async function streamUser(claims: ClaimOverrides = {}) {
  const pool = await ownPool({}, claims);
  const vars = { ...pool.upstream.vars, BROKER_API_URL: pool.upstream.base, ...BROKER_KEYS };
  const sub = pool.claims.sub as string;
  const call = (path: string, init: RequestInit = {}) => apiWith(vars, path, { ...init, headers: { ...bearer(pool.token), ...init.headers } });
  return {
    sub,
    token: pool.token,
    exp: pool.claims.exp as number,
    vars,
    call,
    /** Without the bearer token: a ticket's request, as EventSource sends it. */
    anonymous: (path: string, init?: RequestInit) => apiWith(vars, path, init),
    open: async (headers: Record<string, string> = {}) => streamOf(await call("/platform/accounts/me/events", { headers })),
    ticket: async () => {
      const res = await call("/platform/accounts/me/events/ticket", { method: "POST" });
      expect(res.status).toBe(200);
      return ((await res.json()) as { ticket: string }).ticket;
    },
    /** The user's Durable Object. */
    object: () => env.USER_EVENTS.get(env.USER_EVENTS.idFromName(sub)),
  };
}

let seq = 1_000_000;

/** A change as applyEvent hands it on, with a body of its kind as the docs show it. */
export function change(sub: string, kind: Exclude<AppliedChange["kind"], "account"> = "order"): AppliedChange {
  const objectId = crypto.randomUUID();
  const bodies = {
    order: { ...ORDER, id: objectId },
    transfer: { ...TRANSFER, id: objectId, status: "COMPLETE" },
    bank_link: { id: objectId, status: "APPROVED", nickname: "Checking", bank_account_type: "CHECKING", account_number_last4: "9abc", created_at: "2026-12-01T09:40:00Z" },
  };
  return { sub, seq: ++seq, kind, objectId, body: bodies[kind] };
}

/** The object's alarm, run now with its clock set to `at`: a heartbeat or an expiry made due without waiting. */
export async function alarmAt(stub: DurableObjectStub<UserEventStreams>, at: number): Promise<boolean> {
  await runInDurableObject(stub, (instance: UserEventStreams) => {
    instance.now = () => at;
  });
  return runDurableObjectAlarm(stub);
}

/** When the object's alarm is set for, or null. */
export function alarmOf(stub: DurableObjectStub<UserEventStreams>): Promise<number | null> {
  return runInDurableObject(stub, (_: UserEventStreams, state) => state.storage.getAlarm());
}

/**
 * Waits until the object holds `count` streams: a client's going away reaches it as its side of the
 * pipe is cancelled, some turns of the event loop later. Each look is a call to the object; no timer.
 */
export async function untilOpen(stub: DurableObjectStub<UserEventStreams>, count: number): Promise<void> {
  for (let look = 0; look < 500; look++) {
    if ((await runInDurableObject(stub, (instance: UserEventStreams) => instance.openStreams)) === count) return;
  }
  throw new Error(`the object never held ${count} streams`);
}
