import { invalidToken } from "../auth/require-auth";
import type { UpstreamContext } from "../cognito/client";
import { isCognitoError, isLockout } from "../cognito/errors";
import { upstreamProblem } from "../cognito/problems";
import type { UserPool } from "../cognito/user-pool";
import { Problem } from "../errors";
import { refreshedTokens, type RefreshedTokens } from "./tokens";

const invalidRefreshToken = () =>
  new Problem(401, "invalid_refresh_token", { detail: "The refresh token is invalid, expired or revoked; sign in again." });

const revokedSession = () => invalidToken("The session has been revoked; sign in again.");

/** REFRESH_TOKEN_AUTH: new access and ID tokens for a refresh token that Cognito still honours. */
export async function refresh(pool: UserPool, ctx: UpstreamContext, refreshToken: string, sub: string | undefined): Promise<RefreshedTokens> {
  try {
    return refreshedTokens(await pool.refreshAuth(ctx, refreshToken, sub));
  } catch (error) {
    throw upstreamProblem(error, { NotAuthorizedException: invalidRefreshToken, UserNotFoundException: invalidRefreshToken });
  }
}

/**
 * Signs the user out everywhere: RevokeToken for the given refresh token (when sent), then
 * GlobalSignOut, after which no refresh token of the user works. A session Cognito already
 * revoked counts as signed out.
 */
export async function logout(pool: UserPool, ctx: UpstreamContext, accessToken: string, refreshToken: string | undefined): Promise<void> {
  try {
    if (refreshToken) await pool.revokeToken(ctx, refreshToken);
    await pool.globalSignOut(ctx, accessToken);
  } catch (error) {
    if (isCognitoError(error, "NotAuthorizedException") && !isLockout(error)) return;
    throw upstreamProblem(error);
  }
}

export interface Contact {
  email: string | null;
  emailVerified: boolean;
}

const CONTACT_TTL_MS = 60_000;
const CONTACT_CACHE_MAX = 10_000;

/** Per-isolate cache of GetUser answers, by user: repeated `me` calls within a minute make no upstream call. */
const contacts = new Map<string, { contact: Contact; expiresAt: number }>();

/** Email and email_verified, which Cognito's access tokens do not carry, from GetUser. */
export async function contactOf(pool: UserPool, ctx: UpstreamContext, sub: string, accessToken: string, fresh: boolean): Promise<Contact> {
  const cached = contacts.get(sub);
  if (cached && !fresh && cached.expiresAt > Date.now()) return cached.contact;

  let user;
  try {
    user = await pool.getUser(ctx, accessToken);
  } catch (error) {
    contacts.delete(sub);
    throw upstreamProblem(error, { NotAuthorizedException: revokedSession, UserNotFoundException: revokedSession });
  }
  const attribute = (name: string) => user.UserAttributes?.find((entry) => entry.Name === name)?.Value;
  const contact = { email: attribute("email") ?? null, emailVerified: attribute("email_verified") === "true" };
  if (contacts.size >= CONTACT_CACHE_MAX) contacts.delete(contacts.keys().next().value!);
  contacts.delete(sub); // re-inserted last, so the map stays in expiry order for eviction
  contacts.set(sub, { contact, expiresAt: Date.now() + CONTACT_TTL_MS });
  return contact;
}

export function forgetContact(sub: string): void {
  contacts.delete(sub);
}
