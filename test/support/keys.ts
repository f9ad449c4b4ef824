// Signing keys and Cognito-shaped tokens for the auth tests, made with jose inside workerd.
import { env } from "cloudflare:workers";
import { SignJWT, base64url, exportJWK, generateKeyPair, type JWK, type JWTPayload } from "jose";
import type { VerifierSettings } from "../../src/auth/verifier";
import { loadConfig } from "../../src/config";

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  /** The public half as the pool's JWKS lists it. */
  jwk: JWK;
}

export async function makeKey(kid = `kid-${crypto.randomUUID()}`): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

export function jwksOf(...keys: TestKey[]): { keys: JWK[] } {
  return { keys: keys.map((key) => key.jwk) };
}

/** The Worker's variables with `overrides` (a scenario's vars, COGNITO_JWKS...), parsed as the API does. */
export function verifierConfig(overrides: Record<string, unknown>): VerifierSettings {
  const result = loadConfig({ ...env, ...overrides });
  if (!result.ok) throw new Error(`test config invalid: ${result.invalid.join(", ")}`);
  return result.config;
}

const now = () => Math.floor(Date.now() / 1000);

/** Claims to change or, with any type at all, to break; `undefined` removes a claim. */
export type ClaimOverrides = Record<string, unknown>;

/** What Cognito puts in an access token, valid for an hour from now. */
export function accessClaims(config: VerifierSettings, overrides: ClaimOverrides = {}): JWTPayload {
  const sub = crypto.randomUUID();
  return {
    sub,
    iss: config.issuer,
    client_id: config.clientId,
    origin_jti: crypto.randomUUID(),
    event_id: crypto.randomUUID(),
    token_use: "access",
    scope: "aws.cognito.signin.user.admin",
    auth_time: now(),
    exp: now() + 3600,
    iat: now(),
    jti: crypto.randomUUID(),
    username: sub,
    ...overrides,
  };
}

/** What Cognito puts in an ID token, valid for an hour from now. */
export function idClaims(config: VerifierSettings, overrides: ClaimOverrides = {}): JWTPayload {
  const sub = crypto.randomUUID();
  return {
    sub,
    email_verified: true,
    iss: config.issuer,
    "cognito:username": sub,
    origin_jti: crypto.randomUUID(),
    aud: config.clientId,
    event_id: crypto.randomUUID(),
    token_use: "id",
    auth_time: now(),
    exp: now() + 3600,
    iat: now(),
    jti: crypto.randomUUID(),
    email: "someone@example.com",
    ...overrides,
  };
}

/** RS256 with the key's kid; `header` can replace or add header parameters. */
export function sign(key: TestKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: key.kid, ...header }).sign(key.privateKey);
}

/** `alg: none`: no signature at all. */
export function unsecured(kid: string, claims: JWTPayload): string {
  return `${encodeJson({ alg: "none", kid })}.${encodeJson(claims)}.`;
}

/**
 * HS256 keyed with the public key's bytes: the algorithm-confusion attack on verifiers that pass
 * whatever key the kid names to whatever alg the header names.
 */
export async function hmacWithPublicKey(key: TestKey, claims: JWTPayload): Promise<string> {
  const secret = new TextEncoder().encode(JSON.stringify(key.jwk));
  return new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: key.kid }).sign(secret);
}

function encodeJson(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}
