import { isCognitoError, isLockout, isMisconfiguration } from "../cognito/errors";
import type { UserPool } from "../cognito/user-pool";
import { inUserTerms, isWrongPassword } from "./cognito-errors";
import { InvalidCredentialsError, InvalidRefreshTokenError } from "./errors";
import { refreshedTokens, sessionTokens, type RefreshedTokens, type Tokens } from "./tokens";

/** USER_PASSWORD_AUTH; a wrong password and an unknown email are the same InvalidCredentialsError. */
export async function signIn(pool: Pick<UserPool, "passwordAuth">, email: string, password: string): Promise<Tokens> {
  try {
    return sessionTokens(await pool.passwordAuth(email, password));
  } catch (error) {
    if (isWrongPassword(error)) throw new InvalidCredentialsError(undefined, { cause: error });
    throw inUserTerms(error);
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
