import { Hono } from "hono/tiny";
import { withCognito } from "../middleware/cognito";
import { jsonBody } from "../middleware/json-body";
import { noStore } from "../middleware/no-store";
import { limitPerAddress } from "../middleware/rate-limit";
import { loginRoutes } from "./login";
import { brokerageRoutes } from "./brokerage";
import { fundingRoutes } from "./funding";
import { marketRoutes } from "./market";
import type { PlatformEnv } from "./env";
import { mfaRoutes } from "./mfa";
import { passwordRoutes } from "./password";
import { sessionRoutes } from "./session";
import { signUpRoutes } from "./sign-up";

/**
 * Everything under /platform talks to Cognito and may carry tokens. In order: never cached; the
 * address's rate limit first, before the body is even read; a configured pool; then a JSON body of
 * at most 16 KiB.
 */
export const platform = new Hono<PlatformEnv>()
  .use(noStore, limitPerAddress, withCognito, jsonBody)
  .route("/", signUpRoutes)
  .route("/", sessionRoutes)
  .route("/", passwordRoutes)
  .route("/", mfaRoutes)
  .route("/", loginRoutes)
  .route("/", brokerageRoutes)
  .route("/", fundingRoutes)
  .route("/", marketRoutes);
