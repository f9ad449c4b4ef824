import type { Context, TypedResponse } from "hono";
import { Hono } from "hono/tiny";
import { routePath } from "hono/route";
import { keptFor } from "../isolate";
import type { MoneyVariables } from "../middleware/money";
import type { AuthVariables } from "../middleware/require-auth";
import { validJson, validJsonBy, validQuery } from "../middleware/validate";
import type { BrokerVariables } from "../middleware/broker";
import type { FundingConfig } from "../config";
import { bankLinkSchemaFor, CursorQuery, MoneyStepUp, OrderListQuery, OrderRequest, ReplaceOrderRequest, transferRequest } from "../schemas/funding";
import { activity } from "../services/audit";
import { requestActor } from "./actor";
import { bankLinks, cancelTransfer, createBankLink, createTransfer, deleteBankLink, plaidLinkToken, transfer, transfers, type Created, type Keyed } from "../services/funding";
import { cancelAllOrders, cancelOrder, closePosition, order, orders, placeOrder, positions, replaceOrder } from "../services/trading";
import type { PlatformEnv } from "./env";
import { flowDeps, rules } from "./rules";

/** `flowRan`: set when the handler hands the request to its flow, which writes the audit row from then on. */
type MoneyEnv = PlatformEnv & { Variables: AuthVariables & BrokerVariables & MoneyVariables & { flowRan?: boolean } };
type MoneyContext = Context<MoneyEnv>;

const actor = requestActor;
/** The dependencies of the request's one flow call: from here on the flow writes the request's audit row. */
const deps = flowDeps;

/** A create's input: the request's key, what it was (method and route: the key's fingerprint covers them) and its body. */
const keyed = <B>(c: MoneyContext, body: B): Keyed<B> => ({ key: c.get("idempotencyKey"), route: `${c.req.method} ${routePath(c, -1)}`, body });

/**
 * The stored answer's exact bytes: a replay differs from the first answer in its X-Request-Id and its
 * Idempotency-Replayed: true. c.body keeps the bytes (c.json would serialize again); it cannot know
 * they are a `V`'s JSON, so the answer is typed as that JSON here, for hc<AppType>.
 */
const created = <V, S extends 200 | 201 = 201>(c: MoneyContext, answer: Created<V>, status = 201 as S) =>
  c.body(answer.body, status, { "content-type": "application/json", ...(answer.replayed ? { "idempotency-replayed": "true" } : {}) }) as Response as Response & TypedResponse<V, S, "json">;

/** A transfer's body, with MAX_TRANSFER_AMOUNT: one schema per settings object, so per isolate. */
const transferSchemaOf = (config: FundingConfig) => transferRequest(config.maxTransferAmount);

/**
 * Bank links, transfers, orders and positions of the signed-in user's own brokerage account, and
 * the user's activity. No route takes an account id; every id in a path is looked up under the
 * user's account, so another account's id answers as an unknown one.
 */
