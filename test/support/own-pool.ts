// A user pool of the test's own: tokens signed by a test key, its JWKS and Cognito's answers scripted
// on the fake upstream, for routes that need a signed-in user and Cognito's real (recorded) answers.
import type { Reply } from "./fake-upstream";
import { accessClaims, jwksOf, makeKey, sign, verifierConfig, type ClaimOverrides } from "./keys";
import { apiWith, scenario } from "./worker";

/**
 * One signing key for every pool: an RSA key takes tens of milliseconds to make, and each pool's
 * JWKS is cached under its own scenario's URL, so sharing the key shares nothing else.
 */
const sharedKey = makeKey();

export async function ownPool(replies: Record<string, Reply[]>, claimOverrides: ClaimOverrides = {}) {
  const key = await sharedKey;
  const upstream = await scenario({ JWKS: [{ status: 200, body: jwksOf(key) }], ...replies });
  const claims = accessClaims(verifierConfig(upstream.vars), claimOverrides);
  const token = await sign(key, claims);
  return { key, upstream, token, claims, call: (path: string, init?: RequestInit) => apiWith(upstream.vars, path, init) };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
