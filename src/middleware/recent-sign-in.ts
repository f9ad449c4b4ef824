import type { Context } from "hono";
import { Failure } from "../failures";
import type { AuthVariables } from "./require-auth";

/**
 * For a change that could take the account over without the password (moving its email, after which
 * a reset goes to the new address): only a token from a sign-in made in the last `maxAgeSeconds`
 * gets through, else 403 `recent_sign_in_required`. A token taken from a device, or kept alive by
 * refreshing, carries the `auth_time` of the sign-in that started its session, so it goes stale
 * here; the user signs in again (password, and TOTP when on) and retries. After authenticate.
 */
export function ensureRecentSignIn(c: Context<{ Variables: AuthVariables }>, maxAgeSeconds: number): void {
  const signedInAt = c.get("auth").auth_time;
  if (signedInAt === undefined || Date.now() / 1000 - signedInAt > maxAgeSeconds) {
    throw new Failure("recent_sign_in_required", { detail: `Sign in again (within ${maxAgeSeconds / 60} minutes) to make this change.` });
  }
}
