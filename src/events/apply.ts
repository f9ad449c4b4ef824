// Applying one Broker API event to D1 (issue 23, item 2): the event's row (the fields we use) and
// the change it makes, with its audit row and its number for the live stream, in ONE D1 batch. The
// event's row is inserted only if it is new and the object is still as it was read: a replay is a
// duplicate, and a write that raced it (the heal pass, a create) makes it read again. State only
// moves forward (events/lifecycle.ts). Events of accounts we do not hold are counted and skipped;
// unknown types and statuses are kept as sent, and nothing in an event's body can make this throw.
import type { Actor } from "../actor";
import { successRow, type AuditAction, type AuditDetails } from "../services/audit";
import { accountStatusOfRow, bankLinkOfRow, orderFields, orderOfRow, transferOfRow, type Fields } from "../services/ledger";
import { accountNotice, orderNotice, transferNotice, type EventNotice, type Tell } from "../services/event-notices";
import type { Stores } from "../stores";
import type { EventRow, VersionGuard } from "../stores/broker-events";
import type { BankLinkRow } from "../stores/bank-links";
import type { AccountStatusFields, OwnedAccountRow } from "../stores/brokerage-accounts";
import type { OrderRow } from "../stores/orders";
import type { TransferRow } from "../stores/transfers";
import type { LedgerRow } from "../stores/ledger-table";
import { accountMovesForward, BANK_LINK, movesForward, orderMovesForward, TRANSFER } from "./lifecycle";
import { AccountEvent, CORRECTIONS, FundingEvent, TradeEvent } from "./payloads";
import type { AppliedChange, ApplyResult, BrokerEvent, ChangeKind } from "./types";

/** What applying an event needs: D1, the clock, and the notices (root.ts eventDeps builds them, with no request). */
export interface EventDeps {
  stores: Stores;
  now: () => number;
  /** Tells the account's owner of a change (services/event-notices.ts); undefined: no notice is sent. */
  tell?: Tell;
}

/** A change to make, with what its audit row and live-stream message say. */
export interface Change {
  owner: Pick<OwnedAccountRow, "sub" | "broker_account_id">;
  kind: ChangeKind;
  objectId: string;
  /** The object's write, made only after the statement before it changed a row. */
  write: D1PreparedStatement;
  action: AuditAction;
  details: AuditDetails;
  body: unknown;
  notice?: EventNotice;
}

interface Plan {
  row: Omit<EventRow, "outcome" | "noticeOwed">;
  guard?: VersionGuard;
  change?: Change;
  notOurs?: boolean;
  /** Written whatever the outcome: D1 must fill the account's objects again (an event named one it did not hold). */
  alongside?: D1PreparedStatement;
}

/** How often a batch that lost a race with another write is planned again before the event is left to the heal pass. */
const ATTEMPTS = 3;

export async function applyEvent(deps: EventDeps, event: BrokerEvent): Promise<ApplyResult> {
  const { brokerEvents } = deps.stores;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const plan = await planOf(deps, event);
    const outcome = plan.notOurs ? "not_ours" : plan.change ? "applied" : "kept";
    const now = deps.now();
    const actor: Actor = { sub: plan.change?.owner.sub ?? "", source: "broker_event", id: event.id };
    const statements = [brokerEvents.insert({ ...plan.row, outcome, noticeOwed: plan.change?.notice !== undefined }, now, plan.guard)];
    if (plan.change) statements.push(...changeStatements(deps.stores, actor, plan.change, now));
    if (plan.alongside) statements.push(plan.alongside);
    const results = await brokerEvents.batch(statements);
    if (results[0]!.meta.changes === 1) {
      const changes = plan.change ? [appliedChange(plan.change, results[3]!)] : [];
      if (plan.change?.notice && (await brokerEvents.claimNotice(event.stream, event.id))) await deps.tell?.(plan.change.owner, plan.change.notice);
      return { outcome, changes };
    }
    if (await brokerEvents.seen(event.stream, event.id)) return { outcome: "duplicate", changes: [] };
  }
  throw new Error(`event ${event.stream}/${event.id}: its object kept changing while it was applied`);
}

