import { createMiddleware } from "hono/factory";
import type { CognitoVariables } from "../middleware/cognito";
import type { AuthVariables } from "../middleware/require-auth";
import { ensureEmailVerified } from "../services/profile";

/**
 * For routes that move money: only a user who has proved they own the account's email gets through
 * (403 `email_not_verified` otherwise). Access tokens do not carry `email_verified`, so this asks
 * Cognito (GetUser), through the per-token cache of `me`: at most a minute stale in another isolate;
 * verifying the email forgets it in the isolate that verified. Goes after requireAuth. A route guard,
 * not a middleware: middleware never calls a service.
 */
export const requireVerifiedEmail = createMiddleware<{ Variables: AuthVariables & CognitoVariables }>(async (c, next) => {
  await ensureEmailVerified(c.get("loginDeps"), { user: c.get("user") });
  await next();
});
