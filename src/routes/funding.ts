import type { Context, TypedResponse } from "hono";
import { createMiddleware } from "hono/factory";
import { Hono } from "hono/tiny";
import { routePath } from "hono/route";
import { keptFor } from "../isolate";
import { withBroker } from "../middleware/broker";
import { requireIdempotencyKey, withMoney, type MoneyVariables } from "../middleware/money";
import { actionCounter, limit } from "../middleware/rate-limit";
import { requireAuth, type AuthVariables } from "../middleware/require-auth";
import { validJson, validJsonBy, validQuery } from "../middleware/validate";
import type { BrokerVariables } from "../middleware/broker";
import type { FundingConfig } from "../config";
import { bankLinkSchemaFor, CursorQuery, MoneyStepUp, OrderListQuery, OrderRequest, transferRequest } from "../schemas/funding";
import { activity, auditRefusal, type Actor, type AuditAction } from "../services/audit";
import { bankLinks, cancelTransfer, createBankLink, createTransfer, deleteBankLink, plaidLinkToken, transfer, transfers, type Created, type MoneyDesk } from "../services/funding";
import { fingerprint, fingerprintKey, IdempotencyKeys, type KeyUse } from "../services/idempotency";
import { cancelOrder, closePosition, order, orders, placeOrder, positions } from "../services/trading";
import type { PlatformEnv } from "./env";
import { requireVerifiedEmail } from "./guards";
import { stepUp } from "./step-up";

type MoneyEnv = PlatformEnv & { Variables: AuthVariables & BrokerVariables & MoneyVariables };
type MoneyContext = Context<MoneyEnv>;

/** The signed-in user of a request, as the audit trail names them. */
const actor = (c: MoneyContext): Actor => ({ sub: c.get("user").sub, requestId: c.get("requestId"), correlationId: c.get("correlationId") });

function desk(c: MoneyContext): MoneyDesk {
  const db = c.get("db");
  return {
    db,
    accounts: c.get("broker"),
    funding: c.get("funding"),
    trading: c.get("trading"),
    plaid: c.get("plaid"),
    keys: new IdempotencyKeys(db, Date.now, c.get("config").requestBudgetMs),
    now: Date.now,
    allow: actionCounter(c.env, c.get("user").sub),
    cleared: c.get("addressCheck"),
  };
}

/** One fingerprint key per isolate, from the Broker API secret (services/idempotency.ts). */
const fingerprintKeyOf = (config: MoneyVariables["brokerConfig"]) => fingerprintKey(config.secret);

/**
 * This request's use of its Idempotency-Key: the user's, fingerprinted by the route and the body
 * without the step up (a retry with a corrected code is the same request).
 */
async function keyUse(c: MoneyContext, body: object): Promise<KeyUse> {
  const { password: _, code: __, ...request } = body as Record<string, unknown>;
  const hash = await fingerprint(await keptFor(c.get("brokerConfig"), fingerprintKeyOf), `${c.req.method} ${routePath(c, -1)}`, request);
  return { sub: c.get("user").sub, key: c.get("idempotencyKey"), hash, holder: c.get("requestId") };
}

/**
 * The stored answer's exact bytes: a replay differs from the first answer in its X-Request-Id and its
 * Idempotency-Replayed: true. c.body keeps the bytes (c.json would serialize again); it cannot know
 * they are a `V`'s JSON, so the answer is typed as that JSON here, for hc<AppType>.
 */
const created = <V>(c: MoneyContext, answer: Created<V>) =>
  c.body(answer.body, 201, { "content-type": "application/json", ...(answer.replayed ? { "idempotency-replayed": "true" } : {}) }) as Response as Response & TypedResponse<V, 201, "json">;

/**
 * Reads and bank links: the brokerage counter, per user and route. Transfers, orders, their cancels
 * and closing a position are counted by their flows instead (desk `allow`), per user and action.
 */
const perUser = (route: string) => limit<MoneyEnv>({ counter: "BROKERAGE_RATE_LIMITER", key: (c) => `${route}|${c.get("user").sub}`, detail: "Too many requests for this account; retry later." });

/** A transfer's body, with MAX_TRANSFER_AMOUNT: one schema per settings object, so per isolate. */
const transferSchemaOf = (config: FundingConfig) => transferRequest(config.maxTransferAmount);

/**
 * Writes the audit row of a request refused before its flow ran (a body, a key, a missing setting):
 * every request of these routes has its row, once. Not for an address over its limit: that request
 * is answered 429 whatever the route said, and a 429 writes no row.
 */
function recordRefusals(action: AuditAction) {
  return createMiddleware<MoneyEnv>(async (c, next) => {
    await next();
    if (!c.error) return;
    const cleared = await c.get("addressCheck").then(
      () => true,
      () => false,
    );
    if (cleared) await auditRefusal(c.get("db"), actor(c), action, c.error, { idempotencyKey: c.get("idempotencyKey") });
  });
}

