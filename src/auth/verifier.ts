/**
 * Local, strict verification of Cognito user pool access tokens: RS256 only, a `kid` from the pool's
 * JWKS, the pool as issuer, this app client, `token_use` access, and the times with 60 s of leeway.
 */
import type { CompactJWSHeaderParameters } from "jose";
import type { Config } from "../config";
import { verifyCompactRs256 } from "./compact-jws";
import { JwtClaimInvalidError, JwtExpiredError, JwtIssuedInFutureError, JwtMalformedError, JwtNotYetValidError } from "./errors";
import { DEFAULT_JWKS_OPTIONS, inlineKeySource, remoteKeySource, type JwksOptions, type KeySource } from "./jwks";
import { VerifiedTokens } from "./verified-tokens";

export type VerifierSettings = Pick<Config, "issuer" | "clientId" | "jwksUrl" | "jwks">;

export interface VerifierOptions {
  /** The clock, in milliseconds since the epoch; also the JWKS cache's. */
  now?: () => number;
  jwks?: Partial<Omit<JwksOptions, "now">>;
  /** Verified tokens kept; about 1 KB each. */
  maxCachedTokens?: number;
}

/** Clocks of Cognito and of the Cloudflare edge may disagree by this much. */
const CLOCK_LEEWAY_SECONDS = 60;
const MAX_CACHED_TOKENS = 5_000;

export interface AccessTokenClaims {
  token_use: "access";
  client_id: string;
  sub: string;
  /** Absent on client-credentials (machine) tokens. */
  username?: string;
  /** The space-separated `scope` claim, split. */
  scopes: string[];
  /** `cognito:groups`; empty when the user is in none. */
  groups: string[];
  /** Seconds since the epoch, like every time below. */
  exp: number;
  iat: number;
  nbf?: number;
  auth_time?: number;
  jti?: string;
  origin_jti?: string;
}

export interface AccessTokenVerifier {
  /** Throws a JwtInvalidError subclass (the token is refused) or JwksUnavailableError (no key can be had). */
  verify(token: string): Promise<AccessTokenClaims>;
}

export function createAccessTokenVerifier(settings: VerifierSettings, options: VerifierOptions = {}): AccessTokenVerifier {
  const now = options.now ?? Date.now;
  const keys: KeySource =
    settings.jwks !== undefined
      ? inlineKeySource(settings.jwks)
      : remoteKeySource(settings.jwksUrl, { ...DEFAULT_JWKS_OPTIONS, ...options.jwks, now });
  const verified = new VerifiedTokens<AccessTokenClaims>(options.maxCachedTokens ?? MAX_CACHED_TOKENS);
  // `alg` is checked before a key is asked for, so a token with another alg (none, HS256 keyed
  // with the public key) never reaches the key lookup.
  const keyFor = (header: CompactJWSHeaderParameters): Promise<CryptoKey> => {
    if (typeof header.kid !== "string" || header.kid === "") throw new JwtMalformedError("The token header has no kid.");
    return keys.keyFor(header.kid);
  };

  return {
    async verify(token) {
      const nowMs = now();
      const hit = verified.get(token, nowMs / 1000);
      // Time only moves forward in production, but the checks that depend on it are re-applied anyway.
      if (hit && keys.holds(hit.kid) && timesAcceptable(hit.claims, nowMs / 1000)) return hit.claims;

      // The JWS (header, alg, key, signature); the claims are read once, below.
      const signed = await verifyCompactRs256(token, keyFor);
      const claims = accessTokenClaims(claimsSet(signed.payload), settings, nowMs);
      verified.set(token, { claims, kid: signed.protectedHeader.kid!, exp: claims.exp });
      return claims;
    },
  };
}

