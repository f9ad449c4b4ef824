import type { AccessLogVariables } from "../middleware/access-log";
import type { CognitoVariables } from "../middleware/cognito";
import type { ConfigVariables } from "../middleware/config";
import type { AddressLimitVariables } from "../middleware/rate-limit";

/**
 * What every /platform route can read: the bindings, and the variables the platform middleware sets.
 * Read them with `c.get(name)`, typed the same: Hono's `c.var` builds a new object of every variable
 * on each access, a cost per read on the hot path.
 */
export interface PlatformEnv {
  Bindings: Env;
  Variables: AccessLogVariables & ConfigVariables & AddressLimitVariables & CognitoVariables;
}
