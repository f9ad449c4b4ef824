import { createMiddleware } from "hono/factory";
import { createAccessTokenVerifier, type AccessTokenClaims, type AccessTokenVerifier } from "../auth/verifier";
import type { Config } from "../config";
import { bearerChallenge, problem } from "../problems";
import { sessionOf, type Session } from "../services/profile";

export interface AuthVariables {
  /** The verified access token's claims. */
  auth: AccessTokenClaims;
  /** The token itself, for Cognito calls made on the user's behalf (GetUser, GlobalSignOut). */
  accessToken: string;
  /** The same as the account flows take it. */
  session: Session;
}

/** RFC 6750 §2.1: the scheme is case-insensitive, the token a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;

/**
 * One verifier, with its JWKS and verified-token caches, per config: the config is parsed once per
 * isolate (config.ts), so this is one per isolate, found without building a key on every request.
 */
const verifiers = new WeakMap<Config, AccessTokenVerifier>();

function verifierFor(config: Config): AccessTokenVerifier {
  let verifier = verifiers.get(config);
  if (!verifier) {
    verifier = createAccessTokenVerifier(config);
    verifiers.set(config, verifier);
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
  c.set("session", sessionOf(token, c.get("auth")));
  await next();
});
