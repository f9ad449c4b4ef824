/**
 * The one place where an error becomes an answer: every failure of every route, whatever layer threw
 * it, is turned into an RFC 9457 problem here, from the catalog in src/problems.ts.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { JwksUnavailableError, JwtInvalidError } from "../auth/errors";
import {
  ChallengeRequiredError,
  CognitoError,
  isCognitoError,
  isLockout,
  isMisconfiguration,
  isThrottling,
  UpstreamBadResponseError,
  UpstreamTimeoutError,
  UpstreamUnavailableError,
} from "../cognito/errors";
import { bearerChallenge, problem, problemBody, Problem, type ProblemCode } from "../problems";
import {
  AccountExistsError,
  AccountNotConfirmedError,
  ExpiredCodeError,
  InvalidCodeError,
  InvalidCredentialsError,
  InvalidMfaCodeError,
  InvalidRefreshTokenError,
  MfaCodeRequiredError,
  MfaSessionExpiredError,
  PasswordResetRequiredError,
  SessionRevokedError,
  SessionsNotEndedError,
  WeakPasswordError,
} from "../services/errors";
import type { AccessLogVariables } from "./access-log";

type ErrorClass = abstract new (...args: never[]) => Error;

/** Errors whose problem is the catalog's default for one code. */
const PLAIN: [ErrorClass, ProblemCode][] = [
  [InvalidCredentialsError, "invalid_credentials"],
  [AccountExistsError, "account_exists"],
  [AccountNotConfirmedError, "account_not_confirmed"],
  [PasswordResetRequiredError, "password_reset_required"],
  [InvalidCodeError, "invalid_code"],
  [InvalidMfaCodeError, "invalid_mfa_code"],
  [MfaSessionExpiredError, "mfa_session_expired"],
  [ExpiredCodeError, "expired_code"],
  [InvalidRefreshTokenError, "invalid_refresh_token"],
  [SessionsNotEndedError, "sessions_not_ended"],
  [UpstreamTimeoutError, "upstream_timeout"],
];

const REVOKED_SESSION = "The session has been revoked; sign in again.";

function toProblem(error: unknown): Problem {
  if (error instanceof Problem) return error;
  const cause = error;
  for (const [type, code] of PLAIN) if (error instanceof type) return problem(code, { cause });
  if (error instanceof WeakPasswordError) return problem("weak_password", { detail: error.policy, cause });
  if (error instanceof MfaCodeRequiredError) {
    return problem("validation_failed", { errors: [{ field: "code", message: "code is required: TOTP is on for this account" }], cause });
  }
  if (error instanceof SessionRevokedError) {
    return problem("invalid_token", { detail: REVOKED_SESSION, headers: { "www-authenticate": bearerChallenge(REVOKED_SESSION) }, cause });
  }
  // The verifier's messages are fixed sentences naming the failed check: safe to show and to quote.
  if (error instanceof JwtInvalidError) {
    return problem("invalid_token", { detail: error.message, headers: { "www-authenticate": bearerChallenge(error.message) }, cause });
  }
  if (error instanceof JwksUnavailableError) return problem("jwks_unavailable", { headers: { "retry-after": String(error.retryAfterSeconds) }, cause });
  if (error instanceof ChallengeRequiredError) {
    return problem("challenge_required", { detail: `Sign-in needs the ${error.challenge} step, which this API does not offer.`, cause });
  }
  if (error instanceof UpstreamUnavailableError) return problem("upstream_unavailable", { headers: { "retry-after": "5" }, cause });
  if (error instanceof UpstreamBadResponseError) return problem("upstream_error", { detail: "The identity provider gave an unusable answer.", cause });
  if (error instanceof CognitoError) return cognitoProblem(error);
  if (error instanceof HTTPException && error.status === 413) return problem("payload_too_large", { cause });
  if (error instanceof HTTPException && error.status === 400) return problem("malformed_json", { cause });
  return problem("internal_error", { cause });
}

/** A Cognito error no flow gave a meaning of its own: what it means for any request. */
function cognitoProblem(error: CognitoError): Problem {
  const cause = error;
  if (isMisconfiguration(error)) return problem("misconfigured", { cause });
  if (isLockout(error)) return problem("rate_limited", { detail: "Too many failed sign-in attempts; retry later.", headers: { "retry-after": "60" }, cause });
  // Cognito sends no Retry-After; one second lets its token bucket refill a little.
  if (isThrottling(error)) {
    return problem("rate_limited", { detail: "The identity provider is throttling requests; retry later.", headers: { "retry-after": "1" }, cause });
  }
  if (isCognitoError(error, "InvalidParameterException")) return problem("invalid_request", { cause });
  if (isCognitoError(error, "UserLambdaValidationException")) {
    return problem("invalid_request", { detail: "The request was rejected by the user pool's validation rules.", cause });
  }
  if (isCognitoError(error, "ForbiddenException")) return problem("forbidden", { cause });
  return problem("upstream_error", { cause });
}

/** The problem as a response; its cause goes to the request's log line, never to the client. */
export function handleError<E extends { Variables: AccessLogVariables }>(error: unknown, c: Context<E>): Response {
  const answer = toProblem(error);
  const cause = answer.cause ?? (answer === error ? undefined : error);
  c.set("failure", { code: answer.code, ...(cause ? describe(cause) : {}) });
  const headers = { ...answer.headers, "content-type": "application/problem+json", "cache-control": "no-store" };
  return c.body(JSON.stringify(problemBody(answer, c.get("requestId"))), answer.status, headers);
}

/** Enough to debug from the log: error class, Cognito type and message; never a stack. */
function describe(cause: unknown): Record<string, string> {
  if (!(cause instanceof Error)) return { error: String(cause) };
  const type = cause instanceof CognitoError ? cause.type : cause.cause instanceof CognitoError ? cause.cause.type : undefined;
  return { error: cause.name, ...(type ? { type } : {}), message: (cause.cause instanceof CognitoError ? cause.cause : cause).message };
}

/** 405 with Allow for a path served with other methods, else 404. */
export function notFound(routes: readonly { path: string; method: string }[]) {
  return <E extends { Variables: AccessLogVariables }>(c: Context<E>): Response => {
    const allowed = [...new Set(routes.filter((route) => route.path === c.req.path && route.method !== "ALL").map((route) => route.method))];
    if (allowed.length === 0) return handleError(problem("not_found", { detail: `No route for ${c.req.method} ${c.req.path}.` }), c);
    return handleError(
      problem("method_not_allowed", { detail: `${c.req.path} allows ${allowed.join(", ")}.`, headers: { allow: allowed.join(", ") } }),
      c,
    );
  };
}
