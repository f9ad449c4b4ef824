// Email ownership and the account's end, for the signed-in user.
import { isCognitoError } from "../cognito/errors";
import type { UserPool } from "../cognito/user-pool";
import { asUser } from "./cognito-errors";
import { forgetContacts, type Session } from "./profile";
import { reauthenticate } from "./session";

/** GetUserAttributeVerificationCode: a code to the current email. */
export async function sendEmailVerificationCode(pool: Pick<UserPool, "sendEmailVerificationCode">, session: Session): Promise<void> {
  await asUser(pool.sendEmailVerificationCode(session.accessToken));
}

/** VerifyUserAttribute: the email is verified (a pending new address becomes the email). */
export async function verifyEmail(pool: Pick<UserPool, "verifyEmail">, session: Session, code: string): Promise<void> {
  try {
    await asUser(pool.verifyEmail(session.accessToken, code));
  } finally {
    forgetContacts({ sub: session.sub });
  }
}

/**
 * UpdateUserAttributes: a code to the new address. An address that another account has resolves the
 * same way (Cognito sends nothing then), so this cannot tell anyone which emails have accounts.
 */
export async function changeEmail(pool: Pick<UserPool, "changeEmail">, session: Session, email: string): Promise<void> {
  try {
    await asUser(pool.changeEmail(session.accessToken, email).catch((error) => {
      if (!isCognitoError(error, "AliasExistsException", "UsernameExistsException")) throw error;
    }));
  } finally {
    forgetContacts({ sub: session.sub });
  }
}

/** DeleteUser, with the access token of a sign-in that just proved the password (and TOTP code). */
export async function deleteAccount(
  pool: Pick<UserPool, "passwordAuth" | "answerSoftwareTokenChallenge" | "deleteUser">,
  session: Session,
  password: string,
  code: string | undefined,
): Promise<void> {
  const accessToken = await reauthenticate(pool, session.username, password, code);
  try {
    await asUser(pool.deleteUser(accessToken));
  } finally {
    forgetContacts({ sub: session.sub });
  }
}
