// Orders and positions of the signed-in user's own brokerage account (see services/funding.ts for
// the account, ownership and idempotency rules). An order's client_order_id is derived from the user
// and the Idempotency-Key, so the Broker API's own uniqueness refuses a second order for one key.
import { BrokerError } from "../broker/errors";
import type { BrokerOrder, BrokerPosition } from "../broker/trading";
import { compareDecimals } from "../decimal";
import { Failure } from "../failures";
import type { Deps } from "../deps";
import type { OrderRequest } from "../schemas/funding";
import type { OrderResponse, PositionResponse } from "../schemas/funding-responses";
import { audited, type Actor } from "./audit";
import { brokerMeaningOf, withBrokerFailures } from "./broker-errors";
import { activeAccount, createOnce, knownShape, objectIdOf, PAGE_SIZE, type Created, type Keyed, type Page } from "./funding";
import { clientOrderId } from "./idempotency";

/** The Broker's order as this API answers it: each field named, so that a field renamed on either side does not compile. */
export function orderView(order: BrokerOrder): OrderResponse {
  return {
    id: order.id,
    client_order_id: order.client_order_id,
    status: order.status,
    symbol: order.symbol,
    side: order.side,
    type: order.type,
    time_in_force: order.time_in_force,
    qty: order.qty ?? null,
    notional: order.notional ?? null,
    filled_qty: order.filled_qty ?? null,
    filled_avg_price: order.filled_avg_price ?? null,
    limit_price: order.limit_price ?? null,
    stop_price: order.stop_price ?? null,
    created_at: order.created_at,
  };
}

/** The Broker API refused: 422 order_rejected, with its reason in our words where it gave one we know. */
function rejected(error: BrokerError): Failure {
  return new Failure("order_rejected", { ...(error.refusal ? { detail: `The broker rejected the order: ${error.refusal}` } : {}), cause: error });
}

const ORDER_REFUSED = { 400: rejected, 403: rejected, 404: rejected, 422: rejected } as const;

/** The order placed with this client_order_id, or undefined (404). */
async function placedWith(deps: Deps, accountId: string, id: string, request: OrderRequest): Promise<BrokerOrder | undefined> {
  let placed: BrokerOrder;
  try {
    placed = await deps.broker.trading.orderByClientOrderId(accountId, id);
  } catch (error) {
    if (error instanceof BrokerError && error.httpStatus === 404) return undefined;
    throw brokerMeaningOf(error);
  }
  // The key's client_order_id outlives its 24 hours in D1: an order placed with it is this request's
  // only if it is the same order, else the key was used for another one.
  if (!sameOrder(placed, request)) throw new Failure("idempotency_key_reused");
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
    await deps.allow("order.create");
    const id = await clientOrderId(use.sub, use.key);
    // An order found by its client_order_id is an earlier try's: recorded as "recovered".
    if (hold.kind === "resumed") {
      const placed = await placedWith(deps, accountId, id, request);
      if (placed) return { view: orderView(placed), recovered: true };
    }
    try {
      return { view: orderView(await deps.broker.trading.placeOrder(accountId, { ...request, client_order_id: id })), recovered: false };
    } catch (error) {
      if (!(error instanceof BrokerError && error.httpStatus === 422)) throw brokerMeaningOf(error, ORDER_REFUSED);
      const placed = await placedWith(deps, accountId, id, request);
      if (placed) return { view: orderView(placed), recovered: true };
      throw rejected(error);
    }
  });
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

/** Newest first; the cursor is the created_at of the last order of the page before. */
export async function orders(deps: Deps, actor: Actor, { status, cursor }: { status: "open" | "closed" | "all"; cursor: string | undefined }): Promise<Page<OrderResponse>> {
  return audited(deps.stores.audit, actor, "order.list", async () => {
    // Only a time as the list gives them out (RFC 3339): Date.parse also reads "1" or "2020", which the Broker API refuses (a 502).
    if (cursor !== undefined && !RFC3339.test(cursor)) throw new Failure("validation_failed", { errors: [{ field: "cursor", message: "cursor is not a cursor of this list" }] });
    const accountId = await activeAccount(deps, actor.sub);
    const found = await withBrokerFailures(deps.broker.trading.orders(accountId, { status, limit: PAGE_SIZE + 1, until: cursor }));
    const items = found.slice(0, PAGE_SIZE).map(orderView);
    return { items, next_cursor: found.length > PAGE_SIZE ? items.at(-1)!.created_at : null };
  });
}

export async function order(deps: Deps, actor: Actor, id: string): Promise<OrderResponse> {
  return audited(deps.stores.audit, actor, "order.read", async () => {
    const accountId = await activeAccount(deps, actor.sub);
    return orderView(await withBrokerFailures(deps.broker.trading.order(accountId, knownShape(id, "order_not_found")), { 404: "order_not_found" }));
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

/** A trade like a sell, so token-only (README, "The step up": no step up for trading). */
export async function closePosition(deps: Deps, actor: Actor, symbol: string): Promise<OrderResponse> {
  return audited(
    deps.stores.audit,
    actor,
    "position.close",
    async () => {
      const accountId = await activeAccount(deps, actor.sub);
      if (!TICKER.test(symbol)) throw new Failure("position_not_found");
      await deps.allow("position.close");
      return orderView(await withBrokerFailures(deps.broker.trading.closePosition(accountId, symbol), { 404: "position_not_found", 403: rejected, 422: rejected }));
    },
    // Only a symbol as the Broker API writes them: an audit row never keeps a client's free text.
    TICKER.test(symbol) ? { symbol } : {},
    (view) => ({ objectId: view.id, side: view.side, orderType: view.type, qty: view.qty ?? undefined, amount: view.notional ?? undefined }),
  );
}
