import { createMiddleware } from "hono/factory";
import { loadConfig, type ConfigResult } from "../config";

export interface ConfigVariables {
  /** Parsed once per isolate; routes under /platform need it to be `ok` (see withCognito). */
  configResult: ConfigResult;
}

export const readConfig = createMiddleware<{ Bindings: Env; Variables: ConfigVariables }>(async (c, next) => {
  c.set("configResult", loadConfig(c.env));
  await next();
});
