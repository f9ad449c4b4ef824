import type { SignedInActor } from "../auth/signed-in-user";
import type { UserPool } from "../cognito/user-pool";
import type { LoginDeps } from "../deps";
import { Failure } from "../failures";
import { withCognitoFailures, isPolicyRefusal, WITH_ACCESS_TOKEN, WITHOUT_REVEALING_ACCOUNT } from "./cognito-errors";
import { forgetProfiles, userProfile } from "./profile";
import type { Proof } from "./step-up";

/** ForgotPassword: resolves the same way whether or not the email has an account. */
export async function requestPasswordReset({ cognito }: Pick<LoginDeps, "cognito">, { email }: { email: string }): Promise<void> {
  await withCognitoFailures(cognito.forgotPassword(email), WITHOUT_REVEALING_ACCOUNT);
}

/**
 * ConfirmForgotPassword, then AdminUserGlobalSignOut: Cognito leaves earlier sessions alive after a
 * reset, and whoever made the reset necessary may hold one. A wrong code, an unknown email, an
 * unconfirmed account and one without a verified email all get the same invalid_code.
 */
export async function resetPassword({ cognito: pool, notify }: Pick<LoginDeps, "cognito" | "notify">, { email, code, password }: { email: string; code: string; password: string }): Promise<void> {
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
 * wrong guess costs no GetUser), while the token still works. The current password is the one the
 * step up proved (`proof.password`, under the field name `current_password`).
 */
export async function changePassword(
  { cognito: pool, stepUp, notify }: Pick<LoginDeps, "cognito" | "stepUp" | "notify">,
  { user }: SignedInActor,
  { proof, proposed }: { proof: Proof; proposed: string },
): Promise<void> {
  await stepUp(proof)();
  const { email } = await userProfile(pool, user, false);
  // Cognito: NotAuthorized "Incorrect username or password." (a revoked token says "Access Token ..."); cognito-local: InvalidPassword.
  await withCognitoFailures(pool.changePassword(user.accessToken, proof.password!, proposed), {
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
