// The verifiers this API's is measured against, all with the key set already in memory. Each takes
// a token and resolves when it is accepted; a refusal throws, so a loop never times an error path.
import { CognitoJwtVerifier } from "aws-jwt-verify";
import { Hono } from "hono/tiny";
import { jwk } from "hono/jwk";
import { jwtVerify } from "jose";

/** An RSA public key as a Cognito JWKS lists it (a type alias, so that it is also a JSON object). */
export type RsaPublicJwk = { kty: "RSA"; n: string; e: string; kid: string; alg: "RS256"; use: "sig" };

export interface BenchPool {
  userPoolId: string;
  clientId: string;
  issuer: string;
  jwks: { keys: RsaPublicJwk[] };
}

export type Verify = (token: string) => Promise<unknown>;

const CLOCK_LEEWAY_SECONDS = 60;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

function base64urlBytes(part: string): Uint8Array {
  const binary = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function base64urlJson(part: string): Record<string, unknown> {
  return JSON.parse(decoder.decode(base64urlBytes(part))) as Record<string, unknown>;
}

async function importKeys(pool: BenchPool): Promise<Map<string, CryptoKey>> {
  const keys = new Map<string, CryptoKey>();
  for (const key of pool.jwks.keys) {
    keys.set(key.kid, await crypto.subtle.importKey("jwk", key, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]));
  }
  return keys;
}

/**
 * The floor: what any correct verifier must do and nothing more. Decode, one crypto.subtle.verify
 * with an imported key, and the claims a Cognito access token needs, checked by hand.
 */
function floor(pool: BenchPool, keys: Map<string, CryptoKey>): Verify {
  return async (token) => {
    const [headerPart, payloadPart, signaturePart] = token.split(".");
    if (headerPart === undefined || payloadPart === undefined || signaturePart === undefined) throw new Error("not a JWS");
    const header = base64urlJson(headerPart);
    const key = header.alg === "RS256" && typeof header.kid === "string" ? keys.get(header.kid) : undefined;
    if (!key) throw new Error("unknown key or algorithm");
    const signed = encoder.encode(`${headerPart}.${payloadPart}`);
    if (!(await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, base64urlBytes(signaturePart), signed))) throw new Error("bad signature");
    const claims = base64urlJson(payloadPart);
    const now = Date.now() / 1000;
    const valid =
      claims.iss === pool.issuer &&
      claims.token_use === "access" &&
      claims.client_id === pool.clientId &&
      typeof claims.sub === "string" &&
      typeof claims.exp === "number" &&
      claims.exp > now - CLOCK_LEEWAY_SECONDS &&
      typeof claims.iat === "number" &&
      claims.iat <= now + CLOCK_LEEWAY_SECONDS &&
      (claims.nbf === undefined || (typeof claims.nbf === "number" && claims.nbf <= now + CLOCK_LEEWAY_SECONDS));
    if (!valid) throw new Error("claims refused");
    return claims;
  };
}

/** hono/jwk as an app uses it: middleware on a route, so each check is one request through Hono. */
function honoJwkRequest(pool: BenchPool, withMiddleware: boolean): Verify {
  const app = new Hono();
  if (withMiddleware) app.use(jwk({ keys: pool.jwks.keys, alg: ["RS256"], verification: { iss: pool.issuer } }));
  app.get("/", (c) => c.text("ok"));
  return async (token) => {
    const response = await app.fetch(new Request("http://bench.local/", { headers: { authorization: `Bearer ${token}` } }));
    if (response.status !== 200) throw new Error(`hono answered ${response.status}`);
    return response.text();
  };
}

/** The floor and the alternatives, by the names the results use. */
export async function alternatives(pool: BenchPool) {
  const keys = await importKeys(pool);
  const [firstKey] = keys.values();
  if (!firstKey) throw new Error("the bench JWKS has no key");
  const aws = CognitoJwtVerifier.create({ userPoolId: pool.userPoolId, tokenUse: "access", clientId: pool.clientId });
  aws.cacheJwks(pool.jwks);
  return {
    floor: floor(pool, keys),
    "jose jwtVerify": (token: string) => jwtVerify(token, firstKey, { issuer: pool.issuer, algorithms: ["RS256"] }),
    // The same, on tokens never seen before, as "ours, first sight" gets them: a new token is memory
    // the CPU has not read yet, and a string whose hash is not computed yet.
    "jose jwtVerify, first sight": (token: string) => jwtVerify(token, firstKey, { issuer: pool.issuer, algorithms: ["RS256"] }),
    "aws-jwt-verify": (token: string) => aws.verify(token),
    "hono/jwk middleware": honoJwkRequest(pool, true),
    "hono request, no check": honoJwkRequest(pool, false),
  };
}
