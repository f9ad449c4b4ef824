import { createMiddleware } from "hono/factory";
import type { RequestScope, UpstreamCall } from "../cognito/client";
import { openUserPool, type UserPool } from "../cognito/user-pool";
import type { Config } from "../config";
import { problem } from "../problems";
import type { ConfigVariables } from "./config";
import type { AddressLimitVariables } from "./rate-limit";

export interface CognitoVariables {
  config: Config;
  /** The user pool bound to this request: its time budget, its call log, and its rate-limit verdict. */
  cognito: UserPool;
  upstreamCalls: UpstreamCall[];
}

/** Gives routes the config and the request's user pool, or a 503 naming the variables to fix (never their values). */
export const withCognito = createMiddleware<{ Variables: CognitoVariables & ConfigVariables & AddressLimitVariables }>(async (c, next) => {
  const result = c.var.configResult;
  if (!result.ok) {
    throw problem("not_configured", {
      detail: `The service is not configured: set ${result.invalid.join(", ")}.`,
      headers: { "retry-after": "60" },
    });
  }
  const scope: RequestScope = {
    deadline: AbortSignal.timeout(result.config.requestBudgetMs),
    calls: [],
    // No upstream call before the address's rate-limit verdict: an address over its limit costs Cognito nothing.
    clearance: c.var.addressCheck,
  };
  c.set("config", result.config);
  c.set("cognito", openUserPool(result.config, scope));
  c.set("upstreamCalls", scope.calls);
  await next();
});
