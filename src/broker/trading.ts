// The Broker API's trading calls this API makes (orders, positions), and the parts of their answers
// it reads: amounts, quantities and prices as the Broker API's decimal strings.
import * as z from "zod/mini";
import { Decimal } from "../decimal";
import { pathId, read } from "./accounts";
import type { BrokerClient } from "./client";

/** An order as the Broker API takes it; `client_order_id` is ours (services/idempotency.ts). */
export interface NewOrder {
  symbol: string;
  side: "buy" | "sell";
  type: "market" | "limit" | "stop" | "stop_limit";
  time_in_force: "day" | "gtc" | "ioc" | "fok" | "opg" | "cls";
  qty?: string;
  notional?: string;
  limit_price?: string;
  stop_price?: string;
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
  created_at: z.string(),
});

export type BrokerOrder = z.infer<typeof BrokerOrder>;

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

  /** Newest first, at most `limit`, created before `until` when given. */
  async orders(accountId: string, page: { status: "open" | "closed" | "all"; limit: number; until?: string }): Promise<BrokerOrder[]> {
    const query = new URLSearchParams({ status: page.status, limit: String(page.limit), direction: "desc", ...(page.until ? { until: page.until } : {}) });
    return read(z.array(BrokerOrder), await this.#client.call("ListOrders", "GET", `${this.#orders(accountId)}?${query}`), "ListOrders");
  }

  async cancelOrder(accountId: string, orderId: string): Promise<void> {
    await this.#client.call("CancelOrder", "DELETE", `${this.#orders(accountId)}/${pathId(orderId)}`);
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
