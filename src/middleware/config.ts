import { createMiddleware } from "hono/factory";
import type { ConfigResult } from "../config";
import type { Root } from "../deps";

export interface ConfigVariables {
  /** The isolate's dependencies (root.ts), built on its first request. */
  root: Root;
  /** Parsed once per isolate; routes under /platform need it to be `ok` (see withCognito). */
  configResult: ConfigResult;
}

/** The one middleware that hands a request the composition root (index.ts passes root.ts depsFrom). */
export const withRoot = (depsFrom: (env: Env) => Root) =>
  createMiddleware<{ Bindings: Env; Variables: ConfigVariables }>(async (c, next) => {
    const root = depsFrom(c.env);
    c.set("root", root);
    c.set("configResult", root.configResult);
    await next();
  });
