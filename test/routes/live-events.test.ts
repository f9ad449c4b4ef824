// The user's live stream (issue 23 item 6), through the Worker and the real per-user Durable Objects:
// two users' changes published together, tickets, the stream limit, heartbeats and the token's expiry
// driven by the object's alarm and clock, never by waiting.
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { applyEvent } from "../../src/events/apply";
import { publishChanges } from "../../src/events/publish";
import { HEARTBEAT_MS, MAX_STREAMS_PER_USER, MAX_UNREAD, type UserEventStreams } from "../../src/events/user-streams";
import { accountEvent, brokerOrder, eventDeps, tradeEvent, type OrderPayload } from "../events/ledger-support";
import { accountHolder } from "../support/funding";
import { consoleLines } from "../support/logs";
import { alarmAt, alarmOf, change, documentedBody, streamOf, streamUser, untilOpen } from "../support/live-events";
import { problemOf, visibleAnswer } from "../support/worker";

const EVENTS = "/platform/accounts/me/events";

describe("the live stream", () => {
  it("carries each of the user's changes as it is published, with its seq as id and the GET's body; another user's never", async () => {
    const [ann, bea] = await Promise.all([streamUser(), streamUser()]);
    const [annStream, beaStream] = [await ann.open(), await bea.open()];

    const [annOrder, beaTransfer, annLink] = [change(ann.sub, "order"), change(bea.sub, "transfer"), change(ann.sub, "bank_link")];
    const started = Date.now();
    await publishChanges(env, [annOrder, beaTransfer, annLink]);

    const first = await annStream.next();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(first).toMatchObject({ id: String(annOrder.seq), event: "order" });
    expect(documentedBody(first)).toEqual(annOrder.body);
    const second = await annStream.next();
    expect(second).toMatchObject({ id: String(annLink.seq), event: "bank_link" });
    expect(documentedBody(second)).toEqual(annLink.body);

    const beas = await beaStream.next();
    expect(beas).toMatchObject({ id: String(beaTransfer.seq), event: "transfer" });
    expect(documentedBody(beas)).toEqual(beaTransfer.body);
  });

  it("never writes another user's change, even one handed to this user's object", async () => {
    const [ann, bea] = await Promise.all([streamUser(), streamUser()]);
    const annStream = await ann.open();
    await ann.object().publish([change(bea.sub)]);
    const annsOwn = change(ann.sub);
    await ann.object().publish([annsOwn]);
    // The next message is Ann's own: Bea's, handed over first, was not written.
    expect(await annStream.next()).toMatchObject({ id: String(annsOwn.seq) });
  });

  it("needs a token or a ticket: without either, 401 invalid_token", async () => {
    const ann = await streamUser();
    const res = await ann.anonymous(EVENTS);
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("invalid_token");
  });
});

