import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** A field-level validation error, listed in a 400 problem's `errors`. */
export interface FieldError {
  field: string;
  message: string;
}

/** Every error code this API answers with, and its RFC 9457 title. */
const TITLES = {
  validation_failed: "Request validation failed",
  malformed_json: "Malformed JSON body",
  unsupported_media_type: "Unsupported media type",
  payload_too_large: "Payload too large",
  not_found: "Not found",
  method_not_allowed: "Method not allowed",
  invalid_credentials: "Invalid credentials",
  invalid_token: "Invalid token",
  invalid_refresh_token: "Invalid refresh token",
  account_exists: "Account already exists",
  account_not_confirmed: "Account not confirmed",
  password_reset_required: "Password reset required",
  challenge_required: "Additional sign-in step required",
  forbidden: "Forbidden",
  weak_password: "Password does not meet the policy",
  invalid_code: "Invalid code",
  expired_code: "Expired code",
  invalid_request: "Invalid request",
  rate_limited: "Too many requests",
  upstream_error: "Identity provider error",
  upstream_unavailable: "Identity provider unavailable",
  upstream_timeout: "Identity provider timed out",
  jwks_unavailable: "Signing keys unavailable",
  not_configured: "Service not configured",
  misconfigured: "Service misconfigured",
  internal_error: "Internal server error",
} as const;

export type ProblemCode = keyof typeof TITLES;

/** For the documented Problem schema; pure, so the Worker bundle drops it. */
export const PROBLEM_CODES = /* @__PURE__ */ Object.keys(TITLES) as ProblemCode[];

export interface ProblemInit {
  detail: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Why it happened, for the log only: never sent to the client. */
  cause?: unknown;
}

/** An error that is answered as an RFC 9457 problem; anything else becomes a generic 500. */
export class Problem extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: ProblemCode;
  readonly detail: string;
  readonly errors?: FieldError[];
  readonly headers: Record<string, string>;

  constructor(status: ContentfulStatusCode, code: ProblemCode, init: ProblemInit) {
    super(`${code}: ${init.detail}`, { cause: init.cause });
    this.name = "Problem";
    this.status = status;
    this.code = code;
    this.detail = init.detail;
    this.errors = init.errors;
    this.headers = init.headers ?? {};
  }
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

export function problemBody(problem: Problem, requestId?: string): ProblemBody {
  return {
    type: `/problems/${problem.code.replaceAll("_", "-")}`,
    title: TITLES[problem.code],
    status: problem.status,
    detail: problem.detail,
    code: problem.code,
    ...(requestId ? { request_id: requestId } : {}),
    ...(problem.errors ? { errors: problem.errors } : {}),
  };
}

export function problemResponse(c: Context, problem: Problem): Response {
  const requestId: string | undefined = c.get("requestId");
  const headers = { ...problem.headers, "content-type": "application/problem+json", "cache-control": "no-store" };
  return c.body(JSON.stringify(problemBody(problem, requestId)), problem.status, headers);
}

/** Throttled by us or upstream: a 429 that tells the client when to come back. */
export function rateLimited(retryAfterSeconds: number, detail = "Too many requests; retry later."): Problem {
  return new Problem(429, "rate_limited", { detail, headers: { "retry-after": String(retryAfterSeconds) } });
}

export function internalError(cause?: unknown): Problem {
  return new Problem(500, "internal_error", { detail: "The server could not complete the request.", cause });
}

/**
 * Configuration missing or malformed: names the variables to set, and those still holding an example
 * value (`placeholders`, a subset of `invalid`), never their values.
 */
export function notConfigured(invalid: string[], placeholders: string[] = []): Problem {
  const unset = invalid.filter((name) => !placeholders.includes(name));
  const reasons = [
    ...(unset.length ? [`set ${unset.join(", ")}`] : []),
    ...(placeholders.length
      ? [`${placeholders.join(", ")} still ${placeholders.length === 1 ? "has the example value" : "have the example values"} from .dev.vars.example`]
      : []),
  ];
  return new Problem(503, "not_configured", {
    detail: `The service is not configured: ${reasons.join("; ")}.`,
    headers: { "retry-after": "60" },
  });
}

/** 400 listing every field at fault. */
export function invalidFields(errors: FieldError[]): Problem {
  return new Problem(400, "validation_failed", { detail: "The request has invalid or missing fields.", errors });
}
