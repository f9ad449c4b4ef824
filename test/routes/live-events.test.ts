// The user's live stream (issue 23 item 6), through the Worker and the real per-user Durable Objects:
// two users' changes published together, tickets, the stream limit, heartbeats and the token's expiry
// driven by the object's alarm and clock, never by waiting.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { publishChanges } from "../../src/events/publish";
import { HEARTBEAT_MS, MAX_STREAMS_PER_USER, MAX_UNREAD } from "../../src/events/user-streams";
import { requestLog } from "../support/logs";
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
    const lines = requestLog();
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

    const logged = JSON.stringify(lines());
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
