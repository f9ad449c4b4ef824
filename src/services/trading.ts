// Orders and positions of the signed-in user's own brokerage account (see services/funding.ts for
// the account, ownership and idempotency rules). An order's client_order_id is derived from the user
// and the Idempotency-Key, so the Broker API's own uniqueness refuses a second order for one key.
import { BrokerError } from "../broker/errors";
import type { BrokerOrder, BrokerPosition } from "../broker/trading";
import { compareDecimals } from "../decimal";
import { Failure } from "../failures";
import type { Deps } from "../deps";
import type { OrderRequest, ReplaceOrderRequest } from "../schemas/funding";
import type { CancelAllResponse, OrderResponse, PositionResponse } from "../schemas/funding-responses";
import { checkOrderable } from "./assets";
import { audited, type Actor } from "./audit";
import { brokerMeaningOf, withBrokerFailures } from "./broker-errors";
import { activeAccount, createOnce, knownShape, objectIdOf, PAGE_SIZE, type Created, type Keyed, type Page } from "./funding";
import { clientOrderId } from "./idempotency";
import { orderFields, orderOfRow, orderRecord, orderView } from "./ledger";
import { ledgerAccount } from "./ledger-fill";

/** What an order's create (or replace) made: its view, and its D1 row (services/ledger.ts), written with the stored answer. */
const madeOrder = (deps: Deps, actor: Actor, order: BrokerOrder, recovered: boolean) => ({ view: orderView(order), recovered, record: orderRecord(deps.stores, actor.sub, order, deps.now()) });

/** The Broker API refused: 422 order_rejected, with its reason in our words where it gave one we know. */
function rejected(error: BrokerError): Failure {
  return new Failure("order_rejected", { ...(error.refusal ? { detail: `The broker rejected the order: ${error.refusal}` } : {}), cause: error });
}

const ORDER_REFUSED = { 400: rejected, 403: rejected, 404: rejected, 422: rejected } as const;

/**
 * The order placed with this client_order_id, or undefined (404). The key's client_order_id outlives
 * its 24 hours in D1: an order placed with it is this request's only if `isThisOne` says so, else the
 * key was used for another one.
 */
async function placedWith(deps: Deps, accountId: string, id: string, isThisOne: (placed: BrokerOrder) => boolean): Promise<BrokerOrder | undefined> {
  let placed: BrokerOrder;
  try {
    placed = await deps.broker.trading.orderByClientOrderId(accountId, id);
  } catch (error) {
    if (error instanceof BrokerError && error.httpStatus === 404) return undefined;
    throw brokerMeaningOf(error);
  }
  if (!isThisOne(placed)) throw new Failure("idempotency_key_reused");
  return placed;
}

function sameOrder(placed: BrokerOrder, request: OrderRequest): boolean {
  const sameAmount = (a: string | null | undefined, b: string | undefined) => (a == null || b === undefined ? (a == null) === (b === undefined) : compareDecimals(a, b) === 0);
  return (
    placed.symbol === request.symbol &&
    placed.side === request.side &&
    placed.type === request.type &&
    placed.time_in_force === request.time_in_force &&
    sameAmount(placed.qty, request.qty) &&
    sameAmount(placed.notional, request.notional)
  );
}

/**
 * Places the order once per key. A retry after an unknown outcome asks for the order by its
 * client_order_id first; a 422 from the create may be that id already used (the Broker API then
 * does not return the order), so it is looked up before the refusal is believed.
 */
