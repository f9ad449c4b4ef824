import { claimsOfIssuedToken } from "../auth/unverified-claims";
import { IDENTITY_PROVIDER } from "../cognito/errors";
import type { AuthenticationResult } from "../cognito/user-pool";
import { unusableAnswer } from "../upstream";

/** New tokens for a refresh token; refresh_token only when the app client rotates refresh tokens. */
export interface RefreshedTokens {
  access_token: string;
  id_token: string;
  refresh_token?: string;
  expires_in: number;
  token_type: string;
  cognito_user_id: string;
}

/** A new session, from sign-up or log-in: always with a refresh token. */
export type Tokens = RefreshedTokens & { refresh_token: string };

/** Shapes Cognito's AuthenticationResult for clients. */
export function refreshedTokens(result: AuthenticationResult): RefreshedTokens {
  const claims = claimsOfIssuedToken(result.AccessToken);
  if (!claims) throw unusableAnswer(IDENTITY_PROVIDER, "Cognito returned an access token that is not a JWT");
  if (typeof claims.sub !== "string") throw unusableAnswer(IDENTITY_PROVIDER, "Cognito returned an access token without a subject");
  const secondsLeft = typeof claims.exp === "number" ? Math.max(0, claims.exp - Math.floor(Date.now() / 1000)) : 3600;
  return {
    access_token: result.AccessToken,
    id_token: result.IdToken,
    ...(result.RefreshToken ? { refresh_token: result.RefreshToken } : {}),
    expires_in: result.ExpiresIn ?? secondsLeft,
    token_type: result.TokenType ?? "Bearer",
    cognito_user_id: claims.sub,
  };
}

/** A new session: Cognito always issues a refresh token with it. */
export function sessionTokens(result: AuthenticationResult): Tokens {
  const tokens = refreshedTokens(result);
  if (!tokens.refresh_token) throw unusableAnswer(IDENTITY_PROVIDER, "Cognito started a session without a refresh token");
  return { ...tokens, refresh_token: tokens.refresh_token };
}
