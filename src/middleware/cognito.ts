import { createMiddleware } from "hono/factory";
import { challengeSeal, type ChallengeSeal } from "../auth/challenge-session";
import { openUserPool, type UserPool } from "../cognito/user-pool";
import type { Config } from "../config";
import { Failure } from "../failures";
import { keptFor } from "../isolate";
import { openSes, type Ses } from "../ses/client";
import type { RequestScope, UpstreamCall } from "../upstream";
import type { ConfigVariables } from "./config";
import type { AddressLimitVariables } from "./rate-limit";

export interface CognitoVariables {
  config: Config;
  /** The user pool bound to this request: its time budget, its call log, and its rate-limit verdict. */
  cognito: UserPool;
  /** The request's time budget, call log and clearance, for every upstream client it uses. */
  upstreamScope: RequestScope;
  /** SES for the security notices, in the same scope; undefined without SES_FROM_ADDRESS. */
  ses: Ses | undefined;
  upstreamCalls: UpstreamCall[];
  /** Seals the log-in's TOTP challenge session to its email (auth/challenge-session.ts). */
  challengeSeal: ChallengeSeal;
}

/** One per config, so per isolate: the HMAC key is derived once. */
function sealOf(config: Config): ChallengeSeal {
  return challengeSeal(config.awsCredentials.secretAccessKey);
}

/** Gives routes the config, the request's user pool and SES, or a 503 naming the variables to fix (never their values). */
export const withCognito = createMiddleware<{ Variables: CognitoVariables & ConfigVariables & AddressLimitVariables }>(async (c, next) => {
  const result = c.get("configResult");
  if (!result.ok) throw new Failure("not_configured", { detail: notConfiguredDetail(result.invalid, result.placeholders), headers: { "retry-after": "60" } });
  const scope: RequestScope = {
    budgetEndsAt: Date.now() + result.config.requestBudgetMs,
    calls: [],
    // No upstream call before the address's rate-limit verdict: an address over its limit costs Cognito nothing.
    clearance: c.get("addressCheck"),
  };
  c.set("config", result.config);
  c.set("cognito", openUserPool(result.config, scope));
  c.set("upstreamScope", scope);
  c.set("ses", openSes(result.config, scope));
  c.set("upstreamCalls", scope.calls);
  c.set("challengeSeal", keptFor(result.config, sealOf));
  await next();
});

/**
 * Names the variables to set, and those still holding an example value from .dev.vars.example
 * (`placeholders`, a subset of `invalid`); never a value.
 */
export function notConfiguredDetail(invalid: string[], placeholders: string[]): string {
  const unset = invalid.filter((name) => !placeholders.includes(name));
  const reasons = [
    ...(unset.length ? [`set ${unset.join(", ")}`] : []),
    ...(placeholders.length
      ? [`${placeholders.join(", ")} still ${placeholders.length === 1 ? "has the example value" : "have the example values"} from .dev.vars.example`]
      : []),
  ];
  return `The service is not configured: ${reasons.join("; ")}.`;
}
