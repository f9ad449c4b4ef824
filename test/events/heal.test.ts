// Issue 23, item 4: the heal pass asks the Broker API after the objects D1 has heard nothing of for
// 10 minutes and fixes D1 with an audit row of source "heal": a lost event is corrected.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { applyEvent } from "../../src/events/apply";
import { healPass, HEAL_LIMITS } from "../../src/events/heal";
import { depsFrom } from "../../src/root";
import type { RequestScope } from "../../src/upstream";
import { notionalMarketOrderAccepted, transferQueued } from "../fixtures/broker";
import type { Reply } from "../support/fake-upstream";
import { BROKER_KEYS } from "../support/brokerage";
import { scenario } from "../support/worker";
import { brokerOrder, eventDeps, heldAccount, ledgerAudit, tradeEvent } from "./ledger-support";
import { streamUser } from "../support/live-events";

const LONG_AGO = "2000-01-01T00:00:00.000Z";
/** Older than LONG_AGO: rows the pass reaches before any other test's. */
const EPOCH = "1970-01-01T00:00:00.000Z";

/** The heal pass's deps on a scripted Broker API, its notices recorded. */
async function healWith(replies: Record<string, Reply[]>) {
  const upstream = await scenario(replies);
  const root = depsFrom({ ...env, ...upstream.vars, BROKER_API_URL: upstream.base, ...BROKER_KEYS } as Env);
  const scope: RequestScope = { budgetEndsAt: Date.now() + 60_000, calls: [], clearance: Promise.resolve() };
  const { deps, told } = eventDeps();
  const heal = { ...deps, broker: root.clients(scope).broker, scope };
  return { heal, told, upstream, brokerCalls: async () => (await upstream.calls()).map((call) => call.action) };
}

/** Makes the user's rows of `table` silent since long ago. */
const silence = (table: "orders" | "transfers" | "bank_links", sub: string) => env.DB.prepare(`UPDATE ${table} SET heard_at = ? WHERE sub = ?`).bind(LONG_AGO, sub).run();

