// The API's OpenAPI 3.1 document, generated from the same zod schemas the routes validate with.
// Not part of the Worker bundle: `npm run openapi` writes docs/openapi.json, and a test keeps it current.
import * as z from "zod/mini";
import { ConfirmSignUp, Credentials, EmailOnly, Logout, Refresh, ResetPassword } from "./schemas/requests";
import {
  AcceptedResponse,
  ConfirmationRequiredResponse,
  ProblemResponse,
  ProfileResponse,
  RefreshedTokensResponse,
  TokensResponse,
} from "./schemas/responses";

type Schema = z.ZodMiniType;

interface Operation {
  method: "get" | "post";
  path: string;
  summary: string;
  auth?: boolean;
  query?: Record<string, { description: string; enum: string[] }>;
  body?: { schema: Schema; required: boolean };
  responses: Record<number, { description: string; schema?: Schema }>;
  errors: number[];
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: "Invalid input: malformed JSON, missing or invalid fields (listed in `errors`), or a bad code",
  401: "Wrong credentials, or a missing, invalid or revoked token (with WWW-Authenticate)",
  403: "Account not confirmed, password reset required, or another sign-in step needed",
  405: "Method not allowed (with Allow)",
  409: "An account with this email already exists",
  413: "Body larger than 16 KiB",
  415: "Body is not application/json",
  429: "Rate limited, here or by Cognito (with Retry-After)",
  500: "The service is misconfigured (details in the log only)",
  502: "Cognito failed or answered something unusable",
  503: "Cognito or its JWKS unreachable, or the service not configured (with Retry-After)",
  504: "Cognito did not answer in time",
};

const UPSTREAM = [429, 500, 502, 503, 504];
const BODY = [400, 413, 415];

export const OPERATIONS: Operation[] = [
  { method: "get", path: "/", summary: "Liveness", responses: { 200: { description: "Running", schema: z.object({ message: z.string() }) } }, errors: [] },
  {
    method: "post",
    path: "/platform/signup",
    summary: "Create an account, confirm it and sign in; called again with the same password it completes a half-finished sign-up",
    body: { schema: Credentials, required: true },
    responses: {
      201: { description: "Signed up and signed in", schema: TokensResponse },
      202: { description: "With AUTO_CONFIRM=false: a confirmation code was sent", schema: ConfirmationRequiredResponse },
    },
    errors: [...BODY, 409, ...UPSTREAM],
  },
  {
    method: "post",
    path: "/platform/login",
    summary: "Sign in with email and password",
    body: { schema: Credentials, required: true },
    responses: { 200: { description: "Signed in", schema: TokensResponse } },
    errors: [...BODY, 401, 403, ...UPSTREAM],
  },
  {
    method: "get",
    path: "/platform/me",
    summary: "The signed-in user; email from Cognito, cached for a minute",
    auth: true,
    query: { fresh: { description: "true skips the one-minute cache", enum: ["true", "false"] } },
    responses: { 200: { description: "The user", schema: ProfileResponse } },
    errors: [400, 401, ...UPSTREAM],
  },
  {
    method: "post",
    path: "/platform/refresh",
    summary: "New access and ID tokens for a refresh token",
    body: { schema: Refresh, required: true },
    responses: { 200: { description: "New tokens", schema: RefreshedTokensResponse } },
    errors: [...BODY, 401, ...UPSTREAM],
  },
  {
    method: "post",
    path: "/platform/logout",
    summary: "Sign out everywhere (GlobalSignOut), and revoke the given refresh token",
    auth: true,
    body: { schema: Logout, required: false },
    responses: { 204: { description: "Signed out" } },
    errors: [...BODY, 401, ...UPSTREAM],
  },
  {
    method: "post",
    path: "/platform/password/forgot",
    summary: "Email a password reset code; the same answer whether or not the email has an account",
    body: { schema: EmailOnly, required: true },
    responses: { 202: { description: "A code was sent if the account exists", schema: AcceptedResponse } },
    errors: [...BODY, ...UPSTREAM],
  },
  {
    method: "post",
    path: "/platform/password/reset",
    summary: "Set a new password with the emailed code",
    body: { schema: ResetPassword, required: true },
    responses: { 204: { description: "Password changed" } },
    errors: [...BODY, ...UPSTREAM],
  },
  {
    method: "post",
    path: "/platform/confirm",
    summary: "Confirm a sign-up with the emailed code",
    body: { schema: ConfirmSignUp, required: true },
    responses: { 204: { description: "Confirmed" } },
    errors: [...BODY, 409, ...UPSTREAM],
  },
  {
    method: "post",
    path: "/platform/confirm/resend",
    summary: "Send the confirmation code again; the same answer whether or not the email has an account",
    body: { schema: EmailOnly, required: true },
    responses: { 202: { description: "A code was sent if the account is pending", schema: AcceptedResponse } },
    errors: [...BODY, ...UPSTREAM],
  },
];

function jsonSchema(schema: Schema, io: "input" | "output") {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io }) as Record<string, unknown>;
  return rest;
}

function operation(op: Operation) {
  const problem = { $ref: "#/components/schemas/Problem" };
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(op.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.schema ? { content: { "application/json": { schema: jsonSchema(response.schema, "output") } } } : {}),
    };
  }
  for (const status of op.errors) {
    responses[status] = { description: ERROR_DESCRIPTIONS[status], content: { "application/problem+json": { schema: problem } } };
  }
  return {
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
      ? { requestBody: { required: op.body.required, content: { "application/json": { schema: jsonSchema(op.body.schema, "input") } } } }
      : {}),
    responses,
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
      description: "Sign-up, log-in and token checks for a brokerage platform at the edge, in front of Amazon Cognito.",
    },
    paths,
    components: {
      schemas: { Problem: jsonSchema(ProblemResponse, "output") },
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A Cognito access token" } },
    },
  };
}
