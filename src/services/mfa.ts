import type { UserPool } from "../cognito/user-pool";
import { asUser } from "./cognito-errors";
import { InvalidCodeError } from "./errors";
import { contactOf, forgetContacts, type Session } from "./profile";
import { reauthenticate } from "./session";

export interface TotpSetup {
  secret: string;
  otpauth_uri: string;
}

/**
 * A new TOTP secret, and the otpauth:// URI an authenticator app takes (Key Uri Format): labelled
 * "issuer:email", both parts percent-encoded. TOTP is on only after enableTotp checks a code.
 */
export async function setUpTotp(pool: Pick<UserPool, "associateSoftwareToken" | "getUser">, session: Session, issuer: string): Promise<TotpSetup> {
  const [secret, contact] = await Promise.all([asUser(pool.associateSoftwareToken(session.accessToken)), contactOf(pool, session, false)]);
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(contact.email ?? session.sub)}`;
  return { secret, otpauth_uri: `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent(issuer)}` };
}

/** VerifySoftwareToken with a code of the new secret, then TOTP on and preferred. */
export async function enableTotp(pool: Pick<UserPool, "verifySoftwareToken" | "setSoftwareTokenMfa">, session: Session, code: string): Promise<void> {
  // Cognito answers a wrong code with EnableSoftwareTokenMFAException, cognito-local with CodeMismatch;
  // InvalidParameter: no secret is pending (setup was not called), so no code can be right.
  const status = await asUser(pool.verifySoftwareToken(session.accessToken, code), {
    EnableSoftwareTokenMFAException: InvalidCodeError,
    InvalidParameterException: InvalidCodeError,
  });
  if (status !== "SUCCESS") throw new InvalidCodeError();
  await setTotp(pool, session, true);
}

/** TOTP off, once the password and a current code prove it is the user asking. */
export async function disableTotp(
  pool: Pick<UserPool, "passwordAuth" | "answerSoftwareTokenChallenge" | "setSoftwareTokenMfa">,
  session: Session,
  password: string,
  code: string,
): Promise<void> {
  await reauthenticate(pool, session.username, password, code);
  await setTotp(pool, session, false);
}

async function setTotp(pool: Pick<UserPool, "setSoftwareTokenMfa">, session: Session, enabled: boolean): Promise<void> {
  try {
    await asUser(pool.setSoftwareTokenMfa(session.accessToken, enabled));
  } finally {
    forgetContacts({ sub: session.sub });
  }
}
