import { createMiddleware } from "hono/factory";
import type { BrokerAccounts } from "../broker/accounts";
import type { BrokerFunding } from "../broker/funding";
import type { BrokerTrading } from "../broker/trading";
import type { Deps } from "../deps";
import type { Stores } from "../stores";
import type { SignedInUser } from "../auth/signed-in-user";
import { actionCounter } from "../limits";
import { clientAddress } from "./rate-limit";
import type { CognitoVariables } from "./cognito";
import type { ConfigVariables } from "./config";

export interface BrokerVariables {
  /** The Broker API bound to this request: its budget, call log and clearance. */
  brokerAccounts: BrokerAccounts;
  /** Its funding and trading calls, on the same client (closing reads what an account holds). */
  funding: BrokerFunding;
  trading: BrokerTrading;
  /** The brokerage's records (D1). */
  stores: Stores;
  /** What the request's flows run with (root.ts flowDeps). */
  deps: Deps;
}

/**
 * For the brokerage routes (after withCognito): a 503 naming the Broker API settings or the D1
 * binding to set when one is missing (never a value). Checked here, not with the Cognito settings,
 * so that a deployment without a Broker API key serves everything else.
 */
export const withBroker = createMiddleware<{ Bindings: Env; Variables: BrokerVariables & CognitoVariables & ConfigVariables }>(async (c, next) => {
  const root = c.get("root");
  const { stores } = root.brokerage();
  const broker = c.get("clients").broker;
  // The user's count of an action, and their step up: requireAuth, after this, has set the user by the time a flow asks.
  const user = () => (c.get as (name: "user") => SignedInUser)("user");
  c.set(
    "deps",
    root.flowDeps(c.get("upstreamScope"), {
      allow: (action) => actionCounter(c.env, user().sub)(action),
      stepUp: (proof) => root.stepUp({ pool: c.get("cognito"), user: user(), address: clientAddress(c) }, proof),
    }),
  );
  c.set("brokerAccounts", broker.accounts);
  c.set("funding", broker.funding);
  c.set("trading", broker.trading);
  c.set("stores", stores);
  await next();
});
