import { ChallengeRequiredError, isAlreadyConfirmed, isCognitoError } from "../cognito/errors";
import type { CodeDelivery, UserPool } from "../cognito/user-pool";
import { inUserTerms, isWrongPassword, withoutRevealingAccount } from "./cognito-errors";
import { AccountExistsError, InvalidCodeError } from "./errors";
import { signIn } from "./session";
import type { Tokens } from "./tokens";

export type SignUpPool = Pick<
  UserPool,
  "signUp" | "adminGetUserStatus" | "adminConfirmSignUp" | "passwordAuth" | "resendConfirmationCode" | "confirmSignUp"
>;

export type SignUpOutcome = { kind: "signed_in"; tokens: Tokens } | { kind: "code_sent"; delivery: CodeDelivery | undefined };

export interface SignUpPolicy {
  /** Confirm with AdminConfirmSignUp and sign in (the tutorial's flow), or let Cognito email a code. */
  autoConfirm: boolean;
  /** Counts a password check against the email's guessing limit; throws when the limit is reached. */
  countPasswordGuess: () => Promise<void>;
}

/**
 * SignUp, AdminConfirmSignUp, then a first sign-in. A sign-up that stopped half-way (created but not
 * confirmed) is completed by calling this again with the same email and password.
 */
export async function signUp(pool: SignUpPool, email: string, password: string, policy: SignUpPolicy): Promise<SignUpOutcome> {
  let created;
  try {
    created = await pool.signUp(email, password);
  } catch (error) {
    if (!isCognitoError(error, "UsernameExistsException", "AliasExistsException")) throw inUserTerms(error);
    return resumeSignUp(pool, email, password, policy);
  }
  if (!policy.autoConfirm && !created.UserConfirmed) return { kind: "code_sent", delivery: created.CodeDeliveryDetails };
  if (!created.UserConfirmed) await confirm(pool, email);
  return { kind: "signed_in", tokens: await signIn(pool, email, password) };
}

/**
 * The email is taken. Only an account that is still unconfirmed can be resumed, and only by the
 * caller who knows its password: Cognito checks the password before it reports UserNotConfirmed.
 * Any other account gets 409 without its password being tried, so the answer cannot depend on the
 * password (no oracle, nothing counted against Cognito's lockout). A resume is a password guess, so
 * it counts against the email's guessing limit.
 */
async function resumeSignUp(pool: SignUpPool, email: string, password: string, policy: SignUpPolicy): Promise<SignUpOutcome> {
  let status;
  try {
    status = await pool.adminGetUserStatus(email);
  } catch (error) {
    // Deleted since SignUp said it exists: the caller may simply sign up again.
    if (isCognitoError(error, "UserNotFoundException")) throw new AccountExistsError(undefined, { cause: error });
    throw inUserTerms(error);
  }
  if (status !== "UNCONFIRMED") throw new AccountExistsError();

  await policy.countPasswordGuess();
  try {
    await pool.passwordAuth(email, password);
  } catch (error) {
    if (isCognitoError(error, "UserNotConfirmedException")) {
      if (!policy.autoConfirm) return { kind: "code_sent", delivery: (await resendCode(pool, email)).CodeDeliveryDetails };
      await confirm(pool, email);
      return { kind: "signed_in", tokens: await signIn(pool, email, password) };
    }
    const notTheCreator = isWrongPassword(error) || isCognitoError(error, "PasswordResetRequiredException") || error instanceof ChallengeRequiredError;
    if (notTheCreator) throw new AccountExistsError(undefined, { cause: error });
    throw inUserTerms(error);
  }
  // Signed in: a concurrent sign-up with this password completed the account first.
  throw new AccountExistsError();
}

async function resendCode(pool: SignUpPool, email: string) {
  try {
    return await pool.resendConfirmationCode(email);
  } catch (error) {
    throw inUserTerms(error);
  }
}

/** Confirming twice is harmless: a concurrent sign-up of the same password may have confirmed it first. */
async function confirm(pool: SignUpPool, email: string): Promise<void> {
  try {
    await pool.adminConfirmSignUp(email);
  } catch (error) {
    if (isAlreadyConfirmed(error)) return;
    throw inUserTerms(error);
  }
}

/**
 * ConfirmSignUp with the emailed code. A wrong code, an unknown email and an account that is already
 * confirmed (Cognito refuses that whatever the code) all get the same InvalidCodeError, so the route
 * cannot tell a stranger which emails have accounts.
 */
export async function confirmSignUp(pool: SignUpPool, email: string, code: string): Promise<void> {
  try {
    await pool.confirmSignUp(email, code);
  } catch (error) {
    throw inUserTerms(error, { NotAuthorizedException: InvalidCodeError, UserNotFoundException: InvalidCodeError });
  }
}

/** ResendConfirmationCode: resolves the same way for unknown and already-confirmed emails. */
export async function resendConfirmationCode(pool: SignUpPool, email: string): Promise<void> {
  await withoutRevealingAccount(pool.resendConfirmationCode(email));
}
