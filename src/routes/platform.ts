import { Hono } from "hono/tiny";
import { noStore } from "../middleware/no-store";
import { withUserPool } from "../middleware/user-pool";
import type { AppEnv } from "../types";
import { credentials } from "./credentials";
import { recovery } from "./recovery";
import { session } from "./session";

/** Everything under /platform talks to Cognito and may carry tokens: configured pool, never cached. */
export const platform = new Hono<AppEnv>()
  .use(noStore, withUserPool)
  .route("/", credentials)
  .route("/", session)
  .route("/", recovery);
