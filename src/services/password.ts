import type { SignedInUser } from "../auth/signed-in-user";
import type { UserPool } from "../cognito/user-pool";
import { Failure } from "../failures";
import { withCognitoFailures, isPolicyRefusal, WITH_ACCESS_TOKEN, WITHOUT_REVEALING_ACCOUNT } from "./cognito-errors";
import type { NotifyOwner } from "./notices";
import { forgetProfiles, userProfile } from "./profile";
import type { StepUpCheck } from "./step-up";

/** ForgotPassword: resolves the same way whether or not the email has an account. */
export async function requestPasswordReset(pool: Pick<UserPool, "forgotPassword">, email: string): Promise<void> {
  await withCognitoFailures(pool.forgotPassword(email), WITHOUT_REVEALING_ACCOUNT);
}

/**
 * ConfirmForgotPassword, then AdminUserGlobalSignOut: Cognito leaves earlier sessions alive after a
 * reset, and whoever made the reset necessary may hold one. A wrong code, an unknown email, an
 * unconfirmed account and one without a verified email all get the same invalid_code.
 */
export async function resetPassword(
  pool: Pick<UserPool, "confirmForgotPassword" | "adminUserGlobalSignOut">,
  email: string,
  code: string,
  password: string,
  notify: NotifyOwner,
): Promise<void> {
  await withCognitoFailures(pool.confirmForgotPassword(email, code, password), {
    NotAuthorizedException: "invalid_code",
    UserNotFoundException: "invalid_code",
    UserNotConfirmedException: "invalid_code",
    InvalidParameterException: "invalid_code",
  });
  forgetProfiles({ email });
  // Only a right code gets here: the email is the account's, and telling it reveals nothing.
  await signOutEverywhere(pool, email, (signedOut) => notify(email, { kind: "password_changed", signedOut }));
}

/**
 * ChangePassword for the signed-in user, once the current password (and the TOTP code when on) proves
 * it is the user asking, then AdminUserGlobalSignOut: whoever else holds a session of the account
 * loses it with the old password. The account's email is told once the password has changed, also
 * when the sign-out then fails, in which case the notice says so; it is read after the step up (a
 * wrong guess costs no GetUser), while the token still works. `current` is the password the step up
 * proved.
 */
export async function changePassword(
  pool: Pick<UserPool, "getUser" | "changePassword" | "adminUserGlobalSignOut">,
  user: SignedInUser,
  stepUp: StepUpCheck,
  { current, proposed }: { current: string | undefined; proposed: string },
  notify: NotifyOwner,
): Promise<void> {
  await stepUp();
  const { email } = await userProfile(pool, user, false);
  // Cognito: NotAuthorized "Incorrect username or password." (a revoked token says "Access Token ..."); cognito-local: InvalidPassword.
  await withCognitoFailures(pool.changePassword(user.accessToken, current!, proposed), {
    ...WITH_ACCESS_TOKEN,
    NotAuthorizedException: (error) => (/token/i.test(error.message) ? "invalid_token" : "invalid_credentials"),
    InvalidPasswordException: (error) => (isPolicyRefusal(error) ? "weak_password" : "invalid_credentials"),
  });
  forgetProfiles({ sub: user.sub });
  await signOutEverywhere(pool, user.username, (signedOut) => notify(email, { kind: "password_changed", signedOut }));
}

/** AdminUserGlobalSignOut, then `tell` whether it ended every session: the notice says what happened. */
async function signOutEverywhere(pool: Pick<UserPool, "adminUserGlobalSignOut">, username: string, tell: (signedOut: boolean) => void): Promise<void> {
  try {
    await pool.adminUserGlobalSignOut(username);
  } catch (error) {
    tell(false);
    throw new Failure("sessions_not_ended", { cause: error });
  }
  tell(true);
}
