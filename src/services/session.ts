import { ChallengeRequiredError, isCognitoError, isLockout, isMisconfiguration } from "../cognito/errors";
import type { AuthenticationResult, UserPool } from "../cognito/user-pool";
import { inUserTerms, isWrongPassword } from "./cognito-errors";
import { InvalidCredentialsError, InvalidMfaCodeError, InvalidRefreshTokenError, MfaCodeRequiredError, MfaSessionExpiredError } from "./errors";
import { refreshedTokens, sessionTokens, type RefreshedTokens, type Tokens } from "./tokens";

export type LogInOutcome = { kind: "signed_in"; tokens: Tokens } | { kind: "mfa_required"; session: string };

/** USER_PASSWORD_AUTH; a wrong password and an unknown email are the same InvalidCredentialsError. */
export async function signIn(pool: Pick<UserPool, "passwordAuth">, email: string, password: string): Promise<Tokens> {
  try {
    return sessionTokens(await pool.passwordAuth(email, password));
  } catch (error) {
    if (isWrongPassword(error)) throw new InvalidCredentialsError(undefined, { cause: error });
    throw inUserTerms(error);
  }
}

/** Log-in: the tokens, or, for a user with TOTP on, Cognito's session for the code step (POST /login/mfa). */
export async function logIn(pool: Pick<UserPool, "passwordAuth">, email: string, password: string): Promise<LogInOutcome> {
  try {
    return { kind: "signed_in", tokens: await signIn(pool, email, password) };
  } catch (error) {
    const session = totpSession(error);
    if (session) return { kind: "mfa_required", session };
    throw error;
  }
}

/** The session of Cognito's SOFTWARE_TOKEN_MFA challenge; any other challenge stays an error (403, naming it). */
function totpSession(error: unknown): string | undefined {
  return error instanceof ChallengeRequiredError && error.challenge === "SOFTWARE_TOKEN_MFA" ? error.session : undefined;
}

/** The TOTP step of a log-in: tokens for the right code; the session may be retried after a wrong one. */
export async function completeMfaLogIn(pool: Pick<UserPool, "answerSoftwareTokenChallenge">, email: string, session: string, code: string): Promise<Tokens> {
  return sessionTokens(await answerTotp(pool, email, session, code));
}

async function answerTotp(pool: Pick<UserPool, "answerSoftwareTokenChallenge">, username: string, session: string, code: string): Promise<AuthenticationResult> {
  try {
    return await pool.answerSoftwareTokenChallenge(username, session, code);
  } catch (error) {
    // Cognito: CodeMismatch for a wrong code; NotAuthorized "Invalid session for the user[, session is expired]".
    throw inUserTerms(error, {
      CodeMismatchException: InvalidMfaCodeError,
      ExpiredCodeException: InvalidMfaCodeError,
      NotAuthorizedException: MfaSessionExpiredError,
      UserNotFoundException: MfaSessionExpiredError,
    });
  }
}

/**
 * Proves that the signed-in user knows the password, and the TOTP code when TOTP is on, before a
 * change a stolen access token alone must not make (turning MFA off, deleting the account). Signs in
 * anew as `username` (the token's own) and returns that session's access token.
 */
export async function reauthenticate(
  pool: Pick<UserPool, "passwordAuth" | "answerSoftwareTokenChallenge">,
  username: string,
  password: string,
  code: string | undefined,
): Promise<string> {
  try {
    return (await pool.passwordAuth(username, password)).AccessToken;
  } catch (error) {
    const session = totpSession(error);
    if (!session) throw isWrongPassword(error) ? new InvalidCredentialsError(undefined, { cause: error }) : inUserTerms(error);
    if (code === undefined) throw new MfaCodeRequiredError(undefined, { cause: error });
    return (await answerTotp(pool, username, session, code)).AccessToken;
  }
}

/** REFRESH_TOKEN_AUTH: new access and ID tokens for a refresh token that Cognito still honours. */
export async function refresh(pool: Pick<UserPool, "refreshAuth">, refreshToken: string, sub: string | undefined): Promise<RefreshedTokens> {
  try {
    return refreshedTokens(await pool.refreshAuth(refreshToken, sub));
  } catch (error) {
    throw inUserTerms(error, { NotAuthorizedException: InvalidRefreshTokenError, UserNotFoundException: InvalidRefreshTokenError });
  }
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
    await pool.globalSignOut(accessToken);
  } catch (error) {
    if (!isCognitoError(error, "NotAuthorizedException") || isLockout(error) || isMisconfiguration(error)) throw inUserTerms(error);
  } finally {
    await revoked;
  }
}
