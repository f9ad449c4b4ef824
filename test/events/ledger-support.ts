// Applying events in the test isolate against the test's real D1: an account of our own, the
// deps applyEvent runs with (notices recorded, not sent), and the Broker's payloads.
import { env } from "cloudflare:workers";
import type { EventDeps } from "../../src/events/apply";
import type { BrokerEvent, EventStream } from "../../src/events/types";
import type { EventNotice } from "../../src/services/event-notices";
import { storesOf } from "../../src/stores";

/** A user with an account at the Broker, as D1 holds it after an opening. */
export async function heldAccount(status = "ACTIVE") {
  const sub = crypto.randomUUID();
  const accountId = crypto.randomUUID();
  const at = new Date().toISOString();
  await env.DB.prepare("INSERT INTO brokerage_accounts (sub, broker_account_id, account_number, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(sub, accountId, "900000001", status, at, at)
    .run();
  return { sub, accountId };
}

/** applyEvent's deps on the test database; `told` lists the notices sent. */
export function eventDeps(now: () => number = Date.now) {
  const told: { sub: string; notice: EventNotice }[] = [];
  const deps: EventDeps = {
    stores: storesOf(env.DB),
    now,
    tell: async (owner, notice) => {
      told.push({ sub: owner.sub, notice });
      return "sent";
    },
  };
  return { deps, told };
}

let counter = 0;
/** A ULID-like id, increasing within a test run. */
export const eventId = () => `01J${Date.now().toString(36).toUpperCase().padStart(10, "0")}${String(++counter).padStart(10, "0")}`;

export const event = (stream: EventStream, data: unknown, id = eventId()): BrokerEvent => ({ stream, id, data });

/** A Broker order as the trade stream sends it. */
export type OrderPayload = { id: string; client_order_id: string; created_at: string; [field: string]: unknown };

export function brokerOrder(overrides: Record<string, unknown> = {}): OrderPayload {
  return {
    id: crypto.randomUUID(),
    client_order_id: crypto.randomUUID(),
    created_at: "2026-03-02T15:00:00.000000Z",
    submitted_at: "2026-03-02T15:00:00.000000Z",
    filled_at: null,
    canceled_at: null,
    asset_id: "904837e3-3b76-47ec-b432-046db621571b",
    symbol: "AAPL",
    asset_class: "us_equity",
    notional: null,
    qty: "10",
    filled_qty: "0",
    filled_avg_price: null,
    order_class: "simple",
    type: "limit",
    side: "buy",
    time_in_force: "day",
    limit_price: "100",
    stop_price: null,
    status: "new",
    extended_hours: false,
    ...overrides,
  };
}

/** A trade event of `order`, at `at`. */
export const tradeEvent = (accountId: string, kind: string, order: OrderPayload, at: string, extra: Record<string, unknown> = {}) =>
  event("trades", { account_id: accountId, event: kind, event_id: undefined, at, timestamp: at, order, ...extra });

export const fundingEvent = (accountId: string, entityType: string, entityId: string, statusFrom: string, statusTo: string, at: string, reason: string | null = null) =>
  event("funding", { account_id: accountId, correspondent: "ABCD", entity_type: entityType, entity_id: entityId, status_from: statusFrom, status_to: statusTo, reason, at });

export const accountEvent = (accountId: string, data: Record<string, unknown>) => event("accounts", { account_id: accountId, account_number: "900000001", ...data });

/** The audit rows of `sub` written by events or the heal pass: source, action, request id, status. */
export async function ledgerAudit(sub: string) {
  const { results } = await env.DB.prepare("SELECT source, action, request_id, object_id, status FROM audit_events WHERE sub = ? AND source <> 'request' ORDER BY id").bind(sub).all();
  return results;
}
