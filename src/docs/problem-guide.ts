// What each problem means for a client: the text of the pages its `type` URI points to
// (/problems/<code with - for _>) and of the OpenAPI examples. Typed by ProblemCode, so a new code
// does not compile until it is explained here. Build-time only: the Worker does not import it.
import type { ProblemCode } from "../problems";

export interface ProblemGuide {
  /** When the API answers with this problem. */
  when: string;
  /** What a client should do about it. */
  action: string;
}

export const PROBLEM_GUIDE: Record<ProblemCode, ProblemGuide> = {
  validation_failed: {
    when: "A field of the body or query is missing, of the wrong type or out of range. `errors` lists each field with its message.",
    action: "Fix the fields named in `errors` and send the request again. Do not retry unchanged.",
  },
  malformed_json: {
    when: "The body is not well-formed JSON.",
    action: "Send a valid JSON document (check quoting and trailing commas).",
  },
  unsupported_media_type: {
    when: "The request has a body whose Content-Type is not JSON. The answer's Accept-Post header names what is accepted.",
    action: "Send the body as JSON with `Content-Type: application/json`.",
  },
  payload_too_large: {
    when: "The body is larger than 16 KiB.",
    action: "Send a smaller body: no request of this API needs more.",
  },
  not_found: {
    when: "No route has this path, or the problem type asked for does not exist.",
    action: "Check the path against /openapi.json.",
  },
  method_not_allowed: {
    when: "The path exists but not with this method. The Allow header lists the methods it takes.",
    action: "Use one of the methods in the Allow header.",
  },
  invalid_credentials: {
    when: "Log-in with a wrong password or an email that has no account: both answer the same, so accounts cannot be discovered.",
    action: "Ask the user to check the email and password. After repeated failures, offer a password reset.",
  },
  invalid_token: {
    when: "A protected route was called without `Authorization: Bearer <access token>`, or with a token that is malformed, expired, not an access token, not from this user pool, or from a session that was signed out. The WWW-Authenticate header says which check failed.",
    action: "Get a new access token with POST /platform/refresh (or sign in again) and retry with it.",
  },
  invalid_refresh_token: {
    when: "The refresh token is malformed, expired or revoked (for example after log-out).",
    action: "Sign in again with POST /platform/login.",
  },
  account_exists: {
    when: "Sign-up with an email that already has an account (or a confirmation that would reuse another account's email).",
    action: "Log in instead, or reset the password if it is forgotten. Signing up again with the same email and password completes a sign-up that stopped half-way.",
  },
  account_not_confirmed: {
    when: "The account exists but its email address has not been confirmed yet.",
    action: "Confirm it with the emailed code (POST /platform/confirm); POST /platform/confirm/resend sends a new code.",
  },
  password_reset_required: {
    when: "The user pool requires this user to set a new password before signing in.",
    action: "Start a reset with POST /platform/password/forgot, then POST /platform/password/reset with the emailed code.",
  },
  challenge_required: {
    when: "The user pool asks for another sign-in step (such as multi-factor authentication) that this API does not offer.",
    action: "The account cannot sign in through this API; the operator must change the pool's settings for it.",
  },
  recent_sign_in_required: {
    when: "A change that could take the account over without the password (moving its email) was asked for with a token whose session began with a sign-in more than 15 minutes ago; refreshing a token keeps that time.",
    action: "Sign in again (password, and the TOTP code when it is on), then retry the change with the new access token.",
  },
  forbidden: {
    when: "Cognito refused the request, for example because a web application firewall blocked it.",
    action: "Do not retry at once; contact the operator if it persists.",
  },
  weak_password: {
    when: "The new password does not meet the user pool's policy (length, character classes) or was used recently. `detail` gives the policy's message.",
    action: "Ask the user for a password that meets the policy in `detail`.",
  },
  invalid_code: {
    when: "The confirmation or reset code is wrong, or belongs to no pending request for this email.",
    action: "Ask the user to check the code from the latest email; request a new one if needed.",
  },
  invalid_mfa_code: {
    when: "The code from the authenticator app is wrong or too old: on POST /platform/login/mfa, or with the password on DELETE /platform/mfa/totp and DELETE /platform/me. A 401, unlike `invalid_code`'s 400, because it is a sign-in credential.",
    action: "Ask for the code the app shows now and send it again; on log-in the same `session` can be retried while Cognito allows (about three minutes).",
  },
  mfa_session_expired: {
    when: "POST /platform/login/mfa with a `session` that has expired (Cognito's default is three minutes), was already used, was refused after too many wrong codes, or does not belong to the email.",
    action: "Log in again with POST /platform/login for a new session, then send the code with it.",
  },
  email_not_verified: {
    when: "A route guarded by `requireVerifiedEmail` (one that moves money) was called by a user whose email address is not verified.",
    action: "Verify the email: POST /platform/email/verify/send, then POST /platform/email/verify with the emailed code; retry after that.",
  },
  expired_code: {
    when: "The confirmation or reset code has expired.",
    action: "Request a new code (POST /platform/confirm/resend or POST /platform/password/forgot) and use it.",
  },
  invalid_request: {
    when: "Cognito rejected a parameter of the request, or the user pool's own validation rejected it.",
    action: "Check the input; retrying unchanged will fail again.",
  },
  rate_limited: {
    when: "Too many requests: from this address to this route, for this account, or Cognito is throttling.",
    action: "Wait the number of seconds in the Retry-After header, then retry.",
  },
  upstream_error: {
    when: "Cognito failed or answered something this API cannot use.",
    action: "Retry later with backoff; report the `request_id` if it persists.",
  },
  sessions_not_ended: {
    when: "A password reset or change set the new password, but signing the account out everywhere failed, so refresh tokens from before it may still work.",
    action: "The new password works: sign in with it, then call POST /platform/logout to end every session. Report the `request_id` if it persists.",
  },
  upstream_unavailable: {
    when: "Cognito cannot be reached.",
    action: "Retry after the Retry-After header's delay.",
  },
  upstream_timeout: {
    when: "Cognito did not answer in time.",
    action: "Retry with backoff. A sign-up can safely be repeated with the same email and password.",
  },
  jwks_unavailable: {
    when: "The user pool's signing keys, needed to check the access token, cannot be fetched and none are cached.",
    action: "Retry after the Retry-After header's delay.",
  },
  not_configured: {
    when: "The deployment lacks required settings; `detail` names the variables (never their values).",
    action: "Nothing a client can do: the operator must set the named variables. Retry later.",
  },
  misconfigured: {
    when: "Cognito rejected this API's own setup (app client, secret, IAM key or enabled flows). The detail is in the log only.",
    action: "Nothing a client can do: report the `request_id` to the operator.",
  },
  internal_error: {
    when: "An unexpected fault in this API.",
    action: "Retry later; report the `request_id` if it persists.",
  },
};
