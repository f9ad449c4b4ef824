import { Hono } from "hono/tiny";
import { forPlatform } from "../middleware/platform";
import { accountDataRoutes } from "./account-data";
import { assetRoutes } from "./assets";
import { loginRoutes } from "./login";
import { brokerageRoutes } from "./brokerage";
import { fundingRoutes } from "./funding";
import { liveEventRoutes } from "./live-events";
import { marketRoutes } from "./market";
import type { PlatformEnv } from "./env";
import { mfaRoutes } from "./mfa";
import { passwordRoutes } from "./password";
import { sessionRoutes } from "./session";
import { signUpRoutes } from "./sign-up";

/** Everything under /platform: rate limited per address, its clients, its body, never cached (middleware/platform.ts). */
export const platform = new Hono<PlatformEnv>()
  .use(forPlatform)
  .route("/", signUpRoutes)
  .route("/", sessionRoutes)
  .route("/", passwordRoutes)
  .route("/", mfaRoutes)
  .route("/", loginRoutes)
  .route("/", brokerageRoutes)
  .route("/", fundingRoutes)
  .route("/", liveEventRoutes)
  .route("/", marketRoutes)
  .route("/", accountDataRoutes)
  .route("/", assetRoutes);
