import type { UpstreamContext } from "../cognito/client";
import { isCognitoError, isLockout } from "../cognito/errors";
import { upstreamProblem } from "../cognito/problems";
import type { UserPool } from "../cognito/user-pool";
import { Problem } from "../errors";

const invalidCode = () => new Problem(400, "invalid_code", { detail: "The code is not valid for this email." });

/**
 * Errors that would tell a caller whether an email has an account (no user, no verified email,
 * already confirmed): the answer is the same as for an account that exists.
 */
const REVEALS_ACCOUNT = ["UserNotFoundException", "InvalidParameterException", "NotAuthorizedException"];

/** Runs a call whose errors could tell whether the email has an account: those count as done. */
async function withoutRevealingAccount(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (isCognitoError(error, ...REVEALS_ACCOUNT) && !isLockout(error)) return;
    throw upstreamProblem(error);
  }
}

/** ForgotPassword: resolves the same way whether or not the email has an account. */
export function requestPasswordReset(pool: UserPool, ctx: UpstreamContext, email: string): Promise<void> {
  return withoutRevealingAccount(pool.forgotPassword(ctx, email));
}

/** ConfirmForgotPassword: an unknown email is just an invalid code. */
export async function resetPassword(pool: UserPool, ctx: UpstreamContext, email: string, code: string, password: string): Promise<void> {
  try {
    await pool.confirmForgotPassword(ctx, email, code, password);
  } catch (error) {
    throw upstreamProblem(error, { UserNotFoundException: invalidCode, NotAuthorizedException: invalidCode, UserNotConfirmedException: invalidCode });
  }
}

/** ConfirmSignUp with the emailed code; confirming an account twice is not an error. */
export async function confirmSignUp(pool: UserPool, ctx: UpstreamContext, email: string, code: string): Promise<void> {
  try {
    await pool.confirmSignUp(ctx, email, code);
  } catch (error) {
    if (isCognitoError(error, "NotAuthorizedException") && /current status is confirmed/i.test(error.message)) return;
    throw upstreamProblem(error, { UserNotFoundException: invalidCode, NotAuthorizedException: invalidCode });
  }
}

/** ResendConfirmationCode: resolves the same way for unknown and already-confirmed emails. */
export function resendConfirmationCode(pool: UserPool, ctx: UpstreamContext, email: string): Promise<void> {
  return withoutRevealingAccount(pool.resendConfirmationCode(ctx, email));
}
