// The API's OpenAPI 3.1 document, generated from the same zod schemas the routes validate with.
// Not part of the Worker bundle: scripts/build-assets.mjs writes it to public/openapi.json, which
// the deployment serves as a static asset at /openapi.json.
import * as z from "zod/mini";
import type { ProblemCode } from "./errors";
import { exampleProblem, PROBLEMS } from "./problem-catalog";
import { ConfirmSignUp, Credentials, EmailOnly, Logout, Refresh, ResetPassword } from "./schemas/auth";
import {
  AcceptedResponse,
  ConfirmationRequiredResponse,
  ProblemResponse,
  ProfileResponse,
  RefreshedTokensResponse,
  TokensResponse,
} from "./schemas/responses";

type Schema = z.ZodMiniType;

/** A body with its schema and an example that a test checks against the schema. */
interface Body {
  schema: Schema;
  example: unknown;
}

export interface Operation {
  method: "get" | "post";
  path: string;
  operationId: string;
  tag: "service" | "credentials" | "session" | "recovery";
  summary: string;
  auth?: boolean;
  query?: Record<string, { description: string; enum: string[] }>;
  body?: Body & { required: boolean };
  responses: Record<number, { description: string; body?: Body }>;
  /** Every problem the route can answer; grouped by status in the document. */
  problems: ProblemCode[];
}

// Problems by where they come from, as the middleware and services raise them.
/** Any route: an unexpected fault. */
const ANY: ProblemCode[] = ["internal_error"];
/** Routes with a JSON body: requireJsonBody, bodyLimit and the zod validator. */
const BODY: ProblemCode[] = ["malformed_json", "validation_failed", "payload_too_large", "unsupported_media_type"];
/** Routes under /platform: withUserPool. */
const POOL: ProblemCode[] = ["not_configured"];
/** requireAuth. */
const TOKEN: ProblemCode[] = ["invalid_token", "jwks_unavailable"];
/** Any Cognito call, through upstreamProblem: throttling, WAF, rejected parameters, our setup, faults. */
const COGNITO: ProblemCode[] = [
  "rate_limited",
  "forbidden",
  "invalid_request",
  "misconfigured",
  "upstream_error",
  "upstream_unavailable",
  "upstream_timeout",
];
/** InitiateAuth: an account that cannot sign in yet. */
const SIGN_IN: ProblemCode[] = ["account_not_confirmed", "password_reset_required", "challenge_required"];

const EMAIL = "ann@example.com";
const PASSWORD = "Corr3ct-Horse!";
const SUB = "5e1b2c3d-4f5a-4b6c-8d7e-9f0a1b2c3d4e";
const ACCESS_TOKEN = "eyJraWQiOiJrMSIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiI1ZTFiMmMzZCIsInRva2VuX3VzZSI6ImFjY2VzcyJ9.c2lnbmF0dXJl";
const ID_TOKEN = "eyJraWQiOiJrMiIsImFsZyI6IlJTMjU2In0.eyJzdWIiOiI1ZTFiMmMzZCIsInRva2VuX3VzZSI6ImlkIn0.c2lnbmF0dXJl";
const REFRESH_TOKEN = "eyJjdHkiOiJKV1QiLCJlbmMiOiJBMjU2R0NNIiwiYWxnIjoiUlNBLU9BRVAifQ.opaque-refresh-token";
const CODE_SENT = { message: "If an account exists for this email, a code has been sent to it." };
const REFRESHED = { access_token: ACCESS_TOKEN, id_token: ID_TOKEN, expires_in: 3600, token_type: "Bearer", cognito_user_id: SUB };
const TOKENS = { ...REFRESHED, refresh_token: REFRESH_TOKEN };

