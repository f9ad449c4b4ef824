// Property-based: thousands of generated requests at every route. Whatever arrives, the answer is a
// clear problem (or success), never an unexpected 5xx, never an echo of a secret. Cognito and the rate
// limiters answer inside the isolate, so that 10,000 requests take seconds, not a minute.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { accountActive, tradeAccount } from "./fixtures/broker";
import { plaidLinkTokenCreated } from "./fixtures/plaid";
import { adminGetUserResult, authenticationResult, RECORDED } from "./fixtures/cognito";
import { answerCognitoInIsolate } from "./support/cognito-in-isolate";
import { limitersInIsolate } from "./support/limiters-in-isolate";
import { accessClaims, jwksOf, makeKey, sign, verifierConfig } from "./support/keys";
import { app } from "../src/index";
import { apiWith, STRONG_PASSWORD } from "./support/worker";

const RUNS = 3_000;
const CLIENT_SECRET = "fuzz-client-secret-value";
const AWS_SECRET = "fuzz-aws-secret-access-key";
const BROKER_SECRET = "fuzz-broker-api-secret";
const PLAID_SECRET = "fuzz-plaid-secret-value";
/** 5xx answers that are correct for an upstream fault; anything else 5xx is a bug. */
const UPSTREAM_FAULT_CODES = new Set(["upstream_error", "upstream_unavailable", "upstream_timeout", "jwks_unavailable"]);

/** Every route of the app, as it registers them (a new route is fuzzed the day it is added), and two that are not routes. */
const APP_ROUTES: [string, string][] = [...new Set(app.routes.filter((route) => route.method !== "ALL").map((route) => `${route.method} ${route.path}`))].map(
  (route) => route.split(" ") as [string, string],
);
const ROUTES: [string, string][] = [...APP_ROUTES, ["PUT", "/platform/login"], ["GET", "/platform/../platform/me"]];
/** A route's `:param` segments, filled by the generator. */
const PARAM = /:\w+/g;

let vars: Record<string, unknown>;
let validToken: string;

const COGNITO = "http://cognito.fuzz.test";

/** The Worker's log lines, kept here: 10,000 of them through the test runner's console would take longer than the requests. */
const logLines: string[] = [];