export const fundingRoutes = new Hono<MoneyEnv>()
  .post("/accounts/me/bank-links", ...rules({ uses: "money", action: "bank_link.create", limit: { brokerage: "bank_link.create" }, verifiedEmail: true, idempotent: true }), validJsonBy<MoneyEnv, ReturnType<typeof bankLinkSchemaFor>>((_, body) => bankLinkSchemaFor(body)), async (c) => {
    const request = c.req.valid("json");
    return created(c, await createBankLink(deps(c), actor(c), keyed(c, request)));
  })
  .get("/accounts/me/bank-links", ...rules({ uses: "money", action: "bank_link.list", limit: { brokerage: "bank_link.list" } }), async (c) => {
    return c.json({ bank_links: await bankLinks(deps(c), actor(c)) }, 200);
  })
  .delete("/accounts/me/bank-links/:id", ...rules({ uses: "money", action: "bank_link.delete", limit: { brokerage: "bank_link.delete" } }), validJson(MoneyStepUp), async (c) => {
    await deleteBankLink(deps(c), actor(c), { id: c.req.param("id"), proof: c.req.valid("json") });
    return c.body(null, 204);
  })
  .post("/plaid/link-token", ...rules({ uses: "money", action: "plaid.link_token", limit: { brokerage: "plaid.link_token" } }), async (c) => {
    return c.json(await plaidLinkToken(deps(c), actor(c)), 200);
  })
  .post("/accounts/me/transfers", ...rules({ uses: "money", action: "transfer.create", limit: "flow", verifiedEmail: true, idempotent: true }), validJsonBy<MoneyEnv, ReturnType<typeof transferRequest>>((c) => keptFor(c.get("fundingConfig"), transferSchemaOf)), async (c) => {
    const request = c.req.valid("json");
    return created(c, await createTransfer(deps(c), actor(c), keyed(c, request)));
  })
  .get("/accounts/me/transfers", ...rules({ uses: "money", action: "transfer.list", limit: { brokerage: "transfer.list" } }), validQuery(CursorQuery), async (c) => {
    const page = await transfers(deps(c), actor(c), c.req.valid("query").cursor);
    return c.json({ transfers: page.items, next_cursor: page.next_cursor }, 200);
  })
  .get("/accounts/me/transfers/:id", ...rules({ uses: "money", action: "transfer.read", limit: { brokerage: "transfer.read" } }), async (c) => {
    return c.json(await transfer(deps(c), actor(c), c.req.param("id")), 200);
  })
  .delete("/accounts/me/transfers/:id", ...rules({ uses: "money", action: "transfer.cancel", limit: "flow" }), async (c) => {
    await cancelTransfer(deps(c), actor(c), c.req.param("id"));
    return c.body(null, 204);
  })
  .post("/accounts/me/orders", ...rules({ uses: "money", action: "order.create", limit: "flow", verifiedEmail: true, idempotent: true }), validJson(OrderRequest), async (c) => {
    const request = c.req.valid("json");
    return created(c, await placeOrder(deps(c), actor(c), keyed(c, request)));
  })
  .get("/accounts/me/orders", ...rules({ uses: "money", action: "order.list", limit: { brokerage: "order.list" } }), validQuery(OrderListQuery), async (c) => {
    const { status = "open", cursor } = c.req.valid("query");
    const page = await orders(deps(c), actor(c), { status, cursor });
    return c.json({ orders: page.items, next_cursor: page.next_cursor }, 200);
  })
  .delete("/accounts/me/orders", ...rules({ uses: "money", action: "order.cancel_all", limit: "flow" }), async (c) => {
    return c.json(await cancelAllOrders(deps(c), actor(c)), 200);
  })
  // A replace makes a new order (its own id): once per key, as a create; answered 200 as the Broker API does.
  .patch("/accounts/me/orders/:id", ...rules({ uses: "money", action: "order.replace", limit: "flow", verifiedEmail: true, idempotent: true }), validJson(ReplaceOrderRequest), async (c) => {
    const request = { order_id: c.req.param("id"), ...c.req.valid("json") };
    return created(c, await replaceOrder(deps(c), actor(c), keyed(c, request)), 200);
  })
  .get("/accounts/me/orders/:id", ...rules({ uses: "money", action: "order.read", limit: { brokerage: "order.read" } }), async (c) => {
    return c.json(await order(deps(c), actor(c), c.req.param("id")), 200);
  })
  .delete("/accounts/me/orders/:id", ...rules({ uses: "money", action: "order.cancel", limit: "flow" }), async (c) => {
    await cancelOrder(deps(c), actor(c), c.req.param("id"));
    return c.body(null, 204);
  })
  .get("/accounts/me/positions", ...rules({ uses: "money", action: "position.list", limit: { brokerage: "position.list" } }), async (c) => {
    return c.json({ positions: await positions(deps(c), actor(c)) }, 200);
  })
  .delete("/accounts/me/positions/:symbol", ...rules({ uses: "money", action: "position.close", limit: "flow", verifiedEmail: true }), async (c) => {
    const symbol = c.req.param("symbol").toUpperCase();
    return c.json(await closePosition(deps(c), actor(c), symbol), 200);
  })
  .get("/accounts/me/activity", ...rules({ uses: "broker", limit: { brokerage: "activity" } }), validQuery(CursorQuery), async (c) => {
    const page = await activity(c.get("deps"), actor(c), c.req.valid("query").cursor);
    return c.json({ events: page.items, next_cursor: page.next_cursor }, 200);
  });
