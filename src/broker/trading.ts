// The Broker API's trading calls this API makes (orders, positions), and the parts of their answers
// it reads: amounts, quantities and prices as the Broker API's decimal strings.
import * as z from "zod/mini";
import { Decimal } from "../decimal";
import { pathId, read } from "./accounts";
import type { BrokerClient } from "./client";
import { pages } from "./pages";

/** An order as the Broker API takes it; `client_order_id` is ours (services/idempotency.ts). */
export interface NewOrder {
  symbol: string;
  side: "buy" | "sell";
  type: "market" | "limit" | "stop" | "stop_limit" | "trailing_stop";
  time_in_force: TimeInForce;
  qty?: string;
  notional?: string;
  limit_price?: string;
  stop_price?: string;
  trail_price?: string;
  trail_percent?: string;
  extended_hours?: boolean;
  client_order_id: string;
}

type TimeInForce = "day" | "gtc" | "ioc" | "fok" | "opg" | "cls";

/** A replace as the Broker API takes it (broker-api.md section 14): the changes, and our new client_order_id. */
export interface OrderChange {
  qty?: string;
  time_in_force?: TimeInForce;
  limit_price?: string;
  stop_price?: string;
  trail?: string;
  client_order_id: string;
}

/** An order as the Broker API answers it (this API's own is schemas/funding-responses.ts OrderResponse). */
const BrokerOrder = z.object({
  id: z.string().check(z.minLength(1)),
  client_order_id: z.string(),
  status: z.string(),
  symbol: z.string(),
  side: z.string(),
  type: z.string(),
  time_in_force: z.string(),
  qty: z.nullish(Decimal),
  notional: z.nullish(Decimal),
  filled_qty: z.nullish(Decimal),
  filled_avg_price: z.nullish(Decimal),
  limit_price: z.nullish(Decimal),
  stop_price: z.nullish(Decimal),
  trail_price: z.nullish(Decimal),
  trail_percent: z.nullish(Decimal),
  extended_hours: z.nullish(z.boolean()),
  created_at: z.string(),
  // What the list's `after`, `until` and order go by.
  submitted_at: z.nullish(z.string()),
  // Kept in D1 (issue 23): when it filled or was canceled, and the order it replaced or was replaced by.
  filled_at: z.nullish(z.string()),
  canceled_at: z.nullish(z.string()),
  replaces: z.nullish(z.string()),
  replaced_by: z.nullish(z.string()),
});

export { BrokerOrder as BrokerOrderSchema };

export type BrokerOrder = z.infer<typeof BrokerOrder>;

/** One order of a cancel-all: the HTTP status of its cancel (200 asked, 500 failed), and the order when given. */
const CancelOutcome = z.object({ id: z.string(), status: z.number() });
export type CancelOutcome = z.infer<typeof CancelOutcome>;

const BrokerPosition = z.object({
  symbol: z.string(),
  qty: Decimal,
  qty_available: z.optional(Decimal),
  side: z.string(),
  avg_entry_price: Decimal,
  market_value: z.nullish(Decimal),
  cost_basis: Decimal,
  unrealized_pl: z.nullish(Decimal),
  unrealized_plpc: z.nullish(Decimal),
  current_price: z.nullish(Decimal),
});

export type BrokerPosition = z.infer<typeof BrokerPosition>;

/** Which orders a list holds: the Broker API's `status` filter. */
export type OrderStatusFilter = "open" | "closed" | "all";

/** A symbol in a path: the ones the route accepts (schemas/funding.ts TickerSymbol), "/" encoded. */
const symbolPath = (symbol: string) => encodeURIComponent(symbol);

/** The trading calls of one account, bound to one request. */
export class BrokerTrading {
  readonly #client: BrokerClient;

  constructor(client: BrokerClient) {
    this.#client = client;
  }

