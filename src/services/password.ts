import { isCognitoError } from "../cognito/errors";
import type { UserPool } from "../cognito/user-pool";
import { asUser, inUserTerms, isPolicyRefusal, isWrongPassword, withoutRevealingAccount } from "./cognito-errors";
import { InvalidCodeError, InvalidCredentialsError, SessionsNotEndedError } from "./errors";
import { forgetContacts, type Session } from "./profile";

/** ForgotPassword: resolves the same way whether or not the email has an account. */
export async function requestPasswordReset(pool: Pick<UserPool, "forgotPassword">, email: string): Promise<void> {
  await withoutRevealingAccount(pool.forgotPassword(email));
}

/**
 * ConfirmForgotPassword, then AdminUserGlobalSignOut: Cognito leaves earlier sessions alive after a
 * reset, and whoever made the reset necessary may hold one. A wrong code, an unknown email, an
 * unconfirmed account and one without a verified email all get the same InvalidCodeError.
 */
export async function resetPassword(
  pool: Pick<UserPool, "confirmForgotPassword" | "adminUserGlobalSignOut">,
  email: string,
  code: string,
  password: string,
): Promise<void> {
  try {
    await pool.confirmForgotPassword(email, code, password);
  } catch (error) {
    throw inUserTerms(error, {
      NotAuthorizedException: InvalidCodeError,
      UserNotFoundException: InvalidCodeError,
      UserNotConfirmedException: InvalidCodeError,
      InvalidParameterException: InvalidCodeError,
    });
  }
  forgetContacts({ email });
  await signOutEverywhere(pool, email);
}

/**
 * ChangePassword for the signed-in user, then AdminUserGlobalSignOut: whoever else holds a session
 * of the account loses it with the old password.
 */
export async function changePassword(
  pool: Pick<UserPool, "changePassword" | "adminUserGlobalSignOut">,
  session: Session,
  current: string,
  proposed: string,
): Promise<void> {
  await asUser(
    pool.changePassword(session.accessToken, current, proposed).catch((error) => {
      throw wrongCurrentPassword(error) ? new InvalidCredentialsError(undefined, { cause: error }) : error;
    }),
  );
  forgetContacts({ sub: session.sub });
  await signOutEverywhere(pool, session.username);
}

/** Cognito: NotAuthorized "Incorrect username or password." (a revoked token says "Access Token ..."); cognito-local: InvalidPassword. */
function wrongCurrentPassword(error: unknown): boolean {
  if (isCognitoError(error, "NotAuthorizedException") && /token/i.test(error.message)) return false;
  return isWrongPassword(error) && !isCognitoError(error, "UserNotFoundException") && !isPolicyRefusal(error);
}

async function signOutEverywhere(pool: Pick<UserPool, "adminUserGlobalSignOut">, username: string): Promise<void> {
  try {
    await pool.adminUserGlobalSignOut(username);
  } catch (error) {
    throw new SessionsNotEndedError(undefined, { cause: error });
  }
}
