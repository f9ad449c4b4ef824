import type { PlatformVariables } from "../middleware/cognito";

/**
 * What every /platform route can read: the bindings, and the variables the platform middleware sets.
 * Read them with `c.get(name)`, typed the same: Hono's `c.var` builds a new object of every variable
 * on each access, a cost per read on the hot path.
 */
export interface PlatformEnv {
  Bindings: Env;
  Variables: PlatformVariables;
}
