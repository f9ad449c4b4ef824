import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { signedInUser, type SignedInUser } from "../auth/signed-in-user";
import { createAccessTokenVerifier, type AccessTokenClaims } from "../auth/verifier";
import type { Config } from "../config";
import { Failure } from "../failures";
import { keptFor } from "../isolate";
import { readsHeaders } from "./client-headers";

export interface AuthVariables {
  /** The verified access token's claims. */
  auth: AccessTokenClaims;
  /** The user the token names, as the account flows take them. */
  user: SignedInUser;
}

/** RFC 6750 §2.1: the scheme is case-insensitive, the token a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;

/** The context requireAuth (and a route's declared rules, routes/rules.ts) reads the token from and gives the user to. */
type AuthContext = Context<{ Variables: AuthVariables & { config: Config } }>;

/**
 * Verifies the request's Cognito access token and gives routes its claims and user. One verifier,
 * with its JWKS and verified-token caches, per config, so per isolate. Once the JWKS is cached this
 * makes no network call; a token seen before costs a lookup. A refused token is the verifier's
 * error, which the error handler answers with 401 or 503.
 */
export async function authenticate(c: AuthContext): Promise<void> {
  const token = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
  if (!token) throw new Failure("invalid_token");
  const claims = await keptFor(c.get("config"), createAccessTokenVerifier).verify(token);
  c.set("auth", claims);
  c.set("user", signedInUser(token, claims));
}

/** Lets a request through only with a valid access token (authenticate). */
export const requireAuth = createMiddleware<{ Variables: AuthVariables & { config: Config } }>(async (c, next) => {
  await authenticate(c);
  await next();
});
readsHeaders(requireAuth, "authorization");
