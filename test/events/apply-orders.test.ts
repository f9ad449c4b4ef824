// Issue 23, item 2: trade events applied to D1's orders, once, forward only, corrections as sent.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { applyEvent } from "../../src/events/apply";
import { bodyOf } from "../../src/services/ledger";
import { brokerOrder, eventDeps, heldAccount, ledgerAudit, tradeEvent } from "./ledger-support";

const orderRow = (id: string) => env.DB.prepare("SELECT status, filled_qty, filled_avg_price, open, replaced_by, view FROM orders WHERE id = ?").bind(id).first<Record<string, unknown>>();

describe("trade events", () => {
  it("an order we did not hold is kept from its event, its audit row names the event, and the change carries the GET body", async () => {
    const { sub, accountId } = await heldAccount();
    const { deps } = eventDeps();
    const order = brokerOrder();
    const ev = tradeEvent(accountId, "new", order, "2026-03-02T15:00:01Z");
    const result = await applyEvent(deps, ev);
    expect(result.outcome).toBe("applied");
    expect(result.changes).toEqual([
      {
        sub,
        seq: expect.any(Number),
        kind: "order",
        objectId: order.id,
        body: {
          id: order.id,
          client_order_id: order.client_order_id,
          status: "new",
          symbol: "AAPL",
          side: "buy",
          type: "limit",
          time_in_force: "day",
          qty: "10",
          notional: null,
          filled_qty: "0",
          filled_avg_price: null,
          limit_price: "100",
          stop_price: null,
          trail_price: null,
          trail_percent: null,
          extended_hours: false,
          replaces: null,
          replaced_by: null,
          created_at: order.created_at,
        },
      },
    ]);
    expect(await orderRow(order.id)).toMatchObject({ status: "new", open: 1 });
    expect(await ledgerAudit(sub)).toEqual([{ source: "broker_event", action: "order.status", request_id: ev.id, object_id: order.id, status: "new" }]);
  });

  it("a duplicate changes nothing and writes no second audit row", async () => {
    const { sub, accountId } = await heldAccount();
    const { deps } = eventDeps();
    const ev = tradeEvent(accountId, "new", brokerOrder(), "2026-03-02T15:00:01Z");
    expect((await applyEvent(deps, ev)).outcome).toBe("applied");
    expect(await applyEvent(deps, ev)).toEqual({ outcome: "duplicate", changes: [] });
    expect(await ledgerAudit(sub)).toHaveLength(1);
  });

  it("out of order: a fill then the older 'new' leaves the order filled", async () => {
    const { accountId } = await heldAccount();
    const { deps } = eventDeps();
    const order = brokerOrder();
    const fill = tradeEvent(accountId, "fill", { ...order, status: "filled", filled_qty: "10", filled_avg_price: "99.5" }, "2026-03-02T15:00:05Z");
    const older = tradeEvent(accountId, "new", order, "2026-03-02T15:00:01Z");
    expect((await applyEvent(deps, fill)).outcome).toBe("applied");
    expect(await applyEvent(deps, older)).toEqual({ outcome: "kept", changes: [] });
    expect(await orderRow(order.id)).toMatchObject({ status: "filled", filled_qty: "10", filled_avg_price: "99.5", open: 0 });
  });

  it("partial fills move forward by quantity; an older partial fill is not applied", async () => {
    const { accountId } = await heldAccount();
    const { deps } = eventDeps();
    const order = brokerOrder();
    const partial = (qty: string, at: string) => tradeEvent(accountId, "partial_fill", { ...order, status: "partially_filled", filled_qty: qty, filled_avg_price: "100" }, at);
    expect((await applyEvent(deps, partial("6", "2026-03-02T15:00:06Z"))).outcome).toBe("applied");
    expect((await applyEvent(deps, partial("3", "2026-03-02T15:00:03Z"))).outcome).toBe("kept");
    expect(await orderRow(order.id)).toMatchObject({ status: "partially_filled", filled_qty: "6" });
  });

  it("a trade_bust corrects a fill: the order goes back as the Broker sends it", async () => {
    const { sub, accountId } = await heldAccount();
    const { deps } = eventDeps();
    const order = brokerOrder();
    await applyEvent(deps, tradeEvent(accountId, "fill", { ...order, status: "filled", filled_qty: "10", filled_avg_price: "99.5" }, "2026-03-02T15:00:05Z"));
    const bust = tradeEvent(accountId, "trade_bust", { ...order, status: "canceled", filled_qty: "0", filled_avg_price: null }, "2026-03-02T16:00:00Z");
    const result = await applyEvent(deps, bust);
    expect(result.outcome).toBe("applied");
    expect(result.changes[0]!.body).toMatchObject({ status: "canceled", filled_qty: "0", filled_avg_price: null });
    expect(await orderRow(order.id)).toMatchObject({ status: "canceled", filled_qty: "0", filled_avg_price: null });
    expect((await ledgerAudit(sub)).map((row) => row.request_id)).toEqual([expect.any(String), bust.id]);
  });

  it("a trade_correct changes the average price of a filled order", async () => {
    const { accountId } = await heldAccount();
    const { deps } = eventDeps();
    const order = brokerOrder();
    await applyEvent(deps, tradeEvent(accountId, "fill", { ...order, status: "filled", filled_qty: "10", filled_avg_price: "99.5" }, "2026-03-02T15:00:05Z"));
    expect((await applyEvent(deps, tradeEvent(accountId, "trade_correct", { ...order, status: "filled", filled_qty: "10", filled_avg_price: "99.45" }, "2026-03-02T16:00:00Z"))).outcome).toBe("applied");
    expect(await orderRow(order.id)).toMatchObject({ status: "filled", filled_avg_price: "99.45" });
  });

  it("'replaced' links the old order to the new one", async () => {
    const { accountId } = await heldAccount();
    const { deps } = eventDeps();
    const old = brokerOrder();
    const replacement = brokerOrder({ replaces: old.id, limit_price: "101" });
    await applyEvent(deps, tradeEvent(accountId, "new", old, "2026-03-02T15:00:01Z"));
    await applyEvent(deps, tradeEvent(accountId, "replaced", { ...old, status: "replaced", replaced_by: replacement.id }, "2026-03-02T15:00:02Z"));
    await applyEvent(deps, tradeEvent(accountId, "new", replacement, "2026-03-02T15:00:02Z"));
    expect(await orderRow(old.id)).toMatchObject({ status: "replaced", replaced_by: replacement.id, open: 0 });
    expect(await env.DB.prepare("SELECT replaces FROM orders WHERE id = ?").bind(replacement.id).first()).toEqual({ replaces: old.id });
  });

  it("an unknown event type and status are kept as sent and never throw; an unreadable body is kept", async () => {
    const { accountId } = await heldAccount();
    const { deps } = eventDeps();
    const order = brokerOrder();
    await applyEvent(deps, tradeEvent(accountId, "new", order, "2026-03-02T15:00:01Z"));
    const odd = tradeEvent(accountId, "teleported", { ...order, status: "in_orbit" }, "2026-03-02T15:00:02Z");
    expect((await applyEvent(deps, odd)).outcome).toBe("applied");
    expect(await orderRow(order.id)).toMatchObject({ status: "in_orbit", open: 1 });
    expect(await env.DB.prepare("SELECT type, status FROM broker_events WHERE id = ?").bind(odd.id).first()).toEqual({ type: "teleported", status: "in_orbit" });
    const junk = { stream: "trades" as const, id: crypto.randomUUID(), data: { event: 42, order: "not an order" } };
    expect(await applyEvent(deps, junk)).toEqual({ outcome: "kept", changes: [] });
    expect(await applyEvent(deps, { stream: "trades", id: crypto.randomUUID(), data: null })).toEqual({ outcome: "kept", changes: [] });
  });

  it("an event of an account we do not hold is counted and skipped", async () => {
    const { deps } = eventDeps();
    const order = brokerOrder();
    const ev = tradeEvent(crypto.randomUUID(), "new", order, "2026-03-02T15:00:01Z");
    expect(await applyEvent(deps, ev)).toEqual({ outcome: "not_ours", changes: [] });
    expect(await orderRow(order.id)).toBeNull();
    expect(await env.DB.prepare("SELECT sub, outcome FROM broker_events WHERE id = ?").bind(ev.id).first()).toEqual({ sub: null, outcome: "not_ours" });
  });

  it("keeps no more of an event than the fields we use", async () => {
    const { accountId } = await heldAccount();
    const { deps } = eventDeps();
    const ev = tradeEvent(accountId, "new", brokerOrder(), "2026-03-02T15:00:01Z", { given_name: "Ann", street_address: ["1 Main St"] });
    await applyEvent(deps, ev);
    const row = await env.DB.prepare("SELECT * FROM broker_events WHERE id = ?").bind(ev.id).first();
    expect(JSON.stringify(row)).not.toMatch(/Ann|Main St/);
  });

  it("replays a user's changes after a seq from D1 (Last-Event-ID), each with the body GET answers now, never another user's", async () => {
    const { sub, accountId } = await heldAccount();
    const other = await heldAccount();
    const { deps } = eventDeps();
    const order = brokerOrder();
    const first = await applyEvent(deps, tradeEvent(accountId, "new", order, "2026-03-02T15:00:01Z"));
    await applyEvent(deps, tradeEvent(other.accountId, "new", brokerOrder(), "2026-03-02T15:00:01Z"));
    const fill = await applyEvent(deps, tradeEvent(accountId, "fill", { ...order, status: "filled", filled_qty: "10", filled_avg_price: "99.5" }, "2026-03-02T15:00:02Z"));
    const after = await deps.stores.brokerEvents.changesAfter(sub, first.changes[0]!.seq, 100);
    expect(after).toEqual([{ seq: fill.changes[0]!.seq, kind: "order", object_id: order.id }]);
    expect(await bodyOf(deps.stores, sub, "order", order.id)).toEqual(fill.changes[0]!.body);
    expect(await bodyOf(deps.stores, other.sub, "order", order.id)).toBeUndefined();
  });
});