/** What every money route runs first: D1 and the Broker API, the user, then its audit row for refusals. */
const money = (action: AuditAction) => [withBroker, withMoney, requireAuth, recordRefusals(action)] as const;

/**
 * Bank links, transfers, orders and positions of the signed-in user's own brokerage account, and
 * the user's activity. No route takes an account id; every id in a path is looked up under the
 * user's account, so another account's id answers as an unknown one.
 */
export const fundingRoutes = new Hono<MoneyEnv>()
  .post("/accounts/me/bank-links", ...money("bank_link.create"), perUser("bank_link.create"), requireVerifiedEmail, requireIdempotencyKey, validJsonBy<MoneyEnv, ReturnType<typeof bankLinkSchemaFor>>((_, body) => bankLinkSchemaFor(body)), async (c) => {
    const request = c.req.valid("json");
    return created(c, await createBankLink(desk(c), actor(c), await keyUse(c, request), request));
  })
  .get("/accounts/me/bank-links", ...money("bank_link.list"), perUser("bank_link.list"), async (c) => {
    return c.json({ bank_links: await bankLinks(desk(c), actor(c)) }, 200);
  })
  .delete("/accounts/me/bank-links/:id", ...money("bank_link.delete"), perUser("bank_link.delete"), validJson(MoneyStepUp), async (c) => {
    await deleteBankLink(desk(c), actor(c), c.req.param("id"), stepUp(c, c.req.valid("json")));
    return c.body(null, 204);
  })
  .post("/plaid/link-token", ...money("plaid.link_token"), perUser("plaid.link_token"), async (c) => {
    return c.json(await plaidLinkToken(desk(c), actor(c)), 200);
  })
  .post("/accounts/me/transfers", ...money("transfer.create"), requireVerifiedEmail, requireIdempotencyKey, validJsonBy<MoneyEnv, ReturnType<typeof transferRequest>>((c) => keptFor(c.get("fundingConfig"), transferSchemaOf)), async (c) => {
    const request = c.req.valid("json");
    const { password, code, ...transfer } = request;
    return created(c, await createTransfer(desk(c), actor(c), await keyUse(c, request), transfer, stepUp(c, { password, code })));
  })
  .get("/accounts/me/transfers", ...money("transfer.list"), perUser("transfer.list"), validQuery(CursorQuery), async (c) => {
    const page = await transfers(desk(c), actor(c), c.req.valid("query").cursor);
    return c.json({ transfers: page.items, next_cursor: page.next_cursor }, 200);
  })
  .get("/accounts/me/transfers/:id", ...money("transfer.read"), perUser("transfer.read"), async (c) => {
    return c.json(await transfer(desk(c), actor(c), c.req.param("id")), 200);
  })
  .delete("/accounts/me/transfers/:id", ...money("transfer.cancel"), async (c) => {
    await cancelTransfer(desk(c), actor(c), c.req.param("id"));
    return c.body(null, 204);
  })
  .post("/accounts/me/orders", ...money("order.create"), requireVerifiedEmail, requireIdempotencyKey, validJson(OrderRequest), async (c) => {
    const request = c.req.valid("json");
    return created(c, await placeOrder(desk(c), actor(c), await keyUse(c, request), request));
  })
  .get("/accounts/me/orders", ...money("order.list"), perUser("order.list"), validQuery(OrderListQuery), async (c) => {
    const { status = "open", cursor } = c.req.valid("query");
    const page = await orders(desk(c), actor(c), status, cursor);
    return c.json({ orders: page.items, next_cursor: page.next_cursor }, 200);
  })
  .get("/accounts/me/orders/:id", ...money("order.read"), perUser("order.read"), async (c) => {
    return c.json(await order(desk(c), actor(c), c.req.param("id")), 200);
  })
  .delete("/accounts/me/orders/:id", ...money("order.cancel"), async (c) => {
    await cancelOrder(desk(c), actor(c), c.req.param("id"));
    return c.body(null, 204);
  })
  .get("/accounts/me/positions", ...money("position.list"), perUser("position.list"), async (c) => {
    return c.json({ positions: await positions(desk(c), actor(c)) }, 200);
  })
  .delete("/accounts/me/positions/:symbol", ...money("position.close"), requireVerifiedEmail, async (c) => {
    const symbol = c.req.param("symbol").toUpperCase();
    return c.json(await closePosition(desk(c), actor(c), symbol), 200);
  })
  .get("/accounts/me/activity", withBroker, requireAuth, perUser("activity"), validQuery(CursorQuery), async (c) => {
    const page = await activity(c.get("db"), actor(c), c.req.valid("query").cursor);
    return c.json({ events: page.items, next_cursor: page.next_cursor }, 200);
  });
