/**
 * Every answer this API gives to a failed request: one catalog of problem codes (RFC 9457), each
 * with its HTTP status, title and default detail. Call sites name a code, never a status, so two
 * answers that must look identical cannot drift apart.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** A field-level validation error, listed in a 400 problem's `errors`. */
export interface FieldError {
  field: string;
  message: string;
}

interface ProblemDefinition {
  status: ContentfulStatusCode;
  title: string;
  detail: string;
}

export const PROBLEMS = {
  validation_failed: { status: 400, title: "Request validation failed", detail: "The request has invalid or missing fields." },
  malformed_json: { status: 400, title: "Malformed JSON body", detail: "The body is not valid JSON." },
  unsupported_media_type: { status: 415, title: "Unsupported media type", detail: "Send the body as application/json." },
  payload_too_large: { status: 413, title: "Payload too large", detail: "The body must be at most 16384 bytes." },
  not_found: { status: 404, title: "Not found", detail: "There is no such route." },
  method_not_allowed: { status: 405, title: "Method not allowed", detail: "The route does not allow this method." },
  invalid_credentials: { status: 401, title: "Invalid credentials", detail: "The email or password is incorrect." },
  invalid_token: {
    status: 401,
    title: "Invalid token",
    detail: "Send an access token in the Authorization header: Bearer <token>.",
  },
  invalid_refresh_token: {
    status: 401,
    title: "Invalid refresh token",
    detail: "The refresh token is invalid, expired or revoked; sign in again.",
  },
  account_exists: { status: 409, title: "Account already exists", detail: "An account with this email already exists." },
  account_not_confirmed: {
    status: 403,
    title: "Account not confirmed",
    detail: "The account's email address has not been confirmed.",
  },
  password_reset_required: {
    status: 403,
    title: "Password reset required",
    detail: "The password must be reset before signing in.",
  },
  challenge_required: {
    status: 403,
    title: "Additional sign-in step required",
    detail: "Sign-in needs a further step that this API does not offer.",
  },
  forbidden: { status: 403, title: "Forbidden", detail: "The identity provider refused this request." },
  recent_sign_in_required: { status: 403, title: "Recent sign-in required", detail: "Sign in again to make this change." },
  weak_password: {
    status: 400,
    title: "Password does not meet the policy",
    detail: "The password does not meet the user pool's password policy.",
  },
  invalid_code: { status: 400, title: "Invalid code", detail: "The code is not valid for this email." },
  // 401, not invalid_code's 400: a log-in step whose credential (the authenticator code) is wrong.
  invalid_mfa_code: { status: 401, title: "Invalid MFA code", detail: "The authenticator code is not valid; enter the current one." },
  mfa_session_expired: { status: 401, title: "MFA session expired", detail: "The sign-in session has expired or was used; log in again." },
  email_not_verified: { status: 403, title: "Email not verified", detail: "Verify the account's email address first." },
  expired_code: { status: 400, title: "Expired code", detail: "The code has expired; request a new one." },
  invalid_request: {
    status: 400,
    title: "Invalid request",
    detail: "The identity provider rejected a parameter of this request.",
  },
  rate_limited: { status: 429, title: "Too many requests", detail: "Too many requests; retry later." },
  upstream_error: {
    status: 502,
    title: "Identity provider error",
    detail: "The identity provider failed to complete the request.",
  },
  sessions_not_ended: {
    status: 502,
    title: "Sessions not ended",
    detail: "The password was changed, but earlier sessions could not be ended; sign in and log out to end them.",
  },
  upstream_unavailable: {
    status: 503,
    title: "Identity provider unavailable",
    detail: "The identity provider cannot be reached.",
  },
  upstream_timeout: { status: 504, title: "Identity provider timed out", detail: "The identity provider did not answer in time." },
  jwks_unavailable: {
    status: 503,
    title: "Signing keys unavailable",
    detail: "The keys to check the token cannot be fetched; retry later.",
  },
  not_configured: { status: 503, title: "Service not configured", detail: "The service is not configured." },
  misconfigured: { status: 500, title: "Service misconfigured", detail: "The service is misconfigured; the operator has been told." },
  internal_error: { status: 500, title: "Internal server error", detail: "The server could not complete the request." },
} as const satisfies Record<string, ProblemDefinition>;

export type ProblemCode = keyof typeof PROBLEMS;

export interface ProblemOptions {
  /** Replaces the catalog's default detail. */
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Why it happened, for the log only: never sent to the client. */
  cause?: unknown;
}

/** An error answered as an RFC 9457 problem by the error handler. */
export class Problem extends Error {
  override name = "Problem";
  readonly code: ProblemCode;
  readonly status: ContentfulStatusCode;
  readonly detail: string;
  readonly errors?: FieldError[];
  readonly headers: Record<string, string>;

  constructor(code: ProblemCode, options: ProblemOptions = {}) {
    const detail = options.detail ?? PROBLEMS[code].detail;
    super(`${code}: ${detail}`, { cause: options.cause });
    this.code = code;
    this.status = PROBLEMS[code].status;
    this.detail = detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

export function problem(code: ProblemCode, options?: ProblemOptions): Problem {
  return new Problem(code, options);
}

/** The problem's `type`: a page of this API that explains it (/problems/invalid-code). */
export function problemType(code: ProblemCode): string {
  return `/problems/${code.replaceAll("_", "-")}`;
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  request_id?: string;
  errors?: FieldError[];
}

export function problemBody(problem: Problem, requestId: string | undefined): ProblemBody {
  return {
    type: problemType(problem.code),
    title: PROBLEMS[problem.code].title,
    status: problem.status,
    detail: problem.detail,
    code: problem.code,
    ...(requestId ? { request_id: requestId } : {}),
    ...(problem.errors ? { errors: problem.errors } : {}),
  };
}

/**
 * RFC 6750 §3: the challenge of a 401 for a bearer token; the error attributes are added once a token
 * was seen. `description` must be a fixed sentence without quotes or backslashes.
 */
export function bearerChallenge(description?: string): string {
  return description === undefined ? 'Bearer realm="api"' : `Bearer realm="api", error="invalid_token", error_description="${description}"`;
}
