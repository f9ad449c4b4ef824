import type { SignedInActor, SignedInUser } from "../auth/signed-in-user";
import type { LoginDeps } from "../deps";
import { BoundedMap } from "../bounded-map";
import { Failure } from "../failures";
import type { UserPool } from "../cognito/user-pool";
import type { ProfileResponse } from "../schemas/responses";
import { withCognitoFailures, WITH_ACCESS_TOKEN } from "./cognito-errors";

/** What Cognito's access tokens do not carry, from GetUser: the email, whether it is verified, the second factors. */
export interface UserProfile {
  email: string | null;
  emailVerified: boolean;
  mfa: MfaFactor[];
}

export type MfaFactor = "totp" | "sms" | "email";

const FACTORS: Record<string, MfaFactor> = { SOFTWARE_TOKEN_MFA: "totp", SMS_MFA: "sms", EMAIL_OTP: "email" };

/** How long an isolate answers `me` (and the routes' verifiedEmail rule) from its copy: at most this stale elsewhere. */
const PROFILE_TTL_MS = 60_000;

interface CachedProfile {
  profile: UserProfile;
  sub: string;
  expiresAt: number;
}

/**
 * GetUser answers of this isolate, by access token id (unique across pools): repeated `me` calls with
 * one token within a minute make no upstream call, and a new session never sees an old session's answer.
 */
const profiles = new BoundedMap<string, CachedProfile>(10_000);

/** GetUser, or its answer for this token from the last minute unless `fresh`. */
export async function userProfile(pool: Pick<UserPool, "getUser">, user: SignedInUser, fresh: boolean, now = Date.now()): Promise<UserProfile> {
  const cached = profiles.get(user.tokenId);
  if (cached && !fresh && cached.expiresAt > now) return cached.profile;

  let answer;
  try {
    answer = await withCognitoFailures(pool.getUser(user.accessToken), WITH_ACCESS_TOKEN);
  } catch (error) {
    profiles.delete(user.tokenId);
    throw error;
  }
  const attribute = (name: string) => answer.UserAttributes?.find((entry) => entry.Name === name)?.Value;
  const profile = {
    email: attribute("email") ?? null,
    emailVerified: attribute("email_verified") === "true",
    mfa: (answer.UserMFASettingList ?? []).flatMap((setting) => FACTORS[setting] ?? []),
  };
  profiles.set(user.tokenId, { profile, sub: user.sub, expiresAt: now + PROFILE_TTL_MS });
  return profile;
}

/** GET /me: who the token names (its claims `groups` and `exp`), with what Cognito says of the user (from this isolate's copy unless `fresh`). */
export async function me(
  { cognito }: Pick<LoginDeps, "cognito">,
  { user }: SignedInActor,
  { fresh, claims }: { fresh: boolean; claims: { groups: string[]; exp: number } },
): Promise<ProfileResponse> {
  const profile = await userProfile(cognito, user, fresh);
  return {
    sub: user.sub,
    email: profile.email,
    email_verified: profile.emailVerified,
    username: user.username,
    groups: claims.groups,
    token_expires_at: new Date(claims.exp * 1000).toISOString(),
    mfa: profile.mfa,
  };
}

/** For what moves money: the user has proved they own the account's email (403 email_not_verified otherwise). */
export async function ensureEmailVerified({ cognito }: Pick<LoginDeps, "cognito">, { user }: Pick<SignedInActor, "user">): Promise<void> {
  if (!(await userProfile(cognito, user, false)).emailVerified) throw new Failure("email_not_verified");
}

/** After anything that changes the user (log-out, password, email, MFA, deletion): this isolate answers from Cognito again. */
export function forgetProfiles(user: { sub: string } | { email: string }): void {
  profiles.deleteWhere((cached) => ("sub" in user ? cached.sub === user.sub : cached.profile.email === user.email));
}
