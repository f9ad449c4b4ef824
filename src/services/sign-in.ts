import type { SignedInUser } from "../auth/signed-in-user";
import { ChallengeRequiredError } from "../cognito/errors";
import type { AuthenticationResult, UserPool } from "../cognito/user-pool";
import { Failure } from "../failures";
import { inUserTerms, meaningOf, WRONG_PASSWORD } from "./cognito-errors";
import { refreshedTokens, sessionTokens, type RefreshedTokens, type Tokens } from "./tokens";

/** The tokens of a sign-in, or, for a user with TOTP on, Cognito's challenge session for the code step (POST /login/mfa). */
export type LogInOutcome = { kind: "signed_in"; tokens: Tokens } | { kind: "mfa_required"; challengeSession: string };

/** USER_PASSWORD_AUTH; a wrong password and an unknown email are the same invalid_credentials. */
export async function logIn(pool: Pick<UserPool, "passwordAuth">, email: string, password: string): Promise<LogInOutcome> {
  try {
    return { kind: "signed_in", tokens: sessionTokens(await pool.passwordAuth(email, password)) };
  } catch (error) {
    const challengeSession = totpChallengeSession(error);
    if (challengeSession) return { kind: "mfa_required", challengeSession };
    throw meaningOf(error, WRONG_PASSWORD);
  }
}

/** The session of Cognito's SOFTWARE_TOKEN_MFA challenge; any other challenge stays an error (403, naming it). */
function totpChallengeSession(error: unknown): string | undefined {
  return error instanceof ChallengeRequiredError && error.challenge === "SOFTWARE_TOKEN_MFA" ? error.session : undefined;
}

/** The TOTP step of a log-in: tokens for the right code; the challenge session may be retried after a wrong one. */
export async function completeMfaLogIn(pool: Pick<UserPool, "answerSoftwareTokenChallenge">, email: string, challengeSession: string, code: string): Promise<Tokens> {
  return sessionTokens(await answerTotp(pool, email, challengeSession, code));
}

async function answerTotp(pool: Pick<UserPool, "answerSoftwareTokenChallenge">, username: string, challengeSession: string, code: string): Promise<AuthenticationResult> {
  // Cognito: CodeMismatch for a wrong code; NotAuthorized "Invalid session for the user[, session is expired]".
  return inUserTerms(pool.answerSoftwareTokenChallenge(username, challengeSession, code), {
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

/**
 * The one re-authentication of this API: proves that the signed-in user knows the password, and the
 * TOTP code when TOTP is on, before a change that a stolen access token alone must not make. Cognito
 * checks a TOTP code only inside a sign-in, so this signs in anew as the token's own user and returns
 * that session's access token.
 */
export async function reauthenticate(pool: Pick<UserPool, "passwordAuth" | "answerSoftwareTokenChallenge">, user: SignedInUser, proof: StepUp): Promise<string> {
  let result: AuthenticationResult;
  try {
    result = await pool.passwordAuth(user.username, proof.password);
  } catch (error) {
    const challengeSession = totpChallengeSession(error);
    if (!challengeSession) throw meaningOf(error, WRONG_PASSWORD);
    if (proof.code === undefined) {
      throw new Failure("validation_failed", { errors: [{ field: "code", message: "code is required: TOTP is on for this account" }], cause: error });
    }
    result = await answerTotp(pool, user.username, challengeSession, proof.code);
  }
  return result.AccessToken;
}

/** REFRESH_TOKEN_AUTH: new access and ID tokens for a refresh token that Cognito still honours. */
export async function refresh(pool: Pick<UserPool, "refreshAuth" | "hasClientSecret">, refreshToken: string, sub: string | undefined): Promise<RefreshedTokens> {
  if (pool.hasClientSecret && !sub) {
    throw new Failure("validation_failed", { errors: [{ field: "cognito_user_id", message: "cognito_user_id is required: this app client has a secret" }] });
  }
  const result = await inUserTerms(pool.refreshAuth(refreshToken, sub), { NotAuthorizedException: "invalid_refresh_token", UserNotFoundException: "invalid_refresh_token" });
  return refreshedTokens(result);
}

/**
 * Signs the user out everywhere: GlobalSignOut always runs, after which no refresh token of the user
 * works. RevokeToken for a refresh token the client sends runs beside it, best effort: whatever it
 * answers (a bad token, an app client without revocation) is in the call log and changes nothing for
 * the user, who is signed out either way. A session Cognito already ended counts as signed out.
 */
export async function logOut(pool: Pick<UserPool, "globalSignOut" | "revokeToken">, accessToken: string, refreshToken: string | undefined): Promise<void> {
  const revoked = refreshToken ? pool.revokeToken(refreshToken).catch(() => undefined) : undefined;
  try {
    await inUserTerms(pool.globalSignOut(accessToken), { NotAuthorizedException: "done" });
  } finally {
    await revoked;
  }
}