describe("the heal pass", () => {
  it("corrects a lost fill event: the order is filled in D1, with a heal audit row and the notice; the next pass asks nothing", async () => {
    const { sub, accountId } = await heldAccount();
    const order = brokerOrder();
    await applyEvent(eventDeps().deps, tradeEvent(accountId, "new", order, "2026-03-02T15:00:01Z"));
    await silence("orders", sub);
    // The fill event was lost; the Broker API has the order filled.
    const { heal, told, brokerCalls } = await healWith({ "GET /v1/trading/accounts/{id}/orders/{id}": [{ body: { ...order, status: "filled", filled_qty: "10", filled_avg_price: "99.9" } }] });
    const report = await healPass(heal);
    expect(report.changes).toContainEqual({ sub, seq: expect.any(Number), kind: "order", objectId: order.id, body: expect.objectContaining({ status: "filled", filled_qty: "10", filled_avg_price: "99.9" }) });
    expect(await env.DB.prepare("SELECT status, open FROM orders WHERE sub = ? AND id = ?").bind(sub, order.id).first()).toEqual({ status: "filled", open: 0 });
    expect((await ledgerAudit(sub)).map((row) => [row.source, row.action, row.status])).toEqual([
      ["broker_event", "order.status", "new"],
      ["heal", "order.status", "filled"],
    ]);
    expect(told.filter((notice) => notice.sub === sub).map(({ notice }) => notice.kind)).toEqual(["order_filled"]);
    // The late event of the fill changes nothing and tells nothing again.
    const late = tradeEvent(accountId, "fill", { ...order, status: "filled", filled_qty: "10", filled_avg_price: "99.9" }, "2026-03-02T15:00:05Z");
    const { deps, told: toldLate } = eventDeps();
    expect((await applyEvent(deps, late)).outcome).toBe("kept");
    expect(toldLate).toEqual([]);
    await healPass(heal);
    expect((await brokerCalls()).filter((call) => call.startsWith("GET /v1/trading"))).toHaveLength(1);
  });

  it("corrects a lost deposit event from the account's transfers, and leaves an order the Broker has as D1 has it with no audit row", async () => {
    const { sub, accountId } = await heldAccount();
    const transferId = crypto.randomUUID();
    await env.DB.prepare("INSERT INTO transfers (id, sub, status, amount, direction, created_at, heard_at, version) VALUES (?, ?, 'QUEUED', '500', 'INCOMING', ?, ?, 1)")
      .bind(transferId, sub, "2026-03-02T15:00:00Z", LONG_AGO)
      .run();
    const order = brokerOrder();
    await applyEvent(eventDeps().deps, tradeEvent(accountId, "new", order, "2026-03-02T15:00:01Z"));
    await silence("orders", sub);
    const { heal, told } = await healWith({
      "GET /v1/accounts/{id}/transfers": [{ body: [{ ...transferQueued, id: transferId, amount: "500", status: "COMPLETE" }] }],
      "GET /v1/trading/accounts/{id}/orders/{id}": [{ body: order }],
    });
    await healPass(heal);
    expect(await env.DB.prepare("SELECT status FROM transfers WHERE sub = ? AND id = ?").bind(sub, transferId).first()).toEqual({ status: "COMPLETE" });
    expect((await ledgerAudit(sub)).map((row) => [row.source, row.action, row.status])).toEqual([
      ["broker_event", "order.status", "new"],
      ["heal", "transfer.status", "COMPLETE"],
    ]);
    expect(told.filter((notice) => notice.sub === sub).map(({ notice }) => notice)).toEqual([{ kind: "deposit_completed", amount: "500" }]);
    expect(await env.DB.prepare("SELECT heard_at > ? AS heard FROM orders WHERE sub = ? AND id = ?").bind(LONG_AGO, sub, order.id).first()).toEqual({ heard: 1 });
  });

  it("is bounded per run, and stops while the Broker API's X-RateLimit-Remaining is low", async () => {
    const { sub, accountId } = await heldAccount();
    const orders = [brokerOrder(), brokerOrder(), brokerOrder()];
    for (const order of orders) await applyEvent(eventDeps().deps, tradeEvent(accountId, "new", order, "2026-03-02T15:00:01Z"));
    await silence("orders", sub);
    const low = { "x-ratelimit-limit": "1000", "x-ratelimit-remaining": "100", "x-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + 60) };
    const { heal, upstream } = await healWith({ "GET /v1/trading/accounts/{id}/orders/{id}": [{ body: notionalMarketOrderAccepted, headers: low }] });
    // Room for every other silent row of the shared test database: the Broker API's word stops the run, not the bound.
    const report = await healPass(heal, { ...HEAL_LIMITS, maxCalls: 100 });
    expect(report.stopped).toBe("rate_limit");
    expect((await upstream.calls()).filter((call) => call.path.includes(`/trading/accounts/${accountId}/`))).toHaveLength(1);
    const bounded = await healWith({ "GET /v1/trading/accounts/{id}/orders/{id}": [{ body: notionalMarketOrderAccepted }] });
    expect(await healPass(bounded.heal, { ...HEAL_LIMITS, maxCalls: 1 })).toMatchObject({ calls: 1, stopped: "max_calls" });
    expect(await bounded.brokerCalls()).toHaveLength(1);
  });

  it("shares a run's calls between the kinds: silent open orders do not keep a lost deposit from being corrected", async () => {
    const { sub, accountId } = await heldAccount();
    for (let i = 0; i < 6; i++) await applyEvent(eventDeps().deps, tradeEvent(accountId, "new", brokerOrder(), "2026-03-02T15:00:01Z"));
    // Heard of before any other test's rows (the pass asks after the longest silent first; the other
    // files' rows share this D1): the run's first orders and first transfer are these.
    await env.DB.prepare("UPDATE orders SET heard_at = ? WHERE sub = ?").bind(EPOCH, sub).run();
    const transferId = crypto.randomUUID();
    await env.DB.prepare("INSERT INTO transfers (id, sub, status, amount, direction, created_at, heard_at, version) VALUES (?, ?, 'QUEUED', '75', 'INCOMING', ?, ?, 1)")
      .bind(transferId, sub, "2026-03-02T15:00:00Z", EPOCH)
      .run();
    const { heal } = await healWith({
      "GET /v1/trading/accounts/{id}/orders/{id}": [{ body: notionalMarketOrderAccepted }],
      "GET /v1/accounts/{id}/transfers": [{ body: [{ ...transferQueued, id: transferId, amount: "75", status: "COMPLETE" }] }],
    });
    // Fewer calls than silent orders, and at most one of them for a silent account another test left:
    // the orders must not take all that is left.
    const report = await healPass(heal, { ...HEAL_LIMITS, maxCalls: 4 });
    expect(report).toMatchObject({ stopped: "max_calls" });
    expect(report.calls).toBeLessThanOrEqual(4);
    expect(await env.DB.prepare("SELECT status FROM transfers WHERE sub = ? AND id = ?").bind(sub, transferId).first()).toEqual({ status: "COMPLETE" });
  });

  it("runs as the Worker's Cron Trigger */10 (GET /__scheduled under wrangler dev --test-scheduled)", async () => {
    const { sub, accountId } = await heldAccount("SUBMITTED");
    await env.DB.prepare("UPDATE brokerage_accounts SET updated_at = ? WHERE sub = ?").bind(LONG_AGO, sub).run();
    const upstream = await scenario({ "GET /v1/accounts/{id}": [{ body: { id: accountId, account_number: "900000001", status: "APPROVED", created_at: "2026-03-02T15:00:00Z" } }] });
    const { default: worker } = await import("../../src/index");
    await worker.scheduled({ cron: "*/10 * * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController, { ...env, ...upstream.vars, BROKER_API_URL: upstream.base, ...BROKER_KEYS } as Env);
    expect(await env.DB.prepare("SELECT status FROM brokerage_accounts WHERE sub = ?").bind(sub).first()).toEqual({ status: "APPROVED" });
    expect((await ledgerAudit(sub)).map((row) => [row.source, row.action, row.status])).toEqual([["heal", "account.status", "APPROVED"]]);
  });

  it("tells the owner's open live stream of what it corrected, as an event's change is told", async () => {
    const user = await streamUser();
    const accountId = crypto.randomUUID();
    await env.DB.prepare("INSERT INTO brokerage_accounts (sub, broker_account_id, account_number, status, created_at, updated_at) VALUES (?, ?, '900000002', 'SUBMITTED', ?, ?)")
      .bind(user.sub, accountId, LONG_AGO, LONG_AGO)
      .run();
    const stream = await user.open();
    const upstream = await scenario({ "GET /v1/accounts/{id}": [{ body: { id: accountId, account_number: "900000002", status: "APPROVED", created_at: "2026-03-02T15:00:00Z" } }] });
    const { default: worker } = await import("../../src/index");
    await worker.scheduled({ cron: "*/10 * * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController, { ...env, ...user.vars, ...upstream.vars, BROKER_API_URL: upstream.base } as Env);
    const message = await stream.next();
    expect(message?.event).toBe("account");
    expect(JSON.parse(message!.data!)).toMatchObject({ status: "APPROVED" });
  });
});
