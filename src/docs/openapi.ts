// The API's OpenAPI 3.1 document, generated from the routers and the docs each declares beside it
// (src/docs/routes/*.ts, typed by the router's own route table). Not part of the Worker bundle:
// scripts/build-assets.mjs writes it to public/openapi.json, which the deployment serves at /openapi.json.
import * as z from "zod/mini";
import { Failure, FAILURES, type FailureCode, type FieldError } from "../failures";
import { problemBody, problemType } from "../middleware/error-handler";
import { accountDataDocs } from "./routes/account-data";
import { assetDocs } from "./routes/assets";
import { loginDocs } from "./routes/login";
import { brokerageDocs } from "./routes/brokerage";
import { fundingDocs } from "./routes/funding";
import { liveEventDocs } from "./routes/live-events";
import { marketDocs } from "./routes/market";
import { mfaDocs } from "./routes/mfa";
import { passwordDocs } from "./routes/password";
import { rootDocs } from "./routes/root";
import { sessionDocs } from "./routes/session";
import { signUpDocs } from "./routes/sign-up";
import { ProblemResponse } from "../schemas/responses";
import type { RouteDoc } from "./route-docs";

type Schema = z.ZodMiniType;

/** Each router where src/index.ts and src/routes/platform.ts mount it, with its docs. */
const ROUTERS: { mount: string; tag: string; description: string; docs: Record<string, Record<string, RouteDoc>> }[] = [
  { mount: "", tag: "service", description: "The service itself", docs: rootDocs },
  { mount: "/platform", tag: "sign-up", description: "Creating an account and confirming its email", docs: signUpDocs },
  { mount: "/platform", tag: "session", description: "Log-in, the signed-in user, new tokens, log-out", docs: sessionDocs },
  { mount: "/platform", tag: "password", description: "A forgotten password: a code by mail, then a new password; or a change by the signed-in user", docs: passwordDocs },
  { mount: "/platform", tag: "mfa", description: "Authenticator-app (TOTP) multi-factor authentication", docs: mfaDocs },
  { mount: "/platform", tag: "account", description: "The signed-in user's email and the end of the account", docs: loginDocs },
  { mount: "/platform", tag: "brokerage", description: "The signed-in user's one brokerage account at the Alpaca Broker API", docs: brokerageDocs },
  { mount: "/platform", tag: "funding", description: "Bank links, ACH transfers, orders and positions of the user's own account, and its activity", docs: fundingDocs },
  { mount: "/platform", tag: "account-data", description: "The user's own account data at the Broker API: its ledger (transactions), its equity over time, its documents and KYC uploads", docs: accountDataDocs },
  { mount: "/platform", tag: "live", description: "The user's own changes (orders, transfers, bank links, the account) as they happen: a Server-Sent Events stream", docs: liveEventDocs },
  { mount: "/platform", tag: "market", description: "Prices and bars (the Market Data API), the market's clock and calendar: for signed-in users, cached at the edge", docs: marketDocs },
  { mount: "/platform", tag: "assets", description: "The asset list (synced daily from the Broker API) and the signed-in user's watchlists", docs: assetDocs },
];

export interface Operation extends RouteDoc {
  method: string;
  path: string;
  tag: string;
}

export const OPERATIONS: Operation[] = ROUTERS.flatMap(({ mount, tag, docs }) =>
  Object.entries(docs).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, doc]) => ({ ...doc, method: method.slice(1), path: mount + path, tag })),
  ),
);


/** Response headers some problems carry. */
const PROBLEM_HEADERS: Partial<Record<FailureCode, Record<string, string>>> = {
  rate_limited: { "Retry-After": "RetryAfter" },
  upstream_unavailable: { "Retry-After": "RetryAfter" },
  assets_loading: { "Retry-After": "RetryAfter" },
  jwks_unavailable: { "Retry-After": "RetryAfter" },
  not_configured: { "Retry-After": "RetryAfter" },
  invalid_token: { "WWW-Authenticate": "WwwAuthenticate" },
  invalid_ticket: { "WWW-Authenticate": "WwwAuthenticate" },
  unsupported_media_type: { "Accept-Post": "AcceptPost" },
};

const EXAMPLE_FIELD_ERRORS = [{ field: "email", message: "email must be a valid email address" }];

function jsonSchema(schema: Schema, io: "input" | "output") {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io }) as Record<string, unknown>;
  return rest;
}

/** What the Worker answers for this problem, built by the Worker's own problemBody. */
export function exampleProblem(code: FailureCode, errors?: FieldError[]): ProblemResponse {
  return problemBody(new Failure(code, { errors }), "0f8fad5b-d9cb-469f-a165-70867728950e");
}

/** One response per status: its codes listed, linked to their pages, each with an example. */
function problemResponses(codes: readonly FailureCode[]) {
  const byStatus = new Map<number, FailureCode[]>();
  for (const code of new Set(codes)) {
    const status = FAILURES[code].status;
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

/** Each problem's example once, for every code of the catalog, referred to by every response that lists it. */
function problemExamples() {
  const examples: Record<string, unknown> = {};
  for (const code of Object.keys(FAILURES) as FailureCode[]) {
    const value = exampleProblem(code, code === "validation_failed" ? EXAMPLE_FIELD_ERRORS : undefined);
    examples[code] = { summary: value.title, value };
  }
  return examples;
}

/** Hono's `/transfers/:id` as OpenAPI writes it: `/transfers/{id}`. */
export const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

/** The path's own parameters (each a segment, required), then the query's. */
function parametersOf(op: Operation) {
  const inPath = [...op.path.matchAll(/:(\w+)/g)].map(([, name]) => ({ name, in: "path", required: true, schema: { type: "string" } }));
  const inQuery = Object.entries(op.query ?? {}).map(([name, param]) => ({
    name,
    in: "query",
    required: false,
    description: param.description,
    schema: { type: "string", ...(param.enum ? { enum: param.enum } : {}) },
  }));
  return [...inPath, ...inQuery];
}

function operation(op: Operation) {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(op.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.body
        ? { content: { "application/json": { schema: jsonSchema(response.body.schema, "output"), example: response.body.example } } }
        : {}),
      ...(response.file ? { content: { [response.file.mediaType]: { schema: { type: "string", contentMediaType: response.file.mediaType }, example: response.file.example } } } : {}),
      ...(response.events ? { content: { "text/event-stream": { schema: { type: "string" }, example: response.events.example } } } : {}),
    };
  }
  return {
    operationId: op.operationId,
    tags: [op.tag],
    summary: op.summary,
    ...(op.auth ? { security: [{ bearer: [] }] } : {}),
    ...(parametersOf(op).length > 0 ? { parameters: parametersOf(op) } : {}),
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
  for (const op of OPERATIONS) (paths[openApiPath(op.path)] ??= {})[op.method] = operation(op);
  return {
    openapi: "3.1.0",
    info: {
      title: "edge-brokerage",
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
    tags: ROUTERS.map(({ tag, description }) => ({ name: tag, description })),
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
