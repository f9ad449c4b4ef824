import type { UserPool } from "../cognito/user-pool";
import { asUser } from "./cognito-errors";

/** What Cognito's access tokens do not carry, from GetUser: the email, whether it is verified, the second factors. */
export interface Contact {
  email: string | null;
  emailVerified: boolean;
  mfa: MfaFactor[];
}

export type MfaFactor = "totp" | "sms" | "email";

const FACTORS: Record<string, MfaFactor> = { SOFTWARE_TOKEN_MFA: "totp", SMS_MFA: "sms", EMAIL_OTP: "email" };

/** The signed-in user's session, from a verified access token: the token, its id, and the user. */
export interface Session {
  accessToken: string;
  /** The token's `jti`: each session (and each refresh of it) has its own. */
  tokenId: string;
  sub: string;
  /** The Cognito username, to sign in as the same user again (the `sub` in email-as-username pools). */
  username: string;
}

export const CONTACT_TTL_MS = 60_000;
const CONTACT_CACHE_MAX = 10_000;

interface CachedContact {
  contact: Contact;
  sub: string;
  expiresAt: number;
}

/**
 * Per-isolate cache of GetUser answers, by access token id: repeated `me` calls with one token within
 * a minute make no upstream call, and a new session never sees an old session's answer.
 */
const contacts = new Map<string, CachedContact>();

/** The session of a verified access token. */
export function sessionOf(accessToken: string, claims: { sub: string; jti?: string; username?: string }): Session {
  return { accessToken, tokenId: claims.jti ?? accessToken, sub: claims.sub, username: claims.username ?? claims.sub };
}

/** GetUser, or its answer for this token from the last minute unless `fresh`. */
export async function contactOf(pool: Pick<UserPool, "getUser">, session: Session, fresh: boolean, now = Date.now()): Promise<Contact> {
  const cached = contacts.get(session.tokenId);
  if (cached && !fresh && cached.expiresAt > now) return cached.contact;

  let user;
  try {
    user = await asUser(pool.getUser(session.accessToken));
  } catch (error) {
    contacts.delete(session.tokenId);
    throw error;
  }
  const attribute = (name: string) => user.UserAttributes?.find((entry) => entry.Name === name)?.Value;
  const contact = {
    email: attribute("email") ?? null,
    emailVerified: attribute("email_verified") === "true",
    mfa: (user.UserMFASettingList ?? []).flatMap((setting) => FACTORS[setting] ?? []),
  };
  if (contacts.size >= CONTACT_CACHE_MAX) contacts.delete(contacts.keys().next().value!);
  contacts.delete(session.tokenId); // re-inserted last, so the map stays in expiry order for eviction
  contacts.set(session.tokenId, { contact, sub: session.sub, expiresAt: now + CONTACT_TTL_MS });
  return contact;
}

/** After anything that changes the user (log-out, password, email, MFA, deletion): this isolate answers from Cognito again. */
export function forgetContacts(user: { sub: string } | { email: string }): void {
  for (const [tokenId, cached] of contacts) {
    if ("sub" in user ? cached.sub === user.sub : cached.contact.email === user.email) contacts.delete(tokenId);
  }
}