export async function placeOrder(deps: Deps, actor: Actor, input: Keyed<OrderRequest>): Promise<Created<OrderResponse>> {
  const request = input.body;
  const details = { idempotencyKey: input.key, symbol: request.symbol, side: request.side, orderType: request.type, qty: request.qty, amount: request.notional };
  return createOnce(deps, actor, input, "order.create", details, async (accountId, hold, use) => {
    // What the asset list says the Broker API would refuse is refused before it is asked, and counts nothing.
    await checkOrderable(deps, actor, request);
    await deps.allow("order.create");
    const id = await clientOrderId(use.sub, use.key);
    const isThisOne = (placed: BrokerOrder) => sameOrder(placed, request);
    // An order found by its client_order_id is an earlier try's: recorded as "recovered".
    if (hold.kind === "resumed") {
      const placed = await placedWith(deps, accountId, id, isThisOne);
      if (placed) return madeOrder(deps, actor, placed, true);
    }
    try {
      return madeOrder(deps, actor, await deps.broker.trading.placeOrder(accountId, { ...request, client_order_id: id }), false);
    } catch (error) {
      if (!(error instanceof BrokerError && error.httpStatus === 422)) throw brokerMeaningOf(error, ORDER_REFUSED);
      const placed = await placedWith(deps, accountId, id, isThisOne);
      if (placed) return madeOrder(deps, actor, placed, true);
      throw rejected(error);
    }
  });
}

/**
 * Replaces an open order once per key (broker-api.md section 14): the answer is the new order, its
 * `replaces` the old one's id. Its client_order_id is derived from the user and the key, as a new
 * order's is: a retry after an unknown outcome, or a replace the Broker API refuses with 422 (that id
 * used, or the old order replaced already), first asks for the order by that id, and a replacement of
 * this order found is this request's ("recovered"). Two requests with one key hold it in turn
 * (services/idempotency.ts): one replacement.
 */
export async function replaceOrder(deps: Deps, actor: Actor, input: Keyed<ReplaceOrderRequest & { order_id: string }>): Promise<Created<OrderResponse>> {
  const { order_id: orderId, ...change } = input.body;
  const details = { idempotencyKey: input.key, qty: change.qty };
  return createOnce(deps, actor, input, "order.replace", details, async (accountId, hold, use) => {
    knownShape(orderId, "order_not_found");
    await deps.allow("order.replace");
    const id = await clientOrderId(use.sub, use.key);
    const isThisOne = (placed: BrokerOrder) => placed.replaces === orderId;
    if (hold.kind === "resumed") {
      const placed = await placedWith(deps, accountId, id, isThisOne);
      if (placed) return madeOrder(deps, actor, placed, true);
    }
    try {
      return madeOrder(deps, actor, await deps.broker.trading.replaceOrder(accountId, orderId, { ...change, client_order_id: id }), false);
    } catch (error) {
      if (!(error instanceof BrokerError && error.httpStatus === 422)) throw brokerMeaningOf(error, { ...ORDER_REFUSED, 404: "order_not_found" });
      const placed = await placedWith(deps, accountId, id, isThisOne);
      if (placed) return madeOrder(deps, actor, placed, true);
      throw rejected(error);
    }
  });
}

