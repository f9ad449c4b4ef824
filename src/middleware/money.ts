import { createMiddleware } from "hono/factory";
import type { FundingConfig } from "../config";
import { Failure } from "../failures";
import type { BrokerVariables } from "./broker";
import { readsHeaders } from "./client-headers";
import type { CognitoVariables } from "./cognito";
import type { ConfigVariables } from "./config";

export interface MoneyVariables {
  fundingConfig: FundingConfig;
  /** The request's Idempotency-Key (after requireIdempotencyKey). */
  idempotencyKey: string;
}

/**
 * For the funding and trading routes (after withBroker, which binds the Broker API's calls and Plaid):
 * the limits of MAX_TRANSFER_AMOUNT (a 503 naming it when it is not an amount).
 */
export const withMoney = createMiddleware<{ Bindings: Env; Variables: MoneyVariables & BrokerVariables & CognitoVariables & ConfigVariables }>(async (c, next) => {
  c.set("fundingConfig", c.get("root").funding());
  await next();
});

/** The printable ASCII an Idempotency-Key may hold: a UUID, or any client's own token of up to 255 characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Every POST that moves money or creates something: 400 idempotency_key_required without a usable key.
 * Declared as the route's header input, so that hc<AppType> asks for it: `{ header: { "idempotency-key": key } }`.
 */
export const requireIdempotencyKey = createMiddleware<{ Variables: Pick<MoneyVariables, "idempotencyKey"> }, string, { in: { header: { "idempotency-key": string } } }>(async (c, next) => {
  const key = c.req.header("idempotency-key");
  if (key === undefined || !IDEMPOTENCY_KEY.test(key)) throw new Failure("idempotency_key_required");
  c.set("idempotencyKey", key);
  await next();
});
readsHeaders(requireIdempotencyKey, "idempotency-key");
