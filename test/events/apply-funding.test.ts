// Issue 23, items 2 and 5: funding and account-status events applied to D1, and their notices, once.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { applyEvent } from "../../src/events/apply";
import { accountEvent, brokerOrder, eventDeps, fundingEvent, heldAccount, ledgerAudit, tradeEvent } from "./ledger-support";

/** A transfer D1 holds, as a create writes it. */
async function heldTransfer(sub: string, direction: "INCOMING" | "OUTGOING" = "INCOMING", status = "QUEUED") {
  const id = crypto.randomUUID();
  await env.DB.prepare("INSERT INTO transfers (id, sub, status, amount, direction, created_at, heard_at, version) VALUES (?, ?, ?, '500', ?, ?, ?, 1)")
    .bind(id, sub, status, direction, "2026-03-02T15:00:00Z", new Date().toISOString())
    .run();
  return id;
}

async function heldLink(sub: string, status = "QUEUED") {
  const id = crypto.randomUUID();
  await env.DB.prepare("INSERT INTO bank_links (id, sub, status, nickname, bank_account_type, account_number_last4, created_at, heard_at, version) VALUES (?, ?, ?, 'Checking', 'CHECKING', '6789', ?, ?, 1)")
    .bind(id, sub, status, "2026-03-02T15:00:00Z", new Date().toISOString())
    .run();
  return id;
}

const transferStatus = async (id: string) => (await env.DB.prepare("SELECT status, reason FROM transfers WHERE id = ?").bind(id).first<{ status: string; reason: string | null }>())!;

describe("funding events", () => {
  it("a deposit moves forward, an older event does not move it back, and RETURNED follows COMPLETE", async () => {
    const { sub, accountId } = await heldAccount();
    const { deps, told } = eventDeps();
    const id = await heldTransfer(sub);
    const step = (from: string, to: string, at: string, reason: string | null = null) => applyEvent(deps, fundingEvent(accountId, "Transfer", id, from, to, at, reason));
    expect((await step("QUEUED", "PENDING", "2026-03-02T15:01:00Z")).outcome).toBe("applied");
    const complete = await step("APPROVED", "COMPLETE", "2026-03-02T15:03:00Z");
    expect(complete.changes).toEqual([{ sub, seq: expect.any(Number), kind: "transfer", objectId: id, body: { id, status: "COMPLETE", amount: "500", direction: "INCOMING", created_at: "2026-03-02T15:00:00Z" } }]);
    expect((await step("PENDING", "SENT_TO_CLEARING", "2026-03-02T15:02:00Z")).outcome).toBe("kept");
    expect(await transferStatus(id)).toEqual({ status: "COMPLETE", reason: null });
    const returned = await step("COMPLETE", "RETURNED", "2026-03-04T10:00:00Z", "R01 insufficient funds");
    expect(returned.outcome).toBe("applied");
    expect(await transferStatus(id)).toEqual({ status: "RETURNED", reason: "R01 insufficient funds" });
    expect((await step("APPROVED", "COMPLETE", "2026-03-02T15:03:30Z")).outcome).toBe("kept");
    expect(told.map(({ notice }) => notice)).toEqual([
      { kind: "deposit_completed", amount: "500" },
      { kind: "deposit_returned", amount: "500" },
    ]);
    expect((await ledgerAudit(sub)).map((row) => [row.source, row.action, row.status])).toEqual([
      ["broker_event", "transfer.status", "PENDING"],
      ["broker_event", "transfer.status", "COMPLETE"],
      ["broker_event", "transfer.status", "RETURNED"],
    ]);
  });

  it("a withdrawal sent is told once, whatever the replays", async () => {
    const { sub, accountId } = await heldAccount();
    const { deps, told } = eventDeps();
    const id = await heldTransfer(sub, "OUTGOING", "SENT_TO_CLEARING");
    const sent = fundingEvent(accountId, "Transfer", id, "SENT_TO_CLEARING", "COMPLETE", "2026-03-02T15:03:00Z");
    for (let i = 0; i < 3; i++) await applyEvent(deps, sent);
    expect(told).toEqual([{ sub, notice: { kind: "withdrawal_sent", amount: "500" } }]);
  });

  it("a bank link is approved; an unknown status is kept as sent; another entity type is kept", async () => {
    const { sub, accountId } = await heldAccount();
    const { deps } = eventDeps();
    const id = await heldLink(sub);
    const approved = await applyEvent(deps, fundingEvent(accountId, "BankRelationship", id, "QUEUED", "APPROVED", "2026-03-02T15:01:00Z"));
    expect(approved.changes[0]!.body).toEqual({ id, status: "APPROVED", nickname: "Checking", bank_account_type: "CHECKING", account_number_last4: "6789", created_at: "2026-03-02T15:00:00Z" });
    expect((await applyEvent(deps, fundingEvent(accountId, "BankRelationship", id, "APPROVED", "FROZEN_BY_MOON", "2026-03-02T15:02:00Z"))).outcome).toBe("applied");
    expect(await env.DB.prepare("SELECT status FROM bank_links WHERE id = ?").bind(id).first()).toEqual({ status: "FROZEN_BY_MOON" });
    expect((await applyEvent(deps, fundingEvent(accountId, "FundingWallet", crypto.randomUUID(), "", "ACTIVE", "2026-03-02T15:02:00Z"))).outcome).toBe("kept");
  });

  it("a transfer D1 does not hold makes the next read fill the account's transfers from the Broker API", async () => {
    const { sub, accountId } = await heldAccount();
    const { deps } = eventDeps();
    expect((await applyEvent(deps, fundingEvent(accountId, "Transfer", crypto.randomUUID(), "QUEUED", "PENDING", "2026-03-02T15:01:00Z"))).outcome).toBe("kept");
    expect(await env.DB.prepare("SELECT transfers_filled FROM brokerage_accounts WHERE sub = ?").bind(sub).first()).toEqual({ transfers_filled: 0 });
  });
});