describe("tickets for EventSource", () => {
  it("open one stream of the asking user's, once, and are never logged", async () => {
    const lines = consoleLines();
    const [ann, bea] = await Promise.all([streamUser(), streamUser()]);
    const ticket = await ann.ticket();
    expect(ticket).toMatch(/^[\w-]{43}$/);

    const stream = streamOf(await ann.anonymous(`${EVENTS}?ticket=${ticket}`));
    const annsChange = change(ann.sub);
    await publishChanges(env, [change(bea.sub), annsChange]);
    expect(await stream.next()).toMatchObject({ id: String(annsChange.seq) });

    // Used: answered exactly as a ticket never given.
    const used = await ann.anonymous(`${EVENTS}?ticket=${ticket}`);
    expect(used.status).toBe(401);
    expect(used.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    const unknown = await ann.anonymous(`${EVENTS}?ticket=${"A".repeat(43)}`);
    expect(await visibleAnswer(used)).toEqual(await visibleAnswer(unknown));

    // Nor in a refusal of its form, or on a path that does not exist.
    expect((await ann.anonymous(`${EVENTS}?ticket=${ticket}x`)).status).toBe(400);
    expect((await ann.anonymous(`${EVENTS}/nowhere?ticket=${ticket}`)).status).toBe(404);

    // Every line written, the access log's and any other.
    const logged = lines.join("\n");
    expect(logged).toContain(EVENTS);
    expect(logged).not.toContain(ticket);
  });

  it("are good for 60 seconds: an older one is answered as an unknown one", async () => {
    const ann = await streamUser();
    const ticket = await ann.ticket();
    await env.DB.prepare("UPDATE event_stream_tickets SET expires_at = expires_at - 60000 WHERE sub = ?").bind(ann.sub).run();
    const expired = await ann.anonymous(`${EVENTS}?ticket=${ticket}`);
    const unknown = await ann.anonymous(`${EVENTS}?ticket=${"B".repeat(43)}`);
    expect((await problemOf(expired.clone())).code).toBe("invalid_ticket");
    expect(await visibleAnswer(expired)).toEqual(await visibleAnswer(unknown));
  });

  it("open one stream when two requests bring the same ticket at once", async () => {
    const ann = await streamUser();
    const ticket = await ann.ticket();
    const answers = await Promise.all([1, 2].map(() => ann.anonymous(`${EVENTS}?ticket=${ticket}`)));
    expect(answers.map((res) => res.status).sort()).toEqual([200, 401]);
    for (const res of answers) if (res.status === 200) streamOf(res);
  });

  it("are kept in D1 only as their hash", async () => {
    const ann = await streamUser();
    const ticket = await ann.ticket();
    const { results } = await env.DB.prepare("SELECT * FROM event_stream_tickets WHERE sub = ?").bind(ann.sub).all();
    expect(results).toHaveLength(1);
    expect(JSON.stringify(results)).not.toContain(ticket);
  });

  it("need the bearer token to be given", async () => {
    const ann = await streamUser();
    const res = await ann.anonymous(`${EVENTS}/ticket`, { method: "POST" });
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("invalid_token");
  });
});

describe("open streams", () => {
  it(`are at most ${MAX_STREAMS_PER_USER} per user; one closed frees a place; another user's count apart`, async () => {
    const [ann, bea] = await Promise.all([streamUser(), streamUser()]);
    const streams = [];
    for (let i = 0; i < MAX_STREAMS_PER_USER; i++) streams.push(await ann.open());
    const over = await ann.call(EVENTS);
    expect(over.status).toBe(429);
    expect((await problemOf(over)).code).toBe("too_many_streams");
    // A ticket does not get round it.
    const byTicket = await ann.anonymous(`${EVENTS}?ticket=${await ann.ticket()}`);
    expect((await problemOf(byTicket)).code).toBe("too_many_streams");

    await bea.open();

    await streams[0]!.close();
    // The object learns that a client went away when it next writes to it: a heartbeat at the latest.
    await alarmAt(ann.object(), Date.now() + HEARTBEAT_MS);
    await untilOpen(ann.object(), MAX_STREAMS_PER_USER - 1);
    const again = await ann.open();
    const latest = change(ann.sub);
    await publishChanges(env, [latest]);
    expect(await again.next()).toMatchObject({ id: String(latest.seq) });
  });

  it("get a heartbeat comment every 15 seconds", async () => {
    const ann = await streamUser();
    const before = Date.now();
    const stream = await ann.open();
    const alarm = await alarmOf(ann.object());
    expect(alarm).toBeGreaterThanOrEqual(before + HEARTBEAT_MS);
    expect(alarm).toBeLessThanOrEqual(Date.now() + HEARTBEAT_MS);

    expect(await alarmAt(ann.object(), alarm!)).toBe(true);
    expect(await stream.next()).toEqual({ comment: "heartbeat" });
    // The next one 15 s after it.
    expect(await alarmOf(ann.object())).toBe(alarm! + HEARTBEAT_MS);
  });

  it("end when the access token that opened them expires", async () => {
    const exp = Math.floor(Date.now() / 1000) + 10;
    const ann = await streamUser({ exp });
    const stream = await ann.open();
    // Its expiry comes before the first heartbeat: the alarm is set for it.
    expect(await alarmOf(ann.object())).toBe(exp * 1000);
    expect(await alarmAt(ann.object(), exp * 1000)).toBe(true);
    expect(await stream.next()).toBeUndefined();
    await untilOpen(ann.object(), 0);
  });

  it("opened by a ticket end when the token that asked for the ticket expires", async () => {
    const exp = Math.floor(Date.now() / 1000) + 10;
    const ann = await streamUser({ exp });
    const stream = streamOf(await ann.anonymous(`${EVENTS}?ticket=${await ann.ticket()}`));
    expect(await alarmOf(ann.object())).toBe(exp * 1000);
    expect(await alarmAt(ann.object(), exp * 1000)).toBe(true);
    expect(await stream.next()).toBeUndefined();
  });
});

describe("the stream's input", () => {
  it("refuses a Last-Event-ID or last_event_id that is no event id, and a malformed ticket: 400", async () => {
    const ann = await streamUser();
    for (const res of [
      await ann.call(EVENTS, { headers: { "last-event-id": "abc" } }),
      await ann.call(`${EVENTS}?last_event_id=-1`),
      await ann.anonymous(`${EVENTS}?ticket=short`),
    ]) {
      expect(res.status).toBe(400);
      expect((await problemOf(res)).code).toBe("validation_failed");
    }
  });
});

describe("a client that reads nothing", () => {
  it(`is let go once ${MAX_UNREAD} messages wait for it, rather than held in memory`, async () => {
    const ann = await streamUser();
    await ann.open();
    await ann.object().publish(Array.from({ length: MAX_UNREAD + 1 }, () => change(ann.sub)));
    await untilOpen(ann.object(), 0);
  });
});

describe("with the ledger: events applied by applyEvent", () => {
  /** Applies a trade event of `order` for the holder; its change. */
  async function apply(accountId: string, kind: string, order: OrderPayload) {
    const result = await applyEvent(eventDeps().deps, tradeEvent(accountId, kind, order, new Date().toISOString()));
    expect(result.outcome).toBe("applied");
    return result.changes[0]!;
  }

  /** Applies it and hands its change on, as the consumer does. */
  async function applied(accountId: string, kind: string, order: OrderPayload) {
    const change = await apply(accountId, kind, order);
    await publishChanges(env, [change]);
    return change;
  }

  it("reach the owner's open stream within a second, with the body D1 holds; never the other user's", async () => {
    const [ann, bea] = await Promise.all([accountHolder(), accountHolder()]);
    const [annStream, beaStream] = [streamOf(await ann.call(EVENTS)), streamOf(await bea.call(EVENTS))];

    const started = Date.now();
    const annsOrder = await applied(ann.accountId, "new", brokerOrder());
    const message = await annStream.next();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(message).toMatchObject({ id: String(annsOrder.seq), event: "order" });
    expect(documentedBody(message)).toEqual(annsOrder.body);

    // Bea's next message is her own: Ann's change never reached her stream.
    const beasOrder = await applied(bea.accountId, "new", brokerOrder());
    expect(await beaStream.next()).toMatchObject({ id: String(beasOrder.seq) });
  });

  it("carry the account's status as GET /platform/accounts/me/status answers it", async () => {
    const ann = await accountHolder({}, { status: "APPROVED" });
    const stream = streamOf(await ann.call(EVENTS));
    const result = await applyEvent(eventDeps().deps, accountEvent(ann.accountId, { at: new Date().toISOString(), status_from: "APPROVED", status_to: "ACTIVE" }));
    await publishChanges(env, result.changes);
    const message = await stream.next();
    expect(message).toMatchObject({ id: String(result.changes[0]!.seq), event: "account" });
    const read = await ann.call("/platform/accounts/me/status");
    expect(read.status).toBe(200);
    expect(documentedBody(message)).toEqual(await read.json());
    expect(documentedBody(message)).toMatchObject({ status: "ACTIVE" });
  });

  it("resume after Last-Event-ID from D1: what was missed, each object as it is now, then live, nothing twice", async () => {
    const ann = await accountHolder();
    const order = brokerOrder();
    const placed = await applied(ann.accountId, "new", order);
    const filled = await applied(ann.accountId, "fill", { ...order, status: "filled", filled_qty: "10", filled_avg_price: "99.5" });
    const other = await applied(ann.accountId, "new", brokerOrder());

    const stream = streamOf(await ann.call(EVENTS, { headers: { "last-event-id": String(placed.seq) } }));
    const first = await stream.next();
    expect(first).toMatchObject({ id: String(filled.seq), event: "order" });
    expect(documentedBody(first)).toMatchObject({ id: order.id, status: "filled", filled_qty: "10" });
    expect(await stream.next()).toMatchObject({ id: String(other.seq) });

    // A late hand-over of a change the replay had is not written again; the next live one is.
    await publishChanges(env, [filled]);
    const next = await applied(ann.accountId, "new", brokerOrder());
    expect(await stream.next()).toMatchObject({ id: String(next.seq) });

    // EventSource's new stream after a ticket's ended: last_event_id in the query; the header wins over it.
    const byQuery = streamOf(await ann.call(`${EVENTS}?last_event_id=${filled.seq}`));
    expect(await byQuery.next()).toMatchObject({ id: String(other.seq) });
    const both = streamOf(await ann.call(`${EVENTS}?last_event_id=${placed.seq}`, { headers: { "last-event-id": String(other.seq) } }));
    expect(await both.next()).toMatchObject({ id: String(next.seq) });
  });

  it("write a change handed over during the replay once, after the replay, whether the replay read it or not", async () => {
    const ann = await accountHolder();
    const first = await applied(ann.accountId, "new", brokerOrder());
    const second = await applied(ann.accountId, "new", brokerOrder());
    const object = env.USER_EVENTS.get(env.USER_EVENTS.idFromName(ann.sub));
    const ids = await runInDurableObject(object, async (instance: UserEventStreams) => {
      // Opened in the object itself: nothing reads the stream until below, so the replay waits at its first message.
      const readable = (await instance.open({ sub: ann.sub, expiresAt: Date.now() + 3_600_000, after: first.seq - 1 }))!;
      const third = await apply(ann.accountId, "new", brokerOrder());
      instance.publish([second, third]);
      const stream = streamOf(new Response(readable, { headers: { "content-type": "text/event-stream" } }));
      const seen = [];
      for (let i = 0; i < 3; i++) seen.push((await stream.next())?.id);
      const fourth = await applied(ann.accountId, "new", brokerOrder());
      seen.push((await stream.next())?.id);
      return { seen, expected: [first, second, third, fourth].map((change) => String(change.seq)) };
    });
    expect(ids.seen).toEqual(ids.expected);
  });
});