/** The write, its audit row and its numbered change, each only if the one before changed a row. */
export function changeStatements(stores: Stores, actor: Actor, change: Change, now: number): D1PreparedStatement[] {
  return [
    change.write,
    successRow(stores.audit, actor, change.action, "ok", change.details, true),
    stores.brokerEvents.changeAfterChange(change.owner.sub, change.kind, change.objectId, now),
  ];
}

/** The change as the live stream gets it, numbered by the batch's last statement. */
export function appliedChange(change: Change, numbered: D1Result): AppliedChange {
  const seq = (numbered.results[0] as { seq?: number } | undefined)?.seq;
  if (seq === undefined) throw new Error("an applied change was not numbered");
  return { sub: change.owner.sub, seq, kind: change.kind, objectId: change.objectId, body: change.body };
}

async function planOf(deps: EventDeps, event: BrokerEvent): Promise<Plan> {
  const base: Base = { stream: event.stream, id: event.id, type: "", sub: null, objectId: null, status: null, at: null };
  const typeOf = (key: string) => {
    const value = (event.data as Record<string, unknown> | null)?.[key];
    return typeof value === "string" ? value : "unreadable";
  };
  switch (event.stream) {
    case "accounts": {
      const parsed = AccountEvent.safeParse(event.data);
      return parsed.success ? accountPlan(deps, base, parsed.data) : { row: { ...base, type: "account_status" } };
    }
    case "trades": {
      const parsed = TradeEvent.safeParse(event.data);
      return parsed.success ? tradePlan(deps, base, parsed.data) : { row: { ...base, type: typeOf("event") } };
    }
    case "funding": {
      const parsed = FundingEvent.safeParse(event.data);
      return parsed.success ? fundingPlan(deps, base, parsed.data) : { row: { ...base, type: typeOf("entity_type") } };
    }
    default:
      return { row: { ...base, type: "unknown_stream" } };
  }
}

type Base = Plan["row"];

/** The account we hold, or the plan of an event of one we do not. */
async function ownerOf(stores: Stores, accountId: string): Promise<OwnedAccountRow | null> {
  const row = await stores.accounts.rowOfBrokerAccount(accountId);
  return row?.broker_account_id ? (row as OwnedAccountRow) : null;
}

/** A row's fields, to write back with some of them changed. */
export function fieldsOf<Row extends LedgerRow>({ version: _, heard_at: __, ...fields }: Row): Fields<Row> {
  return fields as unknown as Fields<Row>;
}

async function tradePlan({ stores, now }: EventDeps, base: Base, data: TradeEvent): Promise<Plan> {
  const { order } = data;
  const at = data.at ?? data.timestamp ?? null;
  const row: Base = { ...base, type: data.event, objectId: order.id, status: order.status, at };
  const owner = await ownerOf(stores, data.account_id);
  if (!owner) return { row, notOurs: true };
  const held = await stores.orders.ofUser(owner.sub, order.id);
  const guard: VersionGuard = { table: "orders", sub: owner.sub, id: order.id, version: held?.version ?? null };
  const ours = { ...row, sub: owner.sub };
  const next = orderFields(owner.sub, order, at, held?.cancel_asked ?? 0);
  // A correction (trade_bust, trade_correct) is applied as sent; anything else only forward.
  const moves = held === null || (next.view !== held.view && (CORRECTIONS.has(data.event) || orderMovesForward({ ...held, at: held.event_at }, { ...next, at: next.event_at })));
  return moves ? { row: ours, guard, change: orderChange(stores, owner, held, next, now()) } : { row: ours, guard };
}

/** The order written as `next` says, from `held` (null: D1 did not hold it). */
export function orderChange(stores: Stores, owner: Change["owner"], held: OrderRow | null, next: Fields<OrderRow>, now: number): Change {
  const body = orderOfRow(next);
  return {
    owner,
    kind: "order",
    objectId: next.id,
    write: stores.orders.write(next, now, held?.version ?? null, true),
    action: "order.status",
    details: { objectId: next.id, symbol: body.symbol, side: body.side, orderType: body.type, qty: body.qty ?? undefined, amount: body.notional ?? undefined, status: next.status },
    body,
    notice: orderNotice(held, next),
  };
}

