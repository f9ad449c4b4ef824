// The only file in bench/ that imports src/: what the benchmark measures of this API. When src/
// changes shape, re-point these few exports and everything else in bench/ keeps working.
import app from "../src/index";
import { createAccessTokenVerifier, type VerifierSettings } from "../src/auth/verifier";
import { OPEN_ACCOUNT_EXAMPLE } from "../src/docs/routes/brokerage";
// The Worker's Durable Object classes: wrangler.toml binds them, so a Worker started with it must export them.
export { BrokerStreamConsumer, UserEventStreams } from "../src/index";

/** The pool and app client the tokens are for, and the JWKS (JSON text) that verifies them. */
export interface PoolSettings {
  issuer: string;
  clientId: string;
  jwksJson: string;
}

/**
 * Verifies an access token as `requireAuth` does, keys already in memory (inline JWKS), with the
 * verified-token cache: a token seen before costs a lookup, a new one a full verification.
 */
export function verifierFor(pool: PoolSettings): (token: string) => Promise<unknown> {
  const settings: VerifierSettings = { issuer: pool.issuer, clientId: pool.clientId, jwksUrl: `${pool.issuer}/.well-known/jwks.json`, jwks: pool.jwksJson };
  const verifier = createAccessTokenVerifier(settings);
  return (token) => verifier.verify(token);
}

/** The Worker's fetch handler. */
export const handler: { fetch(request: Request, env: object, ctx: ExecutionContext): Response | Promise<Response> } = app;

/** Every rate-limit binding the app reads (wrangler.toml): the bench stubs them all and counts their calls. */
export const RATE_LIMIT_BINDINGS = ["IP_RATE_LIMITER", "GUESS_RATE_LIMITER", "ACCOUNT_RATE_LIMITER", "MAIL_RATE_LIMITER", "RECIPIENT_RATE_LIMITER", "BROKERAGE_RATE_LIMITER", "TRANSFER_RATE_LIMITER", "ORDER_RATE_LIMITER", "MARKET_RATE_LIMITER"] as const;

/** The body of `POST /platform/accounts` as the API documents it (issue 17's example). */
export const OPENING_EXAMPLE: object = OPEN_ACCOUNT_EXAMPLE;
