/**
 * Why a token was refused. Every message is a fixed sentence that names the failed check and never
 * a claim value or the token, so it is safe to log and to send as an RFC 6750 `error_description`
 * (whose grammar forbids `"` and `\`).
 */
export abstract class JwtInvalidError extends Error {}

/** Not three base64url parts, a header or payload that is not a JSON object, or no `kid`. */
export class JwtMalformedError extends JwtInvalidError {
  override name = "JwtMalformedError";
}

/** The header's `alg` is not RS256: `none`, HS256 made with the public key and the like. */
export class JwtAlgorithmNotAllowedError extends JwtInvalidError {
  override name = "JwtAlgorithmNotAllowedError";
  constructor() {
    super("The token must be signed with RS256.");
  }
}

/** The header's `kid` is in no JWKS the pool publishes, even after a refetch. */
export class JwtUnknownKeyError extends JwtInvalidError {
  override name = "JwtUnknownKeyError";
  constructor() {
    super("The token is signed with an unknown key.");
  }
}

/** The key the `kid` names cannot check an RS256 signature: shorter than 2048 bits, or not importable. */
export class JwtKeyUnusableError extends JwtInvalidError {
  override name = "JwtKeyUnusableError";
  constructor(options?: ErrorOptions) {
    super("The token is signed with a key this API does not accept.", options);
  }
}

export class JwtSignatureInvalidError extends JwtInvalidError {
  override name = "JwtSignatureInvalidError";
  constructor() {
    super("The token signature is invalid.");
  }
}

export class JwtExpiredError extends JwtInvalidError {
  override name = "JwtExpiredError";
  constructor() {
    super("The token has expired.");
  }
}

/** `nbf` is later than now, beyond the clock leeway. */
export class JwtNotYetValidError extends JwtInvalidError {
  override name = "JwtNotYetValidError";
  constructor() {
    super("The token is not valid yet.");
  }
}

/** `iat` is later than now, beyond the clock leeway: no honest issuer signs for the future. */
export class JwtIssuedInFutureError extends JwtInvalidError {
  override name = "JwtIssuedInFutureError";
  constructor() {
    super("The token is issued in the future.");
  }
}

/** A claim is missing, of the wrong type, or not the value this API accepts (iss, aud, client_id, token_use). */
export class JwtClaimInvalidError extends JwtInvalidError {
  override name = "JwtClaimInvalidError";
  readonly claim: string;

  constructor(claim: string, problem: "missing" | "mistyped" | "unexpected") {
    const what = { missing: "is missing", mistyped: "has the wrong type", unexpected: "is not the accepted value" }[problem];
    super(`The token's ${claim} claim ${what}.`);
    this.claim = claim;
  }
}

/**
 * No key can be had to check the token: the JWKS could not be fetched (down, slow, not JSON, not a
 * JWKS) and nothing usable is cached. Not the client's fault: the caller answers 503.
 */
export class JwksUnavailableError extends Error {
  override name = "JwksUnavailableError";
  /** When a new fetch will be tried. */
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, options?: ErrorOptions) {
    super(message, options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
