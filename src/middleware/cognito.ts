import type { Context } from "hono";
import type { SignedInUser } from "../auth/signed-in-user";
import type { Config } from "../config";
import type { Clients, LoginDeps } from "../deps";
import { countPasswordGuess } from "../limits";
import type { RequestScope, UpstreamCall } from "../upstream";
import type { AccessLogVariables } from "./access-log";
import type { ConfigVariables } from "./config";
import { clientAddress, type AddressLimitVariables } from "./rate-limit";


export interface CognitoVariables {
  config: Config;
  /** The request's time budget, call log and clearance, for every upstream client it uses. */
  upstreamScope: RequestScope;
  /** This request's upstream clients (root.ts), each lent its scope: one Broker client per request. */
  clients: Clients;
  upstreamCalls: UpstreamCall[];
  /** What the request's login flows run with (root.ts loginDeps); the brokerage routes' declared rules (routes/rules.ts) give the money flows' Deps. */
  loginDeps: LoginDeps;
}

/** What every /platform route can read (the platform middleware sets it). */
export type PlatformVariables = AccessLogVariables & ConfigVariables & AddressLimitVariables & CognitoVariables;

/**
 * Gives routes the config, the request's scope, clients and flow dependencies, or a 503 naming the
 * variables to fix (never their values). What only the request knows goes into the dependencies here:
 * the user's step up (the route's rules, after this, have set the user by the time a flow asks), the
 * address a password guess is counted from, and where a security notice's outcome goes (the
 * request's log line, written once the send settles: middleware/access-log.ts).
 */
export function giveCognitoDeps(c: Context<{ Bindings: Env; Variables: PlatformVariables }>): void {
  const root = c.get("root");
  // No upstream call before the address's rate-limit verdict: an address over its limit costs Cognito nothing.
  const scope = root.scope(c.get("addressCheck"));
  const clients = root.clients(scope);
  const user = () => (c.get as (name: "user") => SignedInUser)("user");
  c.set("config", root.config());
  c.set("clients", clients);
  c.set("upstreamScope", scope);
  c.set("upstreamCalls", scope.calls);
  c.set(
    "loginDeps",
    root.loginDeps(scope, {
      stepUp: (proof) => root.stepUp({ pool: clients.cognito, user: user(), address: clientAddress(c) }, proof),
      notify: root.notifier(scope, c.req.header("cf-connecting-ip"), (outcome) => c.set("notice", outcome)),
      countPasswordGuess: (login) => countPasswordGuess(c.env, login, clientAddress(c)),
    }),
  );
}
