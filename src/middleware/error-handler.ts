/**
 * The one place where an error becomes an answer: every failure of every route, whatever layer raised
 * it, is answered here as an RFC 9457 problem, from the catalog in src/failures.ts.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { JwksUnavailableError, JwtInvalidError } from "../auth/errors";
import { CognitoError } from "../cognito/errors";
import { Failure, FAILURES, type FailureCode } from "../failures";
import type { ProblemResponse } from "../schemas/responses";
import type { AccessLogVariables } from "./access-log";

/** The problem's `type`: a page of this API that explains it (/problems/invalid-code). */
export function problemType(code: FailureCode): string {
  return `/problems/${code.replaceAll("_", "-")}`;
}

export function problemBody(failure: Failure, requestId: string | undefined): ProblemResponse {
  return {
    type: problemType(failure.code),
    title: FAILURES[failure.code].title,
    status: FAILURES[failure.code].status,
    detail: failure.detail,
    code: failure.code,
    ...(requestId ? { request_id: requestId } : {}),
    ...(failure.errors ? { errors: failure.errors } : {}),
  };
}

/**
 * RFC 6750 §3: the challenge of a 401 for a bearer token; the error attributes are added once a token
 * was seen (a detail other than the catalog's). Details are fixed sentences without quotes or backslashes.
 */
function bearerChallenge(failure: Failure): string {
  if (failure.detail === FAILURES.invalid_token.detail) return 'Bearer realm="api"';
  return `Bearer realm="api", error="invalid_token", error_description="${failure.detail}"`;
}

/** Errors of the libraries below the catalog: the token library's own, and Hono's. */
function asFailure(error: unknown): Failure {
  if (error instanceof Failure) return error;
  const cause = error;
  // The verifier's messages are fixed sentences naming the failed check: safe to show and to quote.
  if (error instanceof JwtInvalidError) return new Failure("invalid_token", { detail: error.message, cause });
  if (error instanceof JwksUnavailableError) return new Failure("jwks_unavailable", { headers: { "retry-after": String(error.retryAfterSeconds) }, cause });
  if (error instanceof HTTPException && error.status === 413) return new Failure("payload_too_large", { cause });
  if (error instanceof HTTPException && error.status === 400) return new Failure("malformed_json", { cause });
  return new Failure("internal_error", { cause });
}

/** The problem as a response; its cause goes to the request's log line, never to the client. */
export function handleError<E extends { Variables: AccessLogVariables }>(error: unknown, c: Context<E>): Response {
  const failure = asFailure(error);
  const cause = failure.cause;
  c.set("failure", { code: failure.code, ...(cause ? describe(cause) : {}) });
  const headers: Record<string, string> = { ...failure.headers, "content-type": "application/problem+json", "cache-control": "no-store" };
  if (failure.code === "invalid_token") headers["www-authenticate"] = bearerChallenge(failure);
  // A 401 names the scheme that works (RFC 9110 §15.5.2): the stream also takes a bearer token.
  if (failure.code === "invalid_ticket") headers["www-authenticate"] = 'Bearer realm="api"';
  return c.body(JSON.stringify(problemBody(failure, c.get("requestId"))), FAILURES[failure.code].status as ContentfulStatusCode, headers);
}

/** Enough to debug from the log: error class, Cognito type and message; never a stack. */
function describe(cause: unknown): Record<string, string> {
  if (!(cause instanceof Error)) return { error: String(cause) };
  const upstream = cause instanceof CognitoError ? cause : cause.cause instanceof CognitoError ? cause.cause : undefined;
  return { error: cause.name, ...(upstream ? { type: upstream.type } : {}), message: (upstream ?? cause).message };
}

/** 405 with Allow for a path served with other methods, else 404. */
export function notFound(routes: readonly { path: string; method: string }[]) {
  return <E extends { Variables: AccessLogVariables }>(c: Context<E>): Response => {
    const allowed = [...new Set(routes.filter((route) => route.path === c.req.path && route.method !== "ALL").map((route) => route.method))];
    if (allowed.length === 0) return handleError(new Failure("not_found", { detail: `No route for ${c.req.method} ${c.req.path}.` }), c);
    const allow = allowed.join(", ");
    return handleError(new Failure("method_not_allowed", { detail: `${c.req.path} allows ${allow}.`, headers: { allow } }), c);
  };
}
