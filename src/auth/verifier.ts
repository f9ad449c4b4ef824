/**
 * Local, strict verification of Cognito user pool access tokens: RS256 only, a `kid` from the pool's
 * JWKS, the pool as issuer, this app client, `token_use` access, and the times with 60 s of leeway.
 */
import { errors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from "jose";
import type { Config } from "../config";
import {
  JwksUnavailableError,
  JwtAlgorithmNotAllowedError,
  JwtClaimInvalidError,
  JwtExpiredError,
  JwtInvalidError,
  JwtIssuedInFutureError,
  JwtKeyUnusableError,
  JwtMalformedError,
  JwtNotYetValidError,
  JwtSignatureInvalidError,
} from "./errors";
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

  return {
    async verify(token) {
      const nowSeconds = now() / 1000;
      const hit = verified.get(token, nowSeconds);
      // Time only moves forward in production, but the checks that depend on it are re-applied anyway.
      if (hit && keys.holds(hit.kid) && timesAcceptable(hit.claims, nowSeconds)) return hit.claims;

      let kid = "";
      const payload = await verifiedPayload(token, settings, now, (header) => {
        if (typeof header.kid !== "string" || header.kid === "") throw new JwtMalformedError("The token header has no kid.");
        kid = header.kid;
        return keys.keyFor({ ...header, kid });
      });
      const claims = accessTokenClaims(payload, settings.clientId);
      verified.set(token, { claims, kid, exp: claims.exp });
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

/** Signature, issuer, exp, nbf, iat and token_use checked. */
async function verifiedPayload(token: string, settings: VerifierSettings, now: () => number, keyFor: (header: JWTHeaderParameters) => Promise<CryptoKey>): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    // jose checks `alg` against `algorithms` before it asks for a key, so a token with another
    // alg (none, HS256 keyed with the public key) never reaches the key lookup.
    ({ payload } = await jwtVerify(token, keyFor, {
      algorithms: ["RS256"],
      issuer: settings.issuer,
      clockTolerance: CLOCK_LEEWAY_SECONDS,
      currentDate: new Date(now()),
      requiredClaims: ["exp", "iat", "sub", "token_use"],
    }));
  } catch (error) {
    throw invalidTokenError(error);
  }
  // jose compares `iat` with now only when given a maximum token age, which Cognito does not fix.
  if ((payload.iat as number) > now() / 1000 + CLOCK_LEEWAY_SECONDS) throw new JwtIssuedInFutureError();
  // An ID token is no access token: they are signed by the same key for the same client.
  if (payload.token_use !== "access") throw new JwtClaimInvalidError("token_use", "unexpected");
  return payload;
}

/** jose's errors, told apart by class, become ours; jose's messages can quote claim values and are not kept. */
function invalidTokenError(error: unknown): unknown {
  if (error instanceof JwtInvalidError || error instanceof JwksUnavailableError) return error;
  if (error instanceof errors.JOSEAlgNotAllowed) return new JwtAlgorithmNotAllowedError();
  if (error instanceof errors.JWSSignatureVerificationFailed) return new JwtSignatureInvalidError();
  if (error instanceof errors.JWTExpired) return new JwtExpiredError();
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === "nbf" && error.reason === "check_failed") return new JwtNotYetValidError();
    return new JwtClaimInvalidError(error.claim, error.reason === "missing" ? "missing" : error.reason === "invalid" ? "mistyped" : "unexpected");
  }
  if (error instanceof errors.JOSEError) return new JwtMalformedError("The token is not a well-formed JWS.");
  // jose refuses a key it was handed (an RSA modulus under 2048 bits) with a TypeError.
  if (error instanceof TypeError) return new JwtKeyUnusableError({ cause: error });
  return error;
}

/** The claims routes use, each of the type Cognito gives it: a claim of the wrong type refuses the token. */
function accessTokenClaims(payload: JWTPayload, clientId: string): AccessTokenClaims {
  const claim = <T>(name: string, isType: (value: unknown) => value is T): T | undefined => {
    const value = payload[name];
    if (value === undefined) return undefined;
    if (!isType(value)) throw new JwtClaimInvalidError(name, "mistyped");
    return value;
  };
  const required = (name: string): string => {
    const value = claim(name, isString);
    if (value === undefined) throw new JwtClaimInvalidError(name, "missing");
    return value;
  };
  if (required("client_id") !== clientId) throw new JwtClaimInvalidError("client_id", "unexpected");
  return Object.freeze({
    token_use: "access",
    client_id: clientId,
    sub: required("sub"),
    username: claim("username", isString),
    scopes: claim("scope", isString)?.split(" ").filter(Boolean) ?? [],
    groups: claim("cognito:groups", isStringArray) ?? [],
    exp: payload.exp as number,
    iat: payload.iat as number,
    nbf: claim("nbf", isFiniteNumber),
    auth_time: claim("auth_time", isFiniteNumber),
    jti: claim("jti", isString),
    origin_jti: claim("origin_jti", isString),
  });
}

const isString = (value: unknown): value is string => typeof value === "string";
const isFiniteNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
