import { createMiddleware } from "hono/factory";
import { createAccessTokenVerifier, type AccessTokenClaims, type AccessTokenVerifier } from "../auth/verifier";
import type { Config } from "../config";
import { bearerChallenge, problem } from "../problems";

export interface AuthVariables {
  /** The verified access token's claims. */
  auth: AccessTokenClaims;
  /** The token itself, for Cognito calls made on the user's behalf (GetUser, GlobalSignOut). */
  accessToken: string;
}

/** RFC 6750 §2.1: the scheme is case-insensitive, the token a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;

/** One verifier, with its JWKS and verified-token caches, per pool and app client in this isolate. */
const verifiers = new Map<string, AccessTokenVerifier>();

function verifierFor(config: Config): AccessTokenVerifier {
  const key = [config.issuer, config.clientId, config.jwksUrl, config.jwks ?? ""].join("\n");
  let verifier = verifiers.get(key);
  if (!verifier) {
    verifier = createAccessTokenVerifier(config);
    verifiers.set(key, verifier);
  }
  return verifier;
}

/**
 * Lets a request through only with a valid Cognito access token, and gives routes its claims and the
 * token. Once the JWKS is cached this makes no network call; a token seen before costs a lookup. A
 * refused token is the verifier's error, which the error handler answers with 401 or 503.
 */
export const requireAuth = createMiddleware<{ Variables: AuthVariables & { config: Config } }>(async (c, next) => {
  const token = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
  if (!token) throw problem("invalid_token", { headers: { "www-authenticate": bearerChallenge() } });
  c.set("auth", await verifierFor(c.get("config")).verify(token));
  c.set("accessToken", token);
  await next();
});
