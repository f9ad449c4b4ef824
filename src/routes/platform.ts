import { Hono } from "hono";
import { noStore } from "../middleware/no-store";
import { withUserPool } from "../middleware/user-pool";
import type { AppEnv } from "../types";
import { credentials } from "./credentials";
import { recovery } from "./recovery";

/** Everything under /platform talks to Cognito and may carry tokens: configured pool, never cached. */
export const platform = new Hono<AppEnv>()
  .use(noStore, withUserPool)
  .route("/", credentials)
  .route("/", recovery);
