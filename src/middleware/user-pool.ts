import type { MiddlewareHandler } from "hono";
import { userPoolFor } from "../cognito/user-pool";
import { loadConfig } from "../config";
import { Problem } from "../errors";
import type { AppEnv } from "../types";

/** Gives routes the config and the pool client, or a 503 naming the variables to fix (never their values). */
export const withUserPool: MiddlewareHandler<AppEnv> = async (c, next) => {
  const result = loadConfig(c.env);
  if (!result.ok) {
    throw new Problem(503, "not_configured", {
      detail: `The service is not configured: set ${result.invalid.join(", ")}.`,
      headers: { "retry-after": "60" },
    });
  }
  c.set("config", result.config);
  c.set("pool", userPoolFor(result.config));
  c.set("upstream", { deadline: AbortSignal.timeout(result.config.requestBudgetMs), calls: [] });
  await next();
};
