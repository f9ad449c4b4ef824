import type { MiddlewareHandler } from "hono";
import { loadConfig } from "../config";
import { notConfigured, Problem } from "../errors";
import type { AppEnv } from "../types";
import { JwksUnavailableError, JwtInvalidError } from "./errors";
import { verifyAccessToken } from "./verifier";

/** RFC 6750 §3: the challenge a 401 carries; the error attributes are added once a token was seen. */
const CHALLENGE = 'Bearer realm="api"';

/** RFC 6750 §2.1: the scheme is case-insensitive, the token a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i;

/**
 * Lets a request through only with a valid Cognito access token, then gives routes its claims as
 * `c.var.auth` and the token as `c.var.accessToken` (for calls such as GetUser). Once the JWKS is
 * cached this makes no network call.
 */
export const requireAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const result = loadConfig(c.env);
  if (!result.ok) throw notConfigured(result.invalid, result.placeholders);
  const token = BEARER.exec(c.req.header("authorization") ?? "")?.[1];
  if (!token) {
    throw new Problem(401, "invalid_token", {
      detail: "Send an access token in the Authorization header: Bearer <token>.",
      headers: { "www-authenticate": CHALLENGE },
    });
  }
  try {
    c.set("auth", await verifyAccessToken(result.config, token));
  } catch (error) {
    throw refusal(error);
  }
  c.set("accessToken", token);
  await next();
};

/** 401 for a token that was sent but is not acceptable; `description` must be a fixed sentence without quotes. */
export function invalidToken(description: string, cause?: unknown): Problem {
  return new Problem(401, "invalid_token", {
    detail: description,
    headers: { "www-authenticate": `${CHALLENGE}, error="invalid_token", error_description="${description}"` },
    cause,
  });
}

function refusal(error: unknown): unknown {
  if (error instanceof JwtInvalidError) return invalidToken(error.message, error);
  if (error instanceof JwksUnavailableError) {
    return new Problem(503, "jwks_unavailable", {
      detail: "The keys to check the token cannot be fetched; retry later.",
      headers: { "retry-after": String(error.retryAfterSeconds) },
      cause: error,
    });
  }
  return error;
}