beforeAll(async () => {
  for (const method of ["log", "warn", "error"] as const) {
    vi.spyOn(console, method).mockImplementation((line: unknown) => void logLines.push(String(line)));
  }
  const key = await makeKey();
  // Cognito answers each action with something plausible, a mix of successes and errors.
  answerCognitoInIsolate(COGNITO, {
    JWKS: [{ status: 200, body: jwksOf(key) }],
    SignUp: [RECORDED.usernameExists],
    AdminGetUser: [adminGetUserResult("UNCONFIRMED"), adminGetUserResult("CONFIRMED")],
    InitiateAuth: [RECORDED.wrongPassword, authenticationResult(), RECORDED.unconfirmed],
    AdminConfirmSignUp: [{ status: 200, body: {} }],
    GetUser: [{ status: 200, body: { Username: "u", UserAttributes: [] } }],
    GlobalSignOut: [{ status: 200, body: {} }],
    RevokeToken: [{ status: 200, body: {} }],
    ForgotPassword: [RECORDED.unknownUser],
    ConfirmForgotPassword: [RECORDED.codeMismatch],
    AdminUserGlobalSignOut: [{ status: 200, body: {} }],
    ConfirmSignUp: [RECORDED.expiredCode],
    ResendConfirmationCode: [RECORDED.unknownUser],
    RespondToAuthChallenge: [RECORDED.mfaCodeMismatch, authenticationResult()],
    AssociateSoftwareToken: [{ status: 200, body: { SecretCode: "JBSWY3DPEHPK3PXP" } }],
    VerifySoftwareToken: [RECORDED.enableCodeMismatch, { status: 200, body: { Status: "SUCCESS" } }],
    SetUserMFAPreference: [{ status: 200, body: {} }],
    ChangePassword: [RECORDED.wrongPassword, { status: 200, body: {} }],
    GetUserAttributeVerificationCode: [{ status: 200, body: {} }],
    VerifyUserAttribute: [RECORDED.codeMismatch, { status: 200, body: {} }],
    UpdateUserAttributes: [RECORDED.aliasExists, { status: 200, body: {} }],
    DeleteUser: [{ status: 200, body: {} }],
    // The Broker API, under the same origin; a user with a brokerage account is not generated, so
    // these answer only if a body ever passes the opening's validation.
    "POST /broker/v1/accounts": [{ status: 200, body: accountActive }],
    "GET /broker/v1/accounts": [{ status: 200, body: [] }],
    "GET /broker/v1/accounts/{id}": [{ status: 200, body: accountActive }],
    "PATCH /broker/v1/accounts/{id}": [{ status: 200, body: accountActive }],
    "POST /broker/v1/accounts/{id}/actions/close": [{ status: 204 }],
    "GET /broker/v1/trading/accounts/{id}/account": [{ status: 200, body: tradeAccount }],
    // Plaid, under the same origin: the link token needs no brokerage account.
    "POST /plaid/link/token/create": [{ status: 200, body: plaidLinkTokenCreated }],
  });
  vars = {
    COGNITO_ENDPOINT: `${COGNITO}/`,
    COGNITO_ISSUER: `${COGNITO}/pool`,
    COGNITO_USER_CLIENT_SECRET: CLIENT_SECRET,
    AWS_SECRET_ACCESS_KEY: AWS_SECRET,
    BROKER_API_URL: `${COGNITO}/broker`,
    APCA_BROKER_API_KEY: "fuzz-broker-key",
    APCA_BROKER_API_SECRET: BROKER_SECRET,
    PLAID_CLIENT_ID: "fuzz-plaid-client",
    PLAID_SECRET: PLAID_SECRET,
    PLAID_API_URL: `${COGNITO}/plaid`,
    ...limitersInIsolate(),
  };
  validToken = await sign(key, accessClaims(verifierConfig(vars)));
});

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: "binary", maxLength: 40 }), fc.constantFrom("", " ", "null", "🙂", "\u0000", "a".repeat(300)));
const email = fc.oneof(
  { arbitrary: fc.emailAddress(), weight: 4 },
  { arbitrary: text, weight: 1 },
  { arbitrary: fc.constantFrom(" Ann@Example.COM ", "a@b", "@example.com"), weight: 1 },
);
const password = fc.oneof(fc.constant(STRONG_PASSWORD), text, fc.string({ minLength: 250, maxLength: 260 }));
const fieldValue = fc.oneof(email, password, fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
const body = fc.oneof(
  fc.record({ email, password }, { requiredKeys: [] }),
  fc.record({ email, code: fc.oneof(fc.constant("123456"), text), password }, { requiredKeys: [] }),
  fc.record({ refresh_token: fc.oneof(fc.constant("r".repeat(64)), text), cognito_user_id: fc.oneof(fc.uuid(), text) }, { requiredKeys: [] }),
  fc.record(
    { email, password, code: fc.oneof(fc.constant("123456"), text), session: fc.oneof(fc.constant("AYABe".repeat(8)), text), current_password: password, new_password: password },
    { requiredKeys: [] },
  ),
  fc.dictionary(fc.string({ maxLength: 10 }), fieldValue, { maxKeys: 4 }),
  fc.jsonValue({ maxDepth: 2 }),
);
const rawBody = fc.oneof(
  { arbitrary: body.map((value) => JSON.stringify(value)), weight: 6 },
  { arbitrary: fc.oneof(text, fc.constantFrom('{"email":', "[1,2", "{}".repeat(20))), weight: 1 },
);
const contentType = fc.oneof(
  { arbitrary: fc.constantFrom("application/json", "application/json; charset=utf-8"), weight: 6 },
  { arbitrary: fc.constantFrom("text/plain", "application/x-www-form-urlencoded", "application/problem+json", undefined), weight: 1 },
);
/** Header values as clients can send them: printable ASCII. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 80 });
const authorization = fc.oneof(
  fc.constant(undefined),
  fc.constant("valid"),
  headerText.map((token) => `Bearer ${token}`),
  fc.base64String({ maxLength: 60 }).map((token) => `Bearer ${token}.${token}.${token}`),
  headerText,
);

const request = fc.record({
  route: fc.constantFrom(...ROUTES),
  param: fc.oneof(fc.uuid(), text.map(encodeURIComponent), fc.constantFrom("me", "AAPL", "..", "%2e%2e")),
  query: fc.oneof(fc.constant(""), fc.constantFrom("?fresh=true", "?fresh=maybe", "?a=1&a=2", "?%zz")),
  body: rawBody,
  contentType,
  authorization,
  requestId: fc.oneof(fc.constant(undefined), headerText),
  ip: fc.ipV4(),
});

afterAll(() => {
  vi.restoreAllMocks();
});

describe("fuzzing every route", () => {
  it(`answers ${RUNS} generated requests with no unexpected 5xx and no leak`, { timeout: 600_000 }, async () => {
    const asked = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const [method, pattern] = req.route;
        const path = pattern.replace(PARAM, req.param || "x");
        const headers = new Headers({ "cf-connecting-ip": req.ip });
        if (req.contentType) headers.set("content-type", req.contentType);
        if (req.authorization) headers.set("authorization", req.authorization === "valid" ? `Bearer ${validToken}` : req.authorization);
        if (req.requestId) headers.set("x-request-id", req.requestId);
        const hasBody = method !== "GET";
        const res = await apiWith(vars, path + req.query, { method, headers, body: hasBody ? req.body : undefined });
        asked.set(`${method} ${pattern}`, (asked.get(`${method} ${pattern}`) ?? 0) + 1);
        // A live stream (GET /platform/accounts/me/events) does not end: its answer is its status and headers.
        const answer = res.headers.get("content-type") === "text/event-stream" ? (await res.body?.cancel(), "") : await res.text();
        // Plain checks that throw, rather than expect(): ten thousand runs, a few checks each.
        const fail = (what: string) => {
          // The Worker's own log line for this request says what went wrong.
          throw new Error(`${method} ${path}: ${what}: ${res.status} ${answer.slice(0, 300)}\nlog: ${logLines.at(-1)}`);
        };
        if (res.status >= 400) {
          if (res.headers.get("content-type") !== "application/problem+json") fail("an error that is not problem+json");
          const problem = JSON.parse(answer) as { status: number; code: string; title: string; detail: string };
          if (problem.status !== res.status) fail("a problem whose status is not the response's");
          if (!(problem.title && problem.detail && problem.code)) fail("a problem without title, detail or code");
          if (res.status >= 500 && !UPSTREAM_FAULT_CODES.has(problem.code)) fail("a 5xx that is no upstream fault");
        }
        for (const secret of [CLIENT_SECRET, AWS_SECRET, BROKER_SECRET, PLAID_SECRET, "Exception", "stack"]) if (answer.includes(secret)) fail(`an answer with ${secret}`);
        if (req.body.length >= 8 && res.status >= 400 && answer.includes(req.body)) fail("an answer echoing the body");
      }),
      { numRuns: RUNS },
    );
    // Every route was asked often enough to matter (uniform over the routes: about RUNS / routes each).
    const fewest = Math.min(...ROUTES.map(([method, path]) => asked.get(`${method} ${path}`) ?? 0));
    expect(fewest).toBeGreaterThan(RUNS / ROUTES.length / 2);
    // One JSON line per request, none with a secret in it.
    expect(logLines).toHaveLength(RUNS);
    const badLines = logLines.filter((line) => {
      try {
        JSON.parse(line);
      } catch {
        return true;
      }
      return [CLIENT_SECRET, AWS_SECRET, BROKER_SECRET, PLAID_SECRET, STRONG_PASSWORD, validToken].some((secret) => line.includes(secret));
    });
    expect(badLines).toEqual([]);
  });
});