export const OPERATIONS: Operation[] = [
  {
    method: "get",
    path: "/",
    operationId: "liveness",
    tag: "service",
    summary: "Liveness",
    responses: { 200: { description: "Running", body: { schema: z.object({ message: z.string() }), example: { message: "Server is running" } } } },
    problems: ANY,
  },
  {
    method: "post",
    path: "/platform/signup",
    operationId: "signUp",
    tag: "credentials",
    summary: "Create an account, confirm it and sign in; called again with the same password it completes a half-finished sign-up",
    body: { schema: Credentials, required: true, example: { email: EMAIL, password: PASSWORD } },
    responses: {
      201: { description: "Signed up and signed in", body: { schema: TokensResponse, example: TOKENS } },
      202: {
        description: "With AUTO_CONFIRM=false: a confirmation code was sent",
        body: {
          schema: ConfirmationRequiredResponse,
          example: { status: "confirmation_required", code_delivery: { medium: "EMAIL", destination: "a***@example.com" } },
        },
      },
    },
    // NotAuthorized from SignUp or a racing first log-in maps to invalid_credentials.
    problems: [...BODY, ...POOL, ...COGNITO, "weak_password", "account_exists", "invalid_credentials", ...SIGN_IN, ...ANY],
  },
  {
    method: "post",
    path: "/platform/login",
    operationId: "logIn",
    tag: "credentials",
    summary: "Sign in with email and password",
    body: { schema: Credentials, required: true, example: { email: EMAIL, password: PASSWORD } },
    responses: { 200: { description: "Signed in", body: { schema: TokensResponse, example: TOKENS } } },
    problems: [...BODY, ...POOL, ...COGNITO, "invalid_credentials", ...SIGN_IN, ...ANY],
  },
  {
    method: "get",
    path: "/platform/me",
    operationId: "me",
    tag: "session",
    summary: "The signed-in user; email from Cognito, cached for a minute",
    auth: true,
    query: { fresh: { description: "true skips the one-minute cache", enum: ["true", "false"] } },
    responses: {
      200: {
        description: "The user",
        body: {
          schema: ProfileResponse,
          example: { sub: SUB, email: EMAIL, email_verified: false, username: SUB, groups: [], token_expires_at: "2026-11-26T07:00:00.000Z" },
        },
      },
    },
    problems: ["validation_failed", ...POOL, ...TOKEN, ...COGNITO, "account_not_confirmed", "password_reset_required", ...ANY],
  },
  {
    method: "post",
    path: "/platform/refresh",
    operationId: "refresh",
    tag: "session",
    summary: "New access and ID tokens for a refresh token",
    body: { schema: Refresh, required: true, example: { refresh_token: REFRESH_TOKEN, cognito_user_id: SUB } },
    responses: { 200: { description: "New tokens", body: { schema: RefreshedTokensResponse, example: REFRESHED } } },
    problems: [...BODY, ...POOL, ...COGNITO, "invalid_refresh_token", ...SIGN_IN, ...ANY],
  },
  {
    method: "post",
    path: "/platform/logout",
    operationId: "logOut",
    tag: "session",
    summary: "Sign out everywhere (GlobalSignOut), and revoke the given refresh token",
    auth: true,
    body: { schema: Logout, required: false, example: { refresh_token: REFRESH_TOKEN } },
    responses: { 204: { description: "Signed out" } },
    problems: [...BODY, ...POOL, ...TOKEN, ...COGNITO, "account_not_confirmed", "password_reset_required", ...ANY],
  },
  {
    method: "post",
    path: "/platform/password/forgot",
    operationId: "forgotPassword",
    tag: "recovery",
    summary: "Email a password reset code; the same answer whether or not the email has an account",
    body: { schema: EmailOnly, required: true, example: { email: EMAIL } },
    responses: { 202: { description: "A code was sent if the account exists", body: { schema: AcceptedResponse, example: CODE_SENT } } },
    problems: [...BODY, ...POOL, ...COGNITO, ...ANY],
  },
  {
    method: "post",
    path: "/platform/password/reset",
    operationId: "resetPassword",
    tag: "recovery",
    summary: "Set a new password with the emailed code",
    body: { schema: ResetPassword, required: true, example: { email: EMAIL, code: "123456", password: "N3w-Horse-Battery!" } },
    responses: { 204: { description: "Password changed" } },
    problems: [...BODY, ...POOL, ...COGNITO, "invalid_code", "expired_code", "weak_password", ...ANY],
  },
  {
    method: "post",
    path: "/platform/confirm",
    operationId: "confirmSignUp",
    tag: "recovery",
    summary: "Confirm a sign-up with the emailed code",
    body: { schema: ConfirmSignUp, required: true, example: { email: EMAIL, code: "123456" } },
    responses: { 204: { description: "Confirmed" } },
    // account_exists: Cognito's AliasExists, the email already confirmed on another account.
    problems: [...BODY, ...POOL, ...COGNITO, "invalid_code", "expired_code", "account_exists", ...ANY],
  },
  {
    method: "post",
    path: "/platform/confirm/resend",
    operationId: "resendConfirmationCode",
    tag: "recovery",
    summary: "Send the confirmation code again; the same answer whether or not the email has an account",
    body: { schema: EmailOnly, required: true, example: { email: EMAIL } },
    responses: { 202: { description: "A code was sent if the account is pending", body: { schema: AcceptedResponse, example: CODE_SENT } } },
    problems: [...BODY, ...POOL, ...COGNITO, ...ANY],
  },
];