/** What a cancel-all asked: each open order's id and whether its cancel was accepted. */
export async function cancelAllOrders(deps: Deps, actor: Actor): Promise<CancelAllResponse> {
  return audited(deps.stores.audit, actor, "order.cancel_all", async () => {
    const accountId = await activeAccount(deps, actor.sub);
    await deps.allow("order.cancel");
    const outcomes = await withBrokerFailures(deps.broker.trading.cancelAllOrders(accountId));
    // Their cancellations, when they come, are the user's: no notice of them (as cancelOrder's).
    const asked = outcomes.filter(({ status }) => status >= 200 && status < 300).map(({ id }) => id);
    if (asked.length) await deps.stores.orders.cancelAsked(actor.sub, ...asked);
    return { orders: outcomes.map(({ id, status }) => ({ id, cancel: status >= 200 && status < 300 ? ("requested" as const) : ("failed" as const) })) };
  });
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Newest first; the cursor is the created_at of the last order of the page before. */
export async function orders(deps: Deps, actor: Actor, { status, cursor }: { status: "open" | "closed" | "all"; cursor: string | undefined }): Promise<Page<OrderResponse>> {
  return audited(deps.stores.audit, actor, "order.list", async () => {
    // Only a time as the list gives them out (RFC 3339): Date.parse also reads "1" or "2020", which the Broker API refuses (a 502).
    if (cursor !== undefined && !RFC3339.test(cursor)) throw new Failure("validation_failed", { errors: [{ field: "cursor", message: "cursor is not a cursor of this list" }] });
    await ledgerAccount(deps, actor.sub, "orders");
    const found = await deps.stores.orders.page(actor.sub, { status, before: cursor ?? null, limit: PAGE_SIZE + 1 });
    const items = found.slice(0, PAGE_SIZE).map(orderOfRow);
    return { items, next_cursor: found.length > PAGE_SIZE ? items.at(-1)!.created_at : null };
  });
}

export async function order(deps: Deps, actor: Actor, id: string): Promise<OrderResponse> {
  return audited(deps.stores.audit, actor, "order.read", async () => {
    await ledgerAccount(deps, actor.sub, "orders");
    const row = await deps.stores.orders.ofUser(actor.sub, knownShape(id, "order_not_found"));
    if (!row) throw new Failure("order_not_found");
    return orderOfRow(row);
  });
}

export async function cancelOrder(deps: Deps, actor: Actor, id: string): Promise<void> {
  return audited(
    deps.stores.audit,
    actor,
    "order.cancel",
    async () => {
      const accountId = await activeAccount(deps, actor.sub);
      knownShape(id, "order_not_found");
      await deps.allow("order.cancel");
      await withBrokerFailures(deps.broker.trading.cancelOrder(accountId, id), { 404: "order_not_found", 422: "order_not_cancellable" });
      // Its cancellation, when it comes, is the user's: no notice of it (services/event-notices.ts).
      await deps.stores.orders.cancelAsked(actor.sub, id);
    },
    objectIdOf(id),
  );
}

function positionView(position: BrokerPosition): PositionResponse {
  return {
    symbol: position.symbol,
    qty: position.qty,
    qty_available: position.qty_available ?? null,
    side: position.side,
    avg_entry_price: position.avg_entry_price,
    market_value: position.market_value ?? null,
    cost_basis: position.cost_basis,
    unrealized_pl: position.unrealized_pl ?? null,
    unrealized_plpc: position.unrealized_plpc ?? null,
    current_price: position.current_price ?? null,
  };
}

export async function positions(deps: Deps, actor: Actor): Promise<PositionResponse[]> {
  return audited(deps.stores.audit, actor, "position.list", async () => {
    const accountId = await activeAccount(deps, actor.sub);
    return (await withBrokerFailures(deps.broker.trading.positions(accountId))).map(positionView);
  });
}

/** A symbol as the Broker API lists them; anything else is no position of the account's. */
const TICKER = /^[A-Z][A-Z0-9./]{0,14}$/;

/** A trade like a sell, so token-only (docs/auth.md, "The step up": no step up for trading). */
export async function closePosition(deps: Deps, actor: Actor, symbol: string): Promise<OrderResponse> {
  return audited(
    deps.stores.audit,
    actor,
    "position.close",
    async () => {
      const accountId = await activeAccount(deps, actor.sub);
      if (!TICKER.test(symbol)) throw new Failure("position_not_found");
      await deps.allow("position.close");
      const order = await withBrokerFailures(deps.broker.trading.closePosition(accountId, symbol), { 404: "position_not_found", 403: rejected, 422: rejected });
      await deps.stores.orders.write(orderFields(actor.sub, order, null), deps.now(), null, false).run();
      return orderView(order);
    },
    // Only a symbol as the Broker API writes them: an audit row never keeps a client's free text.
    TICKER.test(symbol) ? { symbol } : {},
    (view) => ({ objectId: view.id, side: view.side, orderType: view.type, qty: view.qty ?? undefined, amount: view.notional ?? undefined }),
  );
}
