import type { AccessTokenClaims } from "./auth/verifier";
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
    /** The normalised email a credential route acts on: rate-limit key, and (masked) in the log. */
    email: string;
    /** Why the request failed, for the access log: problem code and its cause. */
    failure: Record<string, string>;
    /** Set by requireAuth: the verified access token's claims, and the token itself. */
    auth: AccessTokenClaims;
    accessToken: string;
  };
}
