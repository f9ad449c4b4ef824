import type { SignedInActor, SignedInUser } from "../auth/signed-in-user";
import { ChallengeRequiredError } from "../cognito/errors";
import type { AuthenticationResult, UserPool } from "../cognito/user-pool";
import type { Keys, LoginDeps } from "../deps";
import { Failure } from "../failures";
import { withCognitoFailures, meaningOf, WRONG_PASSWORD } from "./cognito-errors";
import { forgetProfiles } from "./profile";
import type { RefreshedTokensResponse, TokensResponse } from "../schemas/responses";
import { refreshedTokens, sessionTokens } from "./tokens";

/** Cognito's answer to a password: a finished sign-in, or the challenge session of its TOTP step. */
export type SignInOutcome = { kind: "signed_in"; result: AuthenticationResult } | { kind: "totp_required"; challengeSession: string };

/** USER_PASSWORD_AUTH; a wrong password and an unknown user are the same invalid_credentials. */
export async function signInWithPassword(pool: Pick<UserPool, "passwordAuth">, username: string, password: string): Promise<SignInOutcome> {
  try {
    return { kind: "signed_in", result: await pool.passwordAuth(username, password) };
  } catch (error) {
    // Any other challenge stays an error (403, naming it).
    if (error instanceof ChallengeRequiredError && error.challenge === "SOFTWARE_TOKEN_MFA" && error.session) {
      return { kind: "totp_required", challengeSession: error.session };
    }
    throw meaningOf(error, WRONG_PASSWORD);
  }
}

/** POST /login's answer: the tokens, or, for a user with TOTP on, the sealed challenge session for POST /login/mfa. */
export type LogInOutcome = { kind: "signed_in"; tokens: TokensResponse } | { kind: "mfa_required"; challengeSession: string };

/** What a log-in runs with: Cognito, and the key that seals its TOTP challenge session to the email. */
type LogInDeps = Pick<LoginDeps, "cognito"> & { keys: Pick<Keys, "challengeSeal"> };

/** A log-in has no actor (no one is signed in yet): (deps, input), its limits counted by the route. */
export async function logIn({ cognito, keys }: LogInDeps, { email, password }: { email: string; password: string }): Promise<LogInOutcome> {
  const outcome = await signInWithPassword(cognito, email, password);
  if (outcome.kind === "signed_in") return { kind: "signed_in", tokens: sessionTokens(outcome.result) };
  return { kind: "mfa_required", challengeSession: await keys.challengeSeal().seal(email, outcome.challengeSession) };
}

/**
 * The TOTP step of a log-in: tokens for the right code; the challenge session may be retried after a
 * wrong one. A session this API did not seal for this email is refused before Cognito is asked.
 */
export async function completeMfaLogIn({ cognito, keys }: LogInDeps, { email, session, code }: { email: string; session: string; code: string }): Promise<TokensResponse> {
  const challengeSession = await keys.challengeSeal().open(email, session);
  if (!challengeSession) throw new Failure("mfa_session_expired");
  return sessionTokens(await answerTotp(cognito, email, challengeSession, code));
}

async function answerTotp(pool: Pick<UserPool, "answerSoftwareTokenChallenge">, username: string, challengeSession: string, code: string): Promise<AuthenticationResult> {
  // Cognito: CodeMismatch for a wrong code; NotAuthorized "Invalid session for the user[, session is expired]".
  return withCognitoFailures(pool.answerSoftwareTokenChallenge(username, challengeSession, code), {
    CodeMismatchException: "invalid_mfa_code",
    ExpiredCodeException: "invalid_mfa_code",
    NotAuthorizedException: "mfa_session_expired",
    UserNotFoundException: "mfa_session_expired",
  });
}

/** What a step up proves: the password, and the TOTP code when TOTP is on for the account. */
export interface StepUp {
  password: string;
  code?: string;
}

/** A sign-in that proved the password (and the code): its access token, and whether TOTP asked for the code. */
export interface Reauthenticated {
  accessToken: string;
  totp: boolean;
}

/** A missing part of the proof: 403 step_up_required naming the field (services/step-up.ts). */
export function missingProof(field: string, part: "password" | "code"): Failure {
  const message = part === "password" ? `${field} is required to confirm it is you` : "code is required: TOTP is on for this account";
  return new Failure("step_up_required", { errors: [{ field, message }] });
}

/**
 * Proves that the signed-in user knows the password, and the TOTP code when TOTP is on. Cognito checks
 * a TOTP code only inside a sign-in, so this signs in anew as the token's own user and returns that
 * sign-in's access token. A missing code is refused once the password has proved right. Only
 * services/step-up.ts calls it: the step up is one mechanism.
 */
export async function reauthenticate(
  pool: Pick<UserPool, "passwordAuth" | "answerSoftwareTokenChallenge">,
  user: SignedInUser,
  proof: StepUp,
): Promise<Reauthenticated> {
  const outcome = await signInWithPassword(pool, user.username, proof.password);
  if (outcome.kind === "signed_in") return { accessToken: outcome.result.AccessToken, totp: false };
  if (proof.code === undefined) throw missingProof("code", "code");
  return { accessToken: (await answerTotp(pool, user.username, outcome.challengeSession, proof.code)).AccessToken, totp: true };
}

/** REFRESH_TOKEN_AUTH: new access and ID tokens for a refresh token that Cognito still honours (no actor: the refresh token is the only credential). */
export async function refresh({ cognito: pool }: Pick<LoginDeps, "cognito">, { refreshToken, sub }: { refreshToken: string; sub: string | undefined }): Promise<RefreshedTokensResponse> {
  if (pool.hasClientSecret && !sub) {
    throw new Failure("validation_failed", { errors: [{ field: "cognito_user_id", message: "cognito_user_id is required: this app client has a secret" }] });
  }
  const result = await withCognitoFailures(pool.refreshAuth(refreshToken, sub), { NotAuthorizedException: "invalid_refresh_token", UserNotFoundException: "invalid_refresh_token" });
  return refreshedTokens(result);
}

/**
 * Signs the user out everywhere: GlobalSignOut always runs, after which no refresh token of the user
 * works. RevokeToken for a refresh token the client sends runs beside it, best effort: whatever it
 * answers (a bad token, an app client without revocation) is in the call log and changes nothing for
 * the user, who is signed out either way. A session Cognito already ended counts as signed out.
 * This isolate forgets the user's profile once signed out.
 */
export async function logOut({ cognito: pool }: Pick<LoginDeps, "cognito">, { user }: SignedInActor, { refreshToken }: { refreshToken: string | undefined }): Promise<void> {
  const revoked = refreshToken ? pool.revokeToken(refreshToken).catch(() => undefined) : undefined;
  try {
    await withCognitoFailures(pool.globalSignOut(user.accessToken), { NotAuthorizedException: "done" });
  } finally {
    await revoked;
  }
  forgetProfiles({ sub: user.sub });
}
