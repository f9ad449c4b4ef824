import type { MiddlewareHandler } from "hono";
import { userPoolFor } from "../cognito/user-pool";
import { loadConfig } from "../config";
import { notConfigured } from "../errors";
import type { AppEnv } from "../types";

/** Gives routes the config and the pool client, or a 503 naming the variables to fix (never their values). */
export const withUserPool: MiddlewareHandler<AppEnv> = async (c, next) => {
  const result = loadConfig(c.env);
  if (!result.ok) throw notConfigured(result.invalid, result.placeholders);
  c.set("config", result.config);
  c.set("pool", userPoolFor(result.config));
  c.set("upstream", { deadline: AbortSignal.timeout(result.config.requestBudgetMs), calls: [] });
  await next();
};
