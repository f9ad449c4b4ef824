import { claimsOfIssuedToken } from "../auth/unverified-claims";
import { IDENTITY_PROVIDER } from "../cognito/errors";
import type { AuthenticationResult } from "../cognito/user-pool";
import type { RefreshedTokensResponse, TokensResponse } from "../schemas/responses";
import { unusableAnswer } from "../upstream";

/** Shapes Cognito's AuthenticationResult for clients. */
export function refreshedTokens(result: AuthenticationResult): RefreshedTokensResponse {
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
export function sessionTokens(result: AuthenticationResult): TokensResponse {
  const tokens = refreshedTokens(result);
  if (!tokens.refresh_token) throw unusableAnswer(IDENTITY_PROVIDER, "Cognito started a session without a refresh token");
  return { ...tokens, refresh_token: tokens.refresh_token };
}
