import { decodeJwt } from "jose";
import { IDENTITY_PROVIDER } from "../cognito/errors";
import { unusableAnswer } from "../upstream";
import type { AuthenticationResult } from "../cognito/user-pool";
import type { RefreshedTokensResponse, TokensResponse } from "../schemas/responses";
import type * as z from "zod/mini";

/** refresh_token only when the app client rotates refresh tokens. */
export type RefreshedTokens = z.infer<typeof RefreshedTokensResponse>;
export type Tokens = z.infer<typeof TokensResponse>;

/**
 * Shapes Cognito's AuthenticationResult for clients. The token came straight from Cognito over TLS,
 * so reading `sub` and `exp` without verifying the signature is safe here.
 */
export function refreshedTokens(result: AuthenticationResult): RefreshedTokens {
  let claims: { sub?: unknown; exp?: unknown };
  try {
    claims = decodeJwt(result.AccessToken);
  } catch (error) {
    throw unusableAnswer(IDENTITY_PROVIDER, `Cognito returned an access token that is not a JWT: ${String(error)}`);
  }
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
