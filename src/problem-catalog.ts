// Status and a typical detail for every problem code, for the docs only (OpenAPI examples, problem
// pages); the Worker does not import it. Stands in until src/problems.ts's PROBLEMS carries status,
// title and detail per code: then use that instead and delete this file.
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { Problem, problemBody, type FieldError, type ProblemBody, type ProblemCode } from "./errors";

export const PROBLEMS: Record<ProblemCode, { status: ContentfulStatusCode; detail: string }> = {
  validation_failed: { status: 400, detail: "The request has invalid or missing fields." },
  malformed_json: { status: 400, detail: "The body is not valid JSON." },
  unsupported_media_type: { status: 415, detail: "Send the body as application/json." },
  payload_too_large: { status: 413, detail: "The body must be at most 16384 bytes." },
  not_found: { status: 404, detail: "No route for GET /platform/nowhere." },
  method_not_allowed: { status: 405, detail: "/platform/login allows POST." },
  invalid_credentials: { status: 401, detail: "The email or password is incorrect." },
  invalid_token: { status: 401, detail: "Send an access token in the Authorization header: Bearer <token>." },
  invalid_refresh_token: { status: 401, detail: "The refresh token is invalid, expired or revoked; sign in again." },
  account_exists: { status: 409, detail: "An account with this email already exists." },
  account_not_confirmed: { status: 403, detail: "The account's email address has not been confirmed." },
  password_reset_required: { status: 403, detail: "The password must be reset before signing in." },
  challenge_required: { status: 403, detail: "Sign-in needs the SOFTWARE_TOKEN_MFA step, which this API does not offer." },
  forbidden: { status: 403, detail: "The identity provider refused this request." },
  weak_password: { status: 400, detail: "Password did not conform with policy: Password must have uppercase characters" },
  invalid_code: { status: 400, detail: "The code is not valid for this email." },
  expired_code: { status: 400, detail: "The code has expired; request a new one." },
  invalid_request: { status: 400, detail: "The identity provider rejected a parameter of this request." },
  rate_limited: { status: 429, detail: "Too many requests from this address; retry later." },
  upstream_error: { status: 502, detail: "The identity provider failed to complete the request." },
  upstream_unavailable: { status: 503, detail: "The identity provider cannot be reached." },
  upstream_timeout: { status: 504, detail: "The identity provider did not answer in time." },
  jwks_unavailable: { status: 503, detail: "The keys to check the token cannot be fetched; retry later." },
  not_configured: { status: 503, detail: "The service is not configured: set USER_POOL_ID." },
  misconfigured: { status: 500, detail: "The service is misconfigured; the operator has been told." },
  internal_error: { status: 500, detail: "The server could not complete the request." },
};

/** What the Worker answers for this problem, built by the Worker's own problemBody. */
export function exampleProblem(code: ProblemCode, errors?: FieldError[]): ProblemBody {
  const { status, detail } = PROBLEMS[code];
  return problemBody(new Problem(status, code, { detail, errors }), "0f8fad5b-d9cb-469f-a165-70867728950e");
}
