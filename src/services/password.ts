import type { UserPool } from "../cognito/user-pool";
import { inUserTerms, withoutRevealingAccount } from "./cognito-errors";
import { InvalidCodeError, SessionsNotEndedError } from "./errors";
import { forgetContacts } from "./profile";

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
  try {
    await pool.adminUserGlobalSignOut(email);
  } catch (error) {
    throw new SessionsNotEndedError(undefined, { cause: error });
  }
}
