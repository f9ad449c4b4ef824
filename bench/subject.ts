// The only file in bench/ that imports src/: what the benchmark measures of this API. When src/
// changes shape, re-point these few exports and everything else in bench/ keeps working.
import app from "../src/index";
import { verifyAccessToken, type VerifierConfig } from "../src/auth/verifier";

/** The pool and app client the tokens are for, and the JWKS (JSON text) that verifies them. */
export interface PoolSettings {
  issuer: string;
  clientId: string;
  jwksJson: string;
}

/** Verifies an access token as `requireAuth` does, keys already in memory (inline JWKS). */
export function verifierFor(pool: PoolSettings): (token: string) => Promise<unknown> {
  const config: VerifierConfig = { issuer: pool.issuer, clientId: pool.clientId, jwksUrl: `${pool.issuer}/.well-known/jwks.json`, jwks: pool.jwksJson };
  return (token) => verifyAccessToken(config, token);
}

/** The Worker's fetch handler. */
export const handler: { fetch(request: Request, env: object, ctx: ExecutionContext): Response | Promise<Response> } = app;

/**
 * Every rate-limit binding name the app may read: today's two and the four of the redesign. The
 * bench stubs them all, so the limiter calls are counted whichever names src/ uses.
 */
export const RATE_LIMIT_BINDINGS = [
  "IP_RATE_LIMITER",
  "EMAIL_RATE_LIMITER",
  "GUESS_RATE_LIMITER",
  "ACCOUNT_RATE_LIMITER",
  "MAIL_RATE_LIMITER",
] as const;