async function fundingPlan({ stores, now }: EventDeps, base: Base, data: FundingEvent): Promise<Plan> {
  const at = data.at ?? null;
  const row: Base = { ...base, type: data.entity_type, objectId: data.entity_id, status: data.status_to, at };
  const owner = await ownerOf(stores, data.account_id);
  if (!owner) return { row, notOurs: true };
  const ours = { ...row, sub: owner.sub };
  const to = { status: data.status_to, reason: data.reason ?? null, event_at: at };
  if (data.entity_type === "Transfer") {
    const held = await stores.transfers.ofUser(owner.sub, data.entity_id);
    if (!held) return { row: ours, alongside: stores.accounts.filled(owner.sub, "transfers", false) };
    const guard: VersionGuard = { table: "transfers", sub: owner.sub, id: held.id, version: held.version };
    if (!movesForward(TRANSFER, { status: held.status, at: held.event_at }, { status: to.status, at })) return { row: ours, guard };
    return { row: ours, guard, change: transferChange(stores, owner, held, to, now()) };
  }
  if (data.entity_type === "BankRelationship") {
    const held = await stores.bankLinks.ofUser(owner.sub, data.entity_id);
    if (!held) return { row: ours, alongside: stores.accounts.filled(owner.sub, "bank_links", false) };
    const guard: VersionGuard = { table: "bank_links", sub: owner.sub, id: held.id, version: held.version };
    if (!movesForward(BANK_LINK, { status: held.status, at: held.event_at }, { status: to.status, at })) return { row: ours, guard };
    return { row: ours, guard, change: bankLinkChange(stores, owner, held, to, now()) };
  }
  // Wire banks, funding wallets and entity types to come: kept as sent.
  return { row: ours };
}

export type StatusChange = { status: string; reason: string | null; event_at: string | null };

export function transferChange(stores: Stores, owner: Change["owner"], held: TransferRow, to: StatusChange, now: number): Change {
  const next = { ...fieldsOf(held), ...to };
  return {
    owner,
    kind: "transfer",
    objectId: held.id,
    write: stores.transfers.write(next, now, held.version, true),
    action: "transfer.status",
    details: { objectId: held.id, amount: held.amount, direction: held.direction, status: to.status },
    body: transferOfRow(next),
    notice: transferNotice(held, to.status),
  };
}

export function bankLinkChange(stores: Stores, owner: Change["owner"], held: BankLinkRow, to: StatusChange, now: number): Change {
  const next = { ...fieldsOf(held), ...to };
  return {
    owner,
    kind: "bank_link",
    objectId: held.id,
    write: stores.bankLinks.write(next, now, held.version, true),
    action: "bank_link.status",
    details: { objectId: held.id, bankLinkId: held.id, status: to.status },
    body: bankLinkOfRow(next),
  };
}

async function accountPlan({ stores, now }: EventDeps, base: Base, data: AccountEvent): Promise<Plan> {
  const at = data.at ?? null;
  const row: Base = { ...base, type: "account_status", objectId: data.account_id, status: data.status_to ?? null, at };
  const owner = await ownerOf(stores, data.account_id);
  if (!owner) return { row, notOurs: true };
  const ours = { ...row, sub: owner.sub };
  const guard: VersionGuard = { table: "brokerage_accounts", sub: owner.sub, version: owner.version };
  const flag = (change: { to?: boolean | null } | null | undefined, held: number | null) => (typeof change?.to === "boolean" ? Number(change.to) : held);
  const next = {
    status: data.status_to ?? owner.status,
    status_at: at,
    account_blocked: flag(data.account_blocked, owner.account_blocked),
    trading_blocked: flag(data.trading_blocked, owner.trading_blocked),
  };
  const same = next.status === owner.status && next.account_blocked === owner.account_blocked && next.trading_blocked === owner.trading_blocked;
  if (same || !accountMovesForward({ status: owner.status, at: owner.status_at }, { status: next.status, at })) return { row: ours, guard };
  return { row: ours, guard, change: accountChange(stores, owner, next, now()) };
}

export function accountChange(stores: Stores, owner: OwnedAccountRow, next: AccountStatusFields, now: number): Change {
  return {
    owner,
    kind: "account",
    objectId: owner.broker_account_id,
    write: stores.accounts.applyStatus(owner.sub, next, now, owner.version, true),
    action: "account.status",
    details: { objectId: owner.broker_account_id, status: next.status },
    body: accountStatusOfRow({ ...owner, ...next }),
    notice: accountNotice(owner.status, next.status),
  };
}
