import type { UpstreamContext } from "./cognito/client";
import type { UserPool } from "./cognito/user-pool";
import type { Config } from "./config";

/** The Hono environment every router shares: bindings from wrangler, variables set by middleware. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    pool: UserPool;
    upstream: UpstreamContext;
  };
}
