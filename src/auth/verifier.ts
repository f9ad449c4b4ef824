/**
 * Local, strict verification of Cognito user pool tokens: RS256 only, a `kid` from the pool's JWKS,
 * the pool as issuer, this app client as audience, and the token kind the caller asks for.
 */
import { errors, jwtVerify, type JWTPayload } from "jose";
import type { Config } from "../config";
import {
  JwksUnavailableError,
  JwtAlgorithmNotAllowedError,
  JwtClaimInvalidError,
  JwtExpiredError,
  JwtInvalidError,
  JwtIssuedInFutureError,
  JwtMalformedError,
  JwtNotYetValidError,
  JwtSignatureInvalidError,
} from "./errors";
import { signingKey } from "./jwks";

export type VerifierConfig = Pick<Config, "issuer" | "clientId" | "jwksUrl" | "jwks">;

/** Clocks of Cognito and of the Cloudflare edge may disagree by this much. */
const CLOCK_LEEWAY_SECONDS = 60;

interface CommonClaims {
  sub: string;
  /** Seconds since the epoch, like every time below. */
  exp: number;
  iat: number;
  auth_time?: number;
  jti?: string;
  origin_jti?: string;
  /** `cognito:groups`; empty when the user is in none. */
  groups: string[];
}

export interface AccessTokenClaims extends CommonClaims {
  token_use: "access";
  client_id: string;
  /** Absent on client-credentials (machine) tokens. */
  username?: string;
  /** The space-separated `scope` claim, split. */
  scopes: string[];
}

export interface IdTokenClaims extends CommonClaims {
  token_use: "id";
  aud: string;
  /** `cognito:username`. */
  username: string;
  email?: string;
  email_verified?: boolean;
}

/** Throws a JwtInvalidError subclass (answer 401) or JwksUnavailableError (answer 503). */
export async function verifyAccessToken(config: VerifierConfig, token: string): Promise<AccessTokenClaims> {
  const claims = new Claims(await verifiedPayload(config, token, "access"));
  if (claims.requiredString("client_id") !== config.clientId) throw new JwtClaimInvalidError("client_id", "unexpected");
  return {
    token_use: "access",
    client_id: config.clientId,
    username: claims.optionalString("username"),
    scopes: claims.optionalString("scope")?.split(" ").filter(Boolean) ?? [],
    ...claims.common(),
  };
}

/** Throws a JwtInvalidError subclass (answer 401) or JwksUnavailableError (answer 503). */
export async function verifyIdToken(config: VerifierConfig, token: string): Promise<IdTokenClaims> {
  const claims = new Claims(await verifiedPayload(config, token, "id"));
  if (claims.requiredString("aud") !== config.clientId) throw new JwtClaimInvalidError("aud", "unexpected");
  return {
    token_use: "id",
    aud: config.clientId,
    username: claims.requiredString("cognito:username"),
    email: claims.optionalString("email"),
    email_verified: claims.optionalBoolean("email_verified"),
    ...claims.common(),
  };
}

/**
 * Signature, issuer, exp, nbf, iat and token_use checked. The client is the caller's to check: an
 * ID token names it in `aud`, an access token in `client_id` (it has no `aud`).
 */
async function verifiedPayload(config: VerifierConfig, token: string, tokenUse: "access" | "id"): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    // jose checks `alg` against `algorithms` before it asks for a key, so a token with another
    // alg (none, HS256 keyed with the public key) never reaches the key lookup.
    ({ payload } = await jwtVerify(token, (header) => keyFor(config, header.kid), {
      algorithms: ["RS256"],
      issuer: config.issuer,
      clockTolerance: CLOCK_LEEWAY_SECONDS,
      requiredClaims: ["exp", "iat", "sub", "token_use"],
    }));
  } catch (error) {
    throw invalidTokenError(error);
  }
  // jose compares `iat` with now only when given a maximum token age, which Cognito does not fix.
  if ((payload.iat as number) > Date.now() / 1000 + CLOCK_LEEWAY_SECONDS) throw new JwtIssuedInFutureError();
  // An ID token is no access token: they are signed by the same key for the same client.
  if (payload.token_use !== tokenUse) throw new JwtClaimInvalidError("token_use", "unexpected");
  return payload;
}

function keyFor(config: VerifierConfig, kid: unknown): Promise<CryptoKey> {
  if (typeof kid !== "string" || kid === "") throw new JwtMalformedError("The token header has no kid.");
  return signingKey(config, kid);
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
  return error;
}

/** Typed reads of a verified payload: a claim of the wrong type refuses the token rather than passing as absent. */
class Claims {
  constructor(private readonly payload: JWTPayload) {}

  common(): CommonClaims {
    return {
      sub: this.requiredString("sub"),
      exp: this.payload.exp as number,
      iat: this.payload.iat as number,
      auth_time: this.optionalNumber("auth_time"),
      jti: this.optionalString("jti"),
      origin_jti: this.optionalString("origin_jti"),
      groups: this.optionalStrings("cognito:groups") ?? [],
    };
  }

  requiredString(name: string): string {
    const value = this.optionalString(name);
    if (value === undefined) throw new JwtClaimInvalidError(name, "missing");
    return value;
  }

  optionalString(name: string): string | undefined {
    return this.optional(name, (value): value is string => typeof value === "string");
  }

  optionalNumber(name: string): number | undefined {
    return this.optional(name, (value): value is number => typeof value === "number" && Number.isFinite(value));
  }

  optionalBoolean(name: string): boolean | undefined {
    return this.optional(name, (value): value is boolean => typeof value === "boolean");
  }

  optionalStrings(name: string): string[] | undefined {
    return this.optional(name, (value): value is string[] => Array.isArray(value) && value.every((item) => typeof item === "string"));
  }

  private optional<T>(name: string, isType: (value: unknown) => value is T): T | undefined {
    const value = this.payload[name];
    if (value === undefined) return undefined;
    if (!isType(value)) throw new JwtClaimInvalidError(name, "mistyped");
    return value;
  }
}
