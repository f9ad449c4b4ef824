import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { Deps } from "../deps";
import type { SignedInUser } from "../auth/signed-in-user";
import { actionCounter } from "../limits";
import type { CognitoVariables } from "./cognito";
import type { ConfigVariables } from "./config";

export interface BrokerVariables {
  /** What the request's brokerage and money flows run with (root.ts flowDeps). */
  deps: Deps;
}

type BrokerContext = Context<{ Bindings: Env; Variables: BrokerVariables & CognitoVariables & ConfigVariables }>;

/**
 * For the brokerage routes (after forPlatform): gives the request's flow `deps`, or a 503 naming the
 * Broker API settings or the D1 binding to set when one is missing (never a value). Checked here,
 * not with the Cognito settings, so that a deployment without a Broker API key serves everything else.
 */
export function giveBrokerDeps(c: BrokerContext): void {
  const root = c.get("root");
  // The request's step up and notices, as forPlatform made them for its login flows.
  const { stepUp, notify } = c.get("loginDeps");
  // The user's count of an action: the user is set (after this) by the time a flow asks.
  const user = () => (c.get as (name: "user") => SignedInUser)("user");
  // flowDeps throws the 503 naming what is missing.
  c.set("deps", root.flowDeps(c.get("upstreamScope"), { allow: (action) => actionCounter(c.env, user().sub)(action), stepUp, notify }));
}

/** giveBrokerDeps as a middleware, for a route that declares its rules by hand (the live stream, whose holder may come from a ticket). */
export const withBroker = createMiddleware<{ Bindings: Env; Variables: BrokerVariables & CognitoVariables & ConfigVariables }>(async (c, next) => {
  giveBrokerDeps(c);
  await next();
});
