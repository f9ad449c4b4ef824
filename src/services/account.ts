import type { UpstreamContext } from "../cognito/client";
import { isCognitoError } from "../cognito/errors";
import { accountExists, invalidCredentials, upstreamProblem } from "../cognito/problems";
import { ChallengeRequiredError, type CodeDelivery, type UserPool } from "../cognito/user-pool";
import { sessionTokens, type Tokens } from "./tokens";

/** What a failed password check looks like: real Cognito says NotAuthorized/UserNotFound, cognito-local InvalidPassword. */
const BAD_CREDENTIALS = ["NotAuthorizedException", "UserNotFoundException", "InvalidPasswordException"];

export type SignUpOutcome =
  | { kind: "signed_in"; tokens: Tokens }
  | { kind: "code_sent"; delivery: CodeDelivery | undefined };

/**
 * SignUp, AdminConfirmSignUp, then a first sign-in. A sign-up that stopped half-way (created but not
 * confirmed) is completed by calling this again with the same email and password.
 */
export async function signUp(pool: UserPool, ctx: UpstreamContext, email: string, password: string, autoConfirm: boolean): Promise<SignUpOutcome> {
  let signUpOutput;
  try {
    signUpOutput = await pool.signUp(ctx, email, password);
  } catch (error) {
    if (!isCognitoError(error, "UsernameExistsException", "AliasExistsException")) throw upstreamProblem(error);
    return resumeSignUp(pool, ctx, email, password, autoConfirm);
  }
  if (!autoConfirm && !signUpOutput.UserConfirmed) return { kind: "code_sent", delivery: signUpOutput.CodeDeliveryDetails };
  if (!signUpOutput.UserConfirmed) await confirm(pool, ctx, email);
  return { kind: "signed_in", tokens: await signIn(pool, ctx, email, password) };
}

/**
 * The email is taken. Cognito checks the password before it reports UserNotConfirmed, so only the
 * caller who knows the account's password can finish it; anyone else, or an account that is already
 * complete, gets 409. A sign-up still in flight is safe too: its password is the one checked.
 */
async function resumeSignUp(pool: UserPool, ctx: UpstreamContext, email: string, password: string, autoConfirm: boolean): Promise<SignUpOutcome> {
  try {
    await pool.passwordAuth(ctx, email, password);
  } catch (error) {
    if (isCognitoError(error, "UserNotConfirmedException")) {
      if (!autoConfirm) return { kind: "code_sent", delivery: (await resendCode(pool, ctx, email)).CodeDeliveryDetails };
      await confirm(pool, ctx, email);
      return { kind: "signed_in", tokens: await signIn(pool, ctx, email, password) };
    }
    if (isCognitoError(error, ...BAD_CREDENTIALS, "PasswordResetRequiredException")) throw accountExists();
    if (error instanceof ChallengeRequiredError) throw accountExists();
    throw upstreamProblem(error);
  }
  throw accountExists();
}

async function resendCode(pool: UserPool, ctx: UpstreamContext, email: string) {
  try {
    return await pool.resendConfirmationCode(ctx, email);
  } catch (error) {
    throw upstreamProblem(error);
  }
}

/** Confirming twice is harmless: a concurrent sign-up of the same password may have confirmed it first. */
async function confirm(pool: UserPool, ctx: UpstreamContext, email: string): Promise<void> {
  try {
    await pool.adminConfirmSignUp(ctx, email);
  } catch (error) {
    if (isCognitoError(error, "NotAuthorizedException") && /current status is confirmed/i.test(error.message)) return;
    throw upstreamProblem(error);
  }
}

/** USER_PASSWORD_AUTH; wrong password and unknown email give the identical 401. */
export async function signIn(pool: UserPool, ctx: UpstreamContext, email: string, password: string): Promise<Tokens> {
  try {
    return sessionTokens(await pool.passwordAuth(ctx, email, password));
  } catch (error) {
    throw upstreamProblem(error, Object.fromEntries(BAD_CREDENTIALS.map((type) => [type, invalidCredentials])));
  }
}