describe("account events", () => {
  it("the status follows the events by time, with the blocked flags; approval, action required and rejection are told", async () => {
    const { sub, accountId } = await heldAccount("SUBMITTED");
    const { deps, told } = eventDeps();
    const approved = await applyEvent(deps, accountEvent(accountId, { at: "2026-03-02T15:01:00Z", status_from: "SUBMITTED", status_to: "APPROVED" }));
    expect(approved.changes).toEqual([
      { sub, seq: expect.any(Number), kind: "account", objectId: accountId, body: { id: accountId, account_number: "900000001", status: "APPROVED", account_blocked: null, trading_blocked: null } },
    ]);
    expect((await applyEvent(deps, accountEvent(accountId, { at: "2026-03-02T15:02:00Z", status_from: "APPROVED", status_to: "ACTIVE", trading_blocked: { from: false, to: true } }))).outcome).toBe("applied");
    // Older than the status held: not applied.
    expect((await applyEvent(deps, accountEvent(accountId, { at: "2026-03-02T15:00:30Z", status_from: "", status_to: "SUBMITTED" }))).outcome).toBe("kept");
    expect(await env.DB.prepare("SELECT status, trading_blocked FROM brokerage_accounts WHERE sub = ?").bind(sub).first()).toEqual({ status: "ACTIVE", trading_blocked: 1 });
    expect(told.map(({ notice }) => notice.kind)).toEqual(["account_approved"]);
  });

  it("keeps no KYC text, name or address of an account event", async () => {
    const { accountId } = await heldAccount("SUBMITTED");
    const { deps, told } = eventDeps();
    const ev = accountEvent(accountId, {
      at: "2026-03-02T15:01:00Z",
      status_from: "SUBMITTED",
      status_to: "ACTION_REQUIRED",
      kyc_results: { reject: { IDENTITY_VERIFICATION: {} }, additional_information: "Ann Smith, 1 Main St: document blurry" },
    });
    await applyEvent(deps, ev);
    expect(JSON.stringify(await env.DB.prepare("SELECT * FROM broker_events WHERE id = ?").bind(ev.id).first())).not.toMatch(/Ann|Main St|blurry/);
    expect(told.map(({ notice }) => notice.kind)).toEqual(["account_action_required"]);
  });
});

describe("order notices", () => {
  it("filled, partially filled, rejected and canceled by the Broker are told once each; a cancel the user asked for is not", async () => {
    const { sub, accountId } = await heldAccount();
    const { deps, told } = eventDeps();
    const order = brokerOrder();
    const partial = tradeEvent(accountId, "partial_fill", { ...order, status: "partially_filled", filled_qty: "4", filled_avg_price: "100" }, "2026-03-02T15:00:02Z");
    const fill = tradeEvent(accountId, "fill", { ...order, status: "filled", filled_qty: "10", filled_avg_price: "100" }, "2026-03-02T15:00:03Z");
    for (const ev of [partial, partial, fill, fill]) await applyEvent(deps, ev);
    const rejected = brokerOrder();
    await applyEvent(deps, tradeEvent(accountId, "rejected", { ...rejected, status: "rejected" }, "2026-03-02T15:00:03Z"));
    const canceled = brokerOrder();
    await applyEvent(deps, tradeEvent(accountId, "canceled", { ...canceled, status: "canceled" }, "2026-03-02T15:00:03Z"));
    const asked = brokerOrder();
    await applyEvent(deps, tradeEvent(accountId, "new", asked, "2026-03-02T15:00:01Z"));
    await deps.stores.orders.cancelAsked(sub, asked.id);
    await applyEvent(deps, tradeEvent(accountId, "canceled", { ...asked, status: "canceled" }, "2026-03-02T15:00:03Z"));
    expect(told.map(({ notice }) => [notice.kind, "symbol" in notice ? notice.filledQty : null])).toEqual([
      ["order_partially_filled", "4"],
      ["order_filled", "10"],
      ["order_rejected", "0"],
      ["order_canceled", "0"],
    ]);
  });
});
