import { createMiddleware } from "hono/factory";
import type { ChallengeSeal } from "../auth/challenge-session";
import type { UserPool } from "../cognito/user-pool";
import type { Config } from "../config";
import type { Clients } from "../deps";
import type { Ses } from "../ses/client";
import type { RequestScope, UpstreamCall } from "../upstream";
import type { ConfigVariables } from "./config";
import type { AddressLimitVariables } from "./rate-limit";

export { notConfiguredDetail } from "../config";

export interface CognitoVariables {
  config: Config;
  /** The user pool bound to this request: its time budget, its call log, and its rate-limit verdict. */
  cognito: UserPool;
  /** The request's time budget, call log and clearance, for every upstream client it uses. */
  upstreamScope: RequestScope;
  /** This request's upstream clients (root.ts), each lent its scope: one Broker client per request. */
  clients: Clients;
  /** SES for the security notices, in the same scope; undefined without SES_FROM_ADDRESS. */
  ses: Ses | undefined;
  upstreamCalls: UpstreamCall[];
  /** Seals the log-in's TOTP challenge session to its email (auth/challenge-session.ts). */
  challengeSeal: ChallengeSeal;
}

/** Gives routes the config, the request's scope and clients, or a 503 naming the variables to fix (never their values). */
export const withCognito = createMiddleware<{ Variables: CognitoVariables & ConfigVariables & AddressLimitVariables }>(async (c, next) => {
  const root = c.get("root");
  // No upstream call before the address's rate-limit verdict: an address over its limit costs Cognito nothing.
  const scope = root.scope(c.get("addressCheck"));
  const clients = root.clients(scope);
  c.set("config", root.config());
  c.set("clients", clients);
  c.set("cognito", clients.cognito);
  c.set("upstreamScope", scope);
  c.set("ses", clients.ses);
  c.set("upstreamCalls", scope.calls);
  c.set("challengeSeal", root.keys.challengeSeal());
  await next();
});
