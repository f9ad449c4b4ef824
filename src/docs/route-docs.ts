// How a route documents itself for the OpenAPI document. Each router's docs sit beside it
// (src/docs/routes/*.ts) and are typed by the router's own route table, so a route without docs,
// or docs for a route that does not exist, does not compile. Build-time only: not in the Worker.
import type { Hono } from "hono";
import type * as z from "zod/mini";
import type { FailureCode } from "../failures";

/** A body with its schema (the one the route validates with, or answers with) and an example, checked by a test. */
export interface BodyDoc {
  schema: z.ZodMiniType;
  example: unknown;
}

export interface RouteDoc {
  operationId: string;
  summary: string;
  /** Needs a bearer access token. */
  auth?: boolean;
  query?: Record<string, { description: string; enum?: string[] }>;
  body?: BodyDoc & { required: boolean };
  /**
   * `file`: a body that is a file of its media type (a PDF), not JSON, with the start of one as its example.
   * `events`: a text/event-stream answer, with an example of its messages (their bodies are described in `description`).
   */
  responses: Record<number, { description: string; body?: BodyDoc; file?: { mediaType: string; example: string }; events?: { example: string } }>;
  /** Every problem the route can answer; grouped by status in the document. */
  problems: readonly FailureCode[];
}

/** Docs for exactly the routes of `Router`: { "/signup": { $post: RouteDoc } }. */
// `any`: Hono's own type parameters.
export type RouterDocs<Router> = Router extends Hono<any, infer Routes, any> ? { [Path in keyof Routes]: { [Method in keyof Routes[Path]]: RouteDoc } } : never;

// Problems by where they come from, so that each route lists them as its middleware raises them.
/** Any route: an unexpected fault. */
export const ANY: FailureCode[] = ["internal_error"];
/** Every /platform route: the address's rate limit (a missing binding: misconfigured) and a configured pool (routes/platform.ts). */
export const PLATFORM: FailureCode[] = ["rate_limited", "misconfigured", "not_configured"];
/** Routes with a JSON body: the body limit, the JSON parser and the zod validator. */
export const BODY: FailureCode[] = ["malformed_json", "validation_failed", "payload_too_large", "unsupported_media_type"];
/** The signed-in user (a route's rules, or requireAuth). */
export const TOKEN: FailureCode[] = ["invalid_token", "jwks_unavailable"];
/** Any Cognito call: throttling, WAF, rejected parameters, our own setup, faults. */
export const COGNITO: FailureCode[] = [
  "rate_limited",
  "forbidden",
  "invalid_request",
  "misconfigured",
  "upstream_error",
  "upstream_unavailable",
  "upstream_timeout",
];
/** InitiateAuth: an account that cannot sign in yet. */
export const SIGN_IN: FailureCode[] = ["account_not_confirmed", "password_reset_required", "challenge_required"];

export const EXAMPLE = {
  email: "ann@example.com",
  password: "Corr3ct-Horse!",
  sub: "5e1b2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
  accessToken: "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiI1ZTFiMmMzZCIsInRva2VuX3VzZSI6ImFjY2VzcyJ9.c2lnbmF0dXJl",
  idToken: "eyJraWQiOiJrMiIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiI1ZTFiMmMzZCIsInRva2VuX3VzZSI6ImlkIn0.c2lnbmF0dXJl",
  refreshToken: "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.opaque-refresh-token",
  /** Cognito's challenge Session: opaque. */
  mfaSession: "AYABeExampleSessionOpaqueToTheClient0123456789abcdefghij",
  totpCode: "492039",
};

/** The step up (services/step-up.ts): a missing password or code, a wrong password, a wrong or used TOTP code, an account that cannot sign in. */
export const STEP_UP: FailureCode[] = ["step_up_required", "invalid_credentials", "invalid_mfa_code", "mfa_session_expired", ...SIGN_IN];

/** What the account's routes for the signed-in user can answer besides their own problems: the signed-in user, Cognito, GetUser's states. */
export const SIGNED_IN: FailureCode[] = ["invalid_token", "jwks_unavailable", "account_not_confirmed", "password_reset_required"];

export const REFRESHED_EXAMPLE = {
  access_token: EXAMPLE.accessToken,
  id_token: EXAMPLE.idToken,
  expires_in: 3600,
  token_type: "Bearer",
  cognito_user_id: EXAMPLE.sub,
};
export const TOKENS_EXAMPLE = { ...REFRESHED_EXAMPLE, refresh_token: EXAMPLE.refreshToken };
