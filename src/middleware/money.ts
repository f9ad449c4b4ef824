import { createMiddleware } from "hono/factory";
import { loadBrokerConfig, loadFundingConfig, loadPlaidConfig, type BrokerConfig, type FundingConfig } from "../config";
import { Failure } from "../failures";
import { openPlaid, type PlaidClient } from "../plaid/client";
import type { BrokerVariables } from "./broker";
import { readsHeaders } from "./client-headers";
import { notConfiguredDetail, type CognitoVariables } from "./cognito";

export interface MoneyVariables {
  /** Plaid bound to this request, or 503 not_configured naming its settings: only Plaid bank links need it. */
  plaid: () => PlaidClient;
  fundingConfig: FundingConfig;
  /** The Broker API's settings: one object per isolate, which the idempotency fingerprints' key is kept for. */
  brokerConfig: BrokerConfig;
  /** The request's Idempotency-Key (after requireIdempotencyKey). */
  idempotencyKey: string;
}

/**
 * For the funding and trading routes (after withBroker, which binds the Broker API's calls): Plaid when it
 * is configured, and the limits of MAX_TRANSFER_AMOUNT (a 503 naming it when it is not an amount).
 */
export const withMoney = createMiddleware<{ Bindings: Env; Variables: MoneyVariables & BrokerVariables & CognitoVariables }>(async (c, next) => {
  // withBroker, before this, answered a deployment without the Broker API's settings.
  const broker = loadBrokerConfig(c.env);
  const funding = loadFundingConfig(c.env);
  if (!broker.ok) throw new Failure("internal_error", { cause: new Error("withMoney runs after withBroker") });
  if (!funding.ok) throw new Failure("not_configured", { detail: notConfiguredDetail(funding.invalid, funding.placeholders), headers: { "retry-after": "60" } });
  const scope = c.get("upstreamScope");
  const timeoutMs = c.get("config").upstreamTimeoutMs;
  c.set("fundingConfig", funding.funding);
  c.set("brokerConfig", broker.broker);
  c.set("plaid", () => {
    const plaid = loadPlaidConfig(c.env);
    if (!plaid.ok) throw new Failure("not_configured", { detail: notConfiguredDetail(plaid.invalid, plaid.placeholders), headers: { "retry-after": "60" } });
    return openPlaid(plaid.plaid, scope, timeoutMs);
  });
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