  #orders(accountId: string) {
    return `/v1/trading/accounts/${pathId(accountId)}/orders`;
  }

  /** Never retried: a second order with its client_order_id would meet 422, and the first is found by it. */
  async placeOrder(accountId: string, order: NewOrder): Promise<BrokerOrder> {
    return read(BrokerOrder, await this.#client.call("CreateOrder", "POST", this.#orders(accountId), order), "CreateOrder");
  }

  async order(accountId: string, orderId: string): Promise<BrokerOrder> {
    return read(BrokerOrder, await this.#client.call("GetOrder", "GET", `${this.#orders(accountId)}/${pathId(orderId)}`), "GetOrder");
  }

  /** The order placed with `clientOrderId`, or a 404 BrokerError. */
  async orderByClientOrderId(accountId: string, clientOrderId: string): Promise<BrokerOrder> {
    const query = new URLSearchParams({ client_order_id: clientOrderId });
    return read(BrokerOrder, await this.#client.call("GetOrderByClientOrderId", "GET", `${this.#orders(accountId)}:by_client_order_id?${query}`), "GetOrderByClientOrderId");
  }

  /** Newest first, at most `limit` (500 at most), submitted before `until` and after `after` when given. */
  async orders(accountId: string, page: { status: OrderStatusFilter; limit: number; until?: string; after?: string }): Promise<BrokerOrder[]> {
    const query = new URLSearchParams({
      status: page.status,
      limit: String(page.limit),
      direction: "desc",
      ...(page.until ? { until: page.until } : {}),
      ...(page.after ? { after: page.after } : {}),
    });
    return read(z.array(BrokerOrder), await this.#client.call("ListOrders", "GET", `${this.#orders(accountId)}?${query}`), "ListOrders");
  }

  /**
   * Every order of the account with `status` (submitted after `after`, when given), newest first,
   * `pageSize` a page. The Broker API lists orders by the time they were submitted, and `until` takes
   * only those submitted before it (its reference of the list; broker-api.md section 4 names the
   * parameters): each page after the first asks `until` the last one's `submitted_at`, so another
   * order submitted at that very microsecond would be missed. A short page is the last; `maxPages`
   * bounds a reader that needs a bound.
   */
  allOrders(accountId: string, { status, after, pageSize = 500, maxPages }: { status: OrderStatusFilter; after?: string; pageSize?: number; maxPages?: number }): AsyncGenerator<BrokerOrder, void, undefined> {
    const page = async ({ until }: { until?: string }) => {
      const items = await this.orders(accountId, { status, limit: pageSize, until, after });
      const last = items.length < pageSize ? undefined : items.at(-1);
      return { items, next: last && { until: last.submitted_at ?? last.created_at } };
    };
    return pages({}, page, maxPages);
  }

  async cancelOrder(accountId: string, orderId: string): Promise<void> {
    await this.#client.call("CancelOrder", "DELETE", `${this.#orders(accountId)}/${pathId(orderId)}`);
  }

  /**
   * Replaces an open order: the answer is the new order (`replaces` the old one's id). Never retried:
   * a second replace would meet its client_order_id used, or the old order replaced already.
   */
  async replaceOrder(accountId: string, orderId: string, change: OrderChange): Promise<BrokerOrder> {
    return read(BrokerOrder, await this.#client.call("ReplaceOrder", "PATCH", `${this.#orders(accountId)}/${pathId(orderId)}`, change), "ReplaceOrder");
  }

  /** Asks to cancel every open order (207: each order's outcome). */
  async cancelAllOrders(accountId: string): Promise<CancelOutcome[]> {
    return read(z.array(CancelOutcome), (await this.#client.call("CancelAllOrders", "DELETE", this.#orders(accountId))) ?? [], "CancelAllOrders");
  }

  async positions(accountId: string): Promise<BrokerPosition[]> {
    return read(z.array(BrokerPosition), await this.#client.call("ListPositions", "GET", `/v1/trading/accounts/${pathId(accountId)}/positions`), "ListPositions");
  }

  /** Sells (or buys back) the whole position: the Broker API answers with the closing order. */
  async closePosition(accountId: string, symbol: string): Promise<BrokerOrder> {
    const answer = await this.#client.call("ClosePosition", "DELETE", `/v1/trading/accounts/${pathId(accountId)}/positions/${symbolPath(symbol)}`);
    return read(BrokerOrder, answer, "ClosePosition");
  }
}
