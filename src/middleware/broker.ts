import { createMiddleware } from "hono/factory";
import { BrokerAccounts } from "../broker/accounts";
import { BrokerClient } from "../broker/client";
import { BrokerFunding } from "../broker/funding";
import { BrokerTrading } from "../broker/trading";
import { loadBrokerConfig } from "../config";
import { Failure } from "../failures";
import type { RequestScope } from "../upstream";
import { notConfiguredDetail, type CognitoVariables } from "./cognito";

export interface BrokerVariables {
  /** The Broker API bound to this request: its budget, call log and clearance. */
  broker: BrokerAccounts;
  /** Its funding and trading calls, on the same client (closing reads what an account holds). */
  funding: BrokerFunding;
  trading: BrokerTrading;
  /** The brokerage's records (D1). */
  db: D1Database;
}

/**
 * For the brokerage routes (after withCognito): a 503 naming the Broker API settings or the D1
 * binding to set when one is missing (never a value). Checked here, not with the Cognito settings,
 * so that a deployment without a Broker API key serves everything else.
 */
export const withBroker = createMiddleware<{ Bindings: Env; Variables: BrokerVariables & CognitoVariables }>(async (c, next) => {
  const result = loadBrokerConfig(c.env);
  const db = (c.env as { DB?: D1Database }).DB;
  if (!result.ok || !db) {
    const invalid = [...(result.ok ? [] : result.invalid), ...(db ? [] : ["DB"])];
    throw new Failure("not_configured", { detail: notConfiguredDetail(invalid, result.ok ? [] : result.placeholders), headers: { "retry-after": "60" } });
  }
  const client = new BrokerClient(result.broker, c.get("upstreamScope"), c.get("config").upstreamTimeoutMs);
  c.set("broker", new BrokerAccounts(client));
  c.set("funding", new BrokerFunding(client));
  c.set("trading", new BrokerTrading(client));
  c.set("db", db);
  await next();
});

/**
 * The Broker API's account calls and D1 where the deployment has both, else undefined: for a route
 * outside the brokerage that keeps the Broker API in step (a verified email change), and that works
 * the same without it.
 */
export function brokerIfConfigured(env: Env, scope: RequestScope, timeoutMs: number): Pick<BrokerVariables, "broker" | "db"> | undefined {
  const result = loadBrokerConfig(env);
  const db = (env as { DB?: D1Database }).DB;
  if (!result.ok || !db) return undefined;
  return { db, broker: new BrokerAccounts(new BrokerClient(result.broker, scope, timeoutMs)) };
}
