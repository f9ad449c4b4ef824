import { createMiddleware } from "hono/factory";
import { problem } from "../problems";
import { contactOf } from "../services/profile";
import type { CognitoVariables } from "./cognito";
import type { AuthVariables } from "./require-auth";

/**
 * For routes that move money: only a user who has proved they own the account's email gets through
 * (403 `email_not_verified` otherwise). Access tokens do not carry `email_verified`, so this asks
 * Cognito (GetUser), through the per-token cache of `me`: at most a minute stale in another isolate;
 * verifying the email forgets it in the isolate that verified. Goes after requireAuth.
 */
export const requireVerifiedEmail = createMiddleware<{ Variables: AuthVariables & CognitoVariables }>(async (c, next) => {
  const contact = await contactOf(c.get("cognito"), c.get("session"), false);
  if (!contact.emailVerified) throw problem("email_not_verified");
  await next();
});
