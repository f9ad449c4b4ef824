import { ChallengeRequiredError, isAlreadyConfirmed, isCognitoError } from "../cognito/errors";
import type { CodeDelivery, UserPool } from "../cognito/user-pool";
import type { LoginDeps } from "../deps";
import { Failure } from "../failures";
import { maskEmail } from "../log";
import { withCognitoFailures, meaningOf, WITHOUT_REVEALING_ACCOUNT, WRONG_PASSWORD } from "./cognito-errors";
import { signInWithPassword } from "./sign-in";
import type { ConfirmationRequiredResponse, TokensResponse } from "../schemas/responses";
import { sessionTokens } from "./tokens";

export type SignUpPool = Pick<
  UserPool,
  "signUp" | "adminGetUserStatus" | "adminConfirmSignUp" | "passwordAuth" | "resendConfirmationCode" | "confirmSignUp"
>;

/** Where the confirmation code went, masked: real Cognito masks the destination already, the emulator does not. */
type Delivery = ConfirmationRequiredResponse["code_delivery"];

export type SignUpOutcome = { kind: "signed_in"; tokens: TokensResponse } | { kind: "code_sent"; delivery: Delivery };

function deliveryOf(delivery: CodeDelivery | undefined): Delivery {
  return { medium: delivery?.DeliveryMedium ?? "EMAIL", destination: delivery?.Destination ? maskEmail(delivery.Destination) : null };
}

interface SignUpPolicy {
  /** Confirm with AdminConfirmSignUp and sign in (the tutorial's flow), or let Cognito email a code. */
  autoConfirm: boolean;
  /** Counts a password check against the email's guessing limit; throws when the limit is reached. */
  countPasswordGuess: () => Promise<void>;
}

/**
 * SignUp, AdminConfirmSignUp (with AUTO_CONFIRM), then a first sign-in. A sign-up that stopped
 * half-way (created but not confirmed) is completed by calling this again with the same email and
 * password. Like every flow of someone not signed in, it takes (deps, input): there is no actor yet,
 * only a caller whose address the deps' limits count (docs/design.md, "Layout").
 */
export async function signUp(deps: Pick<LoginDeps, "cognito" | "config" | "countPasswordGuess">, { email, password }: { email: string; password: string }): Promise<SignUpOutcome> {
  const pool = deps.cognito;
  const policy: SignUpPolicy = { autoConfirm: deps.config.autoConfirm, countPasswordGuess: () => deps.countPasswordGuess(email) };
  let created;
  try {
    created = await pool.signUp(email, password);
  } catch (error) {
    if (!isCognitoError(error, "UsernameExistsException", "AliasExistsException")) throw meaningOf(error);
    return resumeSignUp(pool, email, password, policy);
  }
  if (!policy.autoConfirm && !created.UserConfirmed) return { kind: "code_sent", delivery: deliveryOf(created.CodeDeliveryDetails) };
  if (!created.UserConfirmed) await confirm(pool, email);
  return firstSignIn(pool, email, password);
}

/** A new account has no second factor yet: its first sign-in gives tokens. */
async function firstSignIn(pool: SignUpPool, email: string, password: string): Promise<SignUpOutcome> {
  const outcome = await signInWithPassword(pool, email, password);
  if (outcome.kind !== "signed_in") throw new Failure("challenge_required", { detail: "Sign-in needs the SOFTWARE_TOKEN_MFA step, which this API does not offer." });
  return { kind: "signed_in", tokens: sessionTokens(outcome.result) };
}

/**
 * The email is taken. Only an account that is still unconfirmed can be resumed, and only by the
 * caller who knows its password: Cognito checks the password before it reports UserNotConfirmed.
 * Any other account gets 409 without its password being tried, so the answer cannot depend on the
 * password (no oracle, nothing counted against Cognito's lockout). A resume is a password guess, so
 * it counts against the email's guessing limit.
 */
async function resumeSignUp(pool: SignUpPool, email: string, password: string, policy: SignUpPolicy): Promise<SignUpOutcome> {
  // Deleted since SignUp said it exists: the caller may simply sign up again.
  const status = await withCognitoFailures(pool.adminGetUserStatus(email), { UserNotFoundException: "account_exists" });
  if (status !== "UNCONFIRMED") throw new Failure("account_exists");

  await policy.countPasswordGuess();
  try {
    await pool.passwordAuth(email, password);
  } catch (error) {
    if (isCognitoError(error, "UserNotConfirmedException")) {
      if (!policy.autoConfirm) return { kind: "code_sent", delivery: deliveryOf((await withCognitoFailures(pool.resendConfirmationCode(email))).CodeDeliveryDetails) };
      await confirm(pool, email);
      return firstSignIn(pool, email, password);
    }
    if (error instanceof ChallengeRequiredError) throw new Failure("account_exists", { cause: error });
    throw meaningOf(error, { ...NOT_THE_CREATOR, PasswordResetRequiredException: "account_exists" });
  }
  // Signed in: a concurrent sign-up with this password completed the account first.
  throw new Failure("account_exists");
}

/** A wrong password on resuming: the caller is not the one who started the sign-up. */
const NOT_THE_CREATOR = Object.fromEntries(Object.keys(WRONG_PASSWORD).map((type) => [type, "account_exists" as const]));

/** Confirming twice is harmless: a concurrent sign-up of the same password may have confirmed it first. */
async function confirm(pool: SignUpPool, email: string): Promise<void> {
  try {
    await pool.adminConfirmSignUp(email);
  } catch (error) {
    if (isAlreadyConfirmed(error)) return;
    throw meaningOf(error);
  }
}

/**
 * ConfirmSignUp with the emailed code. A wrong code, an unknown email and an account that is already
 * confirmed (Cognito refuses that whatever the code) all get the same invalid_code, so the route
 * cannot tell a stranger which emails have accounts.
 */
export async function confirmSignUp({ cognito }: Pick<LoginDeps, "cognito">, { email, code }: { email: string; code: string }): Promise<void> {
  await withCognitoFailures(cognito.confirmSignUp(email, code), { NotAuthorizedException: "invalid_code", UserNotFoundException: "invalid_code" });
}

/** ResendConfirmationCode: resolves the same way for unknown and already-confirmed emails. */
export async function resendConfirmationCode({ cognito }: Pick<LoginDeps, "cognito">, { email }: { email: string }): Promise<void> {
  await withCognitoFailures(cognito.resendConfirmationCode(email), WITHOUT_REVEALING_ACCOUNT);
}