const TAGS = [
  { name: "service", description: "The service itself" },
  { name: "credentials", description: "Sign-up and log-in: each answers a new session's tokens" },
  { name: "session", description: "The signed-in user, new tokens, log-out" },
  { name: "recovery", description: "Emailed codes: password reset and sign-up confirmation" },
];

/** Response headers some problems carry. */
const PROBLEM_HEADERS: Partial<Record<ProblemCode, Record<string, string>>> = {
  rate_limited: { "Retry-After": "RetryAfter" },
  upstream_unavailable: { "Retry-After": "RetryAfter" },
  jwks_unavailable: { "Retry-After": "RetryAfter" },
  not_configured: { "Retry-After": "RetryAfter" },
  invalid_token: { "WWW-Authenticate": "WwwAuthenticate" },
  unsupported_media_type: { "Accept-Post": "AcceptPost" },
};

const EXAMPLE_FIELD_ERRORS = [{ field: "email", message: "email must be a valid email address" }];

function jsonSchema(schema: Schema, io: "input" | "output") {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io }) as Record<string, unknown>;
  return rest;
}

export function problemType(code: ProblemCode): string {
  return exampleProblem(code).type;
}

/** One response per status: its codes listed, linked to their pages, each with an example. */
function problemResponses(codes: ProblemCode[]) {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of new Set(codes)) {
    const status = PROBLEMS[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, unknown> = {};
  for (const [status, group] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers = Object.fromEntries(
      group.flatMap((code) => Object.entries(PROBLEM_HEADERS[code] ?? {})).map(([name, ref]) => [name, { $ref: `#/components/headers/${ref}` }]),
    );
    responses[status] = {
      description: group.map((code) => `[${code}](${problemType(code)}): ${exampleProblem(code).title}`).join("; "),
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      content: {
        "application/problem+json": {
          schema: { allOf: [{ $ref: "#/components/schemas/Problem" }, { properties: { status: { const: status }, code: { enum: group } } }] },
          examples: Object.fromEntries(group.map((code) => [code, { $ref: `#/components/examples/${code}` }])),
        },
      },
    };
  }
  return responses;
}

/** Each problem's example once, referred to by every response that lists it. */
function problemExamples() {
  const examples: Record<string, unknown> = {};
  for (const code of new Set(OPERATIONS.flatMap((op) => op.problems))) {
    const value = exampleProblem(code, code === "validation_failed" ? EXAMPLE_FIELD_ERRORS : undefined);
    examples[code] = { summary: value.title, value };
  }
  return examples;
}

function operation(op: Operation) {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(op.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.body
        ? { content: { "application/json": { schema: jsonSchema(response.body.schema, "output"), example: response.body.example } } }
        : {}),
    };
  }
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(op.auth ? { security: [{ bearer: [] }] } : {}),
    ...(op.query
      ? {
          parameters: Object.entries(op.query).map(([name, param]) => ({
            name,
            in: "query",
            required: false,
            description: param.description,
            schema: { type: "string", enum: param.enum },
          })),
        }
      : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required,
            content: { "application/json": { schema: jsonSchema(op.body.schema, "input"), example: op.body.example } },
          },
        }
      : {}),
    responses: { ...responses, ...problemResponses(op.problems) },
  };
}

export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) (paths[op.path] ??= {})[op.method] = operation(op);
  return {
    openapi: "3.1.0",
    info: {
      title: "edge-auth-api",
      version: "0.1.0",
      description: [
        "Sign-up, log-in and token checks for a brokerage platform at the edge, in front of Amazon Cognito.",
        "",
        "Every error is `application/problem+json` (RFC 9457) with a stable `code`; its `type` links to a page saying when it happens and what to do ([all problem types](/problems/)).",
        "Every answer carries `X-Request-Id`; a path that does not exist answers 404 `not_found`, a known path with another method 405 `method_not_allowed` with `Allow`.",
      ].join("\n"),
    },
    // Relative: resolved against where this document is served, so one document fits `npm run dev`,
    // the workers.dev URL and any custom domain.
    servers: [{ url: "/", description: "The origin serving this document" }],
    tags: TAGS,
    paths,
    components: {
      schemas: { Problem: jsonSchema(ProblemResponse, "output") },
      examples: problemExamples(),
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A Cognito access token" } },
      headers: {
        RetryAfter: { description: "Seconds to wait before retrying", schema: { type: "integer", minimum: 0 } },
        WwwAuthenticate: { description: 'RFC 6750 challenge, e.g. `Bearer realm="api", error="invalid_token"`', schema: { type: "string" } },
        AcceptPost: { description: "The media type a body must have", schema: { type: "string", const: "application/json" } },
      },
    },
  };
}
