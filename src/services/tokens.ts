import { decodeJwt } from "jose";
import { UpstreamBadResponseError } from "../cognito/errors";
import type { AuthenticationResult } from "../cognito/user-pool";

export interface Tokens {
  access_token: string;
  id_token: string;
  refresh_token: string;
  expires_in: number;
  token_type: string;
  cognito_user_id: string;
}

/**
 * Shapes Cognito's AuthenticationResult for clients. The token came straight from Cognito over TLS,
 * so reading `sub` and `exp` without verifying the signature is safe here.
 */
export function tokensFrom(result: AuthenticationResult, refreshToken = result.RefreshToken): Tokens {
  let claims: { sub?: unknown; exp?: unknown };
  try {
    claims = decodeJwt(result.AccessToken);
  } catch (error) {
    throw new UpstreamBadResponseError("Cognito returned an access token that is not a JWT", { cause: error });
  }
  if (typeof claims.sub !== "string" || !refreshToken) {
    throw new UpstreamBadResponseError("Cognito returned tokens without a subject or refresh token");
  }
  const expiresIn = result.ExpiresIn ?? (typeof claims.exp === "number" ? Math.max(0, claims.exp - Math.floor(Date.now() / 1000)) : 3600);
  return {
    access_token: result.AccessToken,
    id_token: result.IdToken,
    refresh_token: refreshToken,
    expires_in: expiresIn,
    token_type: result.TokenType ?? "Bearer",
    cognito_user_id: claims.sub,
  };
}
