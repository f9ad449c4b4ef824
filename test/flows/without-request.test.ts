// Flows run the same from any entry point (issue 22): a transfer flow called from a plain function,
// as a Cron Trigger's heal pass would call it, with the composition root's dependencies (depsFrom),
// the real stores on D1 and a scripted Broker API. No Hono, no request, no middleware.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Actor } from "../../src/actor";
import { depsFrom } from "../../src/root";
import { createTransfer } from "../../src/services/funding";
import { achRelationshipQueued, transferQueued } from "../fixtures/broker";
import { BROKER_KEYS } from "../support/brokerage";
import { scenario } from "../support/worker";

const APPROVED = { ...achRelationshipQueued, status: "APPROVED" };

/** A heal pass's deposit for `sub`: the root built from env, a scope of its own, no request anywhere. */
async function healDeposit(vars: Record<string, unknown>, actor: Actor, key: string) {
  const root = depsFrom({ ...env, ...vars } as Env);
  // A heal pass has no allowance to count, no one to step up and no change of control to tell.
  const noStepUp = () => async () => {
    throw new Error("a deposit never steps up");
  };
  const deps = root.flowDeps(root.scope(Promise.resolve()), { allow: async () => undefined, stepUp: noStepUp, notify: () => undefined });
  const input = { key, route: "heal transfer.create", body: { bank_link_id: APPROVED.id, amount: "500.00", direction: "INCOMING" as const } };
  return createTransfer(deps, actor, input);
}

describe("a transfer flow without a request", () => {
  it("deposits once from a plain function: the Broker API is called once, D1 keeps the answer and an audit row whose source is the heal", async () => {
    const upstream = await scenario({ "GET /v1/accounts/{id}/ach_relationships": [{ body: [APPROVED] }], "POST /v1/accounts/{id}/transfers": [{ body: transferQueued }] });
    const vars = { ...upstream.vars, BROKER_API_URL: upstream.base, ...BROKER_KEYS };
    const sub = crypto.randomUUID();
    const at = new Date().toISOString();
    await env.DB.prepare("INSERT INTO brokerage_accounts (sub, broker_account_id, account_number, status, created_at, updated_at) VALUES (?, ?, '684486106', 'ACTIVE', ?, ?)")
      .bind(sub, crypto.randomUUID(), at, at)
      .run();
    const actor: Actor = { sub, source: "heal", id: crypto.randomUUID() };
    const key = crypto.randomUUID();

    const first = await healDeposit(vars, actor, key);
    expect(first).toMatchObject({ status: 201, replayed: false });
    expect(JSON.parse(first.body)).toMatchObject({ id: transferQueued.id, amount: transferQueued.amount, direction: "INCOMING" });
    // The same key again (another heal item): the stored answer, no second Broker call.
    const again = await healDeposit(vars, { ...actor, id: crypto.randomUUID() }, key);
    expect(again).toEqual({ ...first, replayed: true });

    const transfers = (await upstream.calls()).filter((call) => call.action === "POST /v1/accounts/{id}/transfers");
    expect(transfers).toHaveLength(1);
    const { results } = await env.DB.prepare("SELECT action, outcome, source, request_id FROM audit_events WHERE sub = ? ORDER BY id").bind(sub).all();
    expect(results).toEqual([
      { action: "transfer.create", outcome: "ok", source: "heal", request_id: actor.id },
      { action: "transfer.create", outcome: "replayed", source: "heal", request_id: expect.any(String) },
    ]);
  });
});

describe("the Worker's scheduled handler", () => {
  it("runs one job per cron, and says so of a cron it has none for", async () => {
    const { default: worker } = await import("../../src/index");
    const logged: string[] = [];
    const original = console.warn;
    console.warn = (line: string) => void logged.push(line);
    try {
      await worker.scheduled({ cron: "*/5 * * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController, env as Env);
    } finally {
      console.warn = original;
    }
    expect(logged.map((line) => JSON.parse(line))).toContainEqual(expect.objectContaining({ message: "scheduled: no job for this cron", cron: "*/5 * * * *" }));
  });
});