function timesAcceptable(claims: AccessTokenClaims, nowSeconds: number): boolean {
  return (
    nowSeconds < claims.exp &&
    (claims.nbf === undefined || claims.nbf <= nowSeconds + CLOCK_LEEWAY_SECONDS) &&
    claims.iat <= nowSeconds + CLOCK_LEEWAY_SECONDS
  );
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** The payload as a JSON object, as jwtVerify reads it (strict UTF-8). */
function claimsSet(payload: Uint8Array): Record<string, unknown> {
  let claims: unknown;
  try {
    claims = JSON.parse(utf8.decode(payload));
  } catch {
    throw new JwtMalformedError("The token is not a well-formed JWS.");
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) throw new JwtMalformedError("The token is not a well-formed JWS.");
  return claims as Record<string, unknown>;
}

/**
 * Every claim check, each once, in the order jwtVerify made them before (so a token with two faults
 * gets the same refusal): presence of iss, token_use, sub, iat and exp; the issuer; the times (60 s
 * of leeway, whole seconds for nbf and exp as jose counts them); token_use; then the claims routes
 * use, each of the type Cognito gives it: a claim of the wrong type refuses the token.
 */
function accessTokenClaims(payload: Record<string, unknown>, settings: VerifierSettings, nowMs: number): AccessTokenClaims {
  for (const name of REQUIRED_CLAIMS) if (!Object.hasOwn(payload, name)) throw new JwtClaimInvalidError(name, "missing");
  if (payload.iss !== settings.issuer) throw new JwtClaimInvalidError("iss", "unexpected");
  const nowSeconds = Math.floor(nowMs / 1000);
  const iat = payload.iat;
  if (typeof iat !== "number") throw new JwtClaimInvalidError("iat", "mistyped");
  const nbf = optional(payload, "nbf", isNumber);
  if (nbf !== undefined && nbf > nowSeconds + CLOCK_LEEWAY_SECONDS) throw new JwtNotYetValidError();
  const exp = payload.exp;
  if (typeof exp !== "number") throw new JwtClaimInvalidError("exp", "mistyped");
  if (exp <= nowSeconds - CLOCK_LEEWAY_SECONDS) throw new JwtExpiredError();
  // jose compares `iat` with now only when given a maximum token age, which Cognito does not fix.
  if (iat > nowMs / 1000 + CLOCK_LEEWAY_SECONDS) throw new JwtIssuedInFutureError();
  // An ID token is no access token: they are signed by the same key for the same client.
  if (payload.token_use !== "access") throw new JwtClaimInvalidError("token_use", "unexpected");
  const clientId = optional(payload, "client_id", isString);
  if (clientId === undefined) throw new JwtClaimInvalidError("client_id", "missing");
  if (clientId !== settings.clientId) throw new JwtClaimInvalidError("client_id", "unexpected");
  const sub = optional(payload, "sub", isString);
  if (sub === undefined) throw new JwtClaimInvalidError("sub", "missing");
  return Object.freeze({
    token_use: "access",
    client_id: clientId,
    sub,
    username: optional(payload, "username", isString),
    scopes: optional(payload, "scope", isString)?.split(" ").filter(Boolean) ?? [],
    groups: optional(payload, "cognito:groups", isStringArray) ?? [],
    exp,
    iat,
    nbf: optional(payload, "nbf", isFiniteNumber),
    auth_time: optional(payload, "auth_time", isFiniteNumber),
    jti: optional(payload, "jti", isString),
    origin_jti: optional(payload, "origin_jti", isString),
  });
}

/** In the order jwtVerify checked their presence. */
const REQUIRED_CLAIMS = ["iss", "token_use", "sub", "iat", "exp"] as const;

/** The claim, `undefined` when absent; present with another type, it refuses the token. */
function optional<T>(payload: Record<string, unknown>, name: string, isType: (value: unknown) => value is T): T | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  if (!isType(value)) throw new JwtClaimInvalidError(name, "mistyped");
  return value;
}

const isString = (value: unknown): value is string => typeof value === "string";
const isNumber = (value: unknown): value is number => typeof value === "number";
const isFiniteNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
