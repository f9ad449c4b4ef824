// Helpers for tests running inside workerd: call the Worker, script the fake upstream, make users.
import { env, exports } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { expect } from "vitest";
import * as z from "zod/mini";
import { inject } from "vitest";
import { challengeSeal } from "../../src/auth/challenge-session";
import { app } from "../../src/index";
import { OPERATIONS } from "../../src/docs/openapi";
import { FAILURES } from "../../src/failures";
import { ProblemResponse } from "../../src/schemas/responses";
import type { Reply, RecordedCall } from "./fake-upstream";
import { testRuntime } from "./timeouts";

export const BASE = "http://api.test";
/** Meets Cognito's default policy: upper, lower, number, symbol, 8+. */
export const STRONG_PASSWORD = "Corr3ct-Horse!";

const vars = env as unknown as Record<string, string>;

/** A challenge session as POST /platform/login gives it: Cognito's, sealed to `email` by the Worker's key. */
export function sealedSession(email: string, session: string): Promise<string> {
  return challengeSeal(vars.AWS_SECRET_ACCESS_KEY!).seal(email, session);
}

export function uniqueEmail(tag = "user"): string {
  return `${tag}-${crypto.randomUUID().slice(0, 12)}@example.com`;
}

/** A fresh client address per request, so the per-IP rate limit only bites in the tests about it. */
function withClientIp(init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  if (!headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", randomIp());
  return { ...init, headers };
}

export function randomIp(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return `10.${bytes[0]}.${bytes[1]}.${bytes[2]}`;
}

/**
 * Checked on every response a test gets: no AWS or Broker API key, no password the request carried, no Cognito
 * exception name. Holds for the whole test run, whatever a test itself asserts.
 */
async function neverLeaks(res: Response, init: RequestInit | undefined, env: Record<string, unknown> = vars): Promise<Response> {
  // A live stream does not end, so it is not read here: its messages are the bodies the GET routes answer, checked there.
  if (res.headers.get("content-type") === "text/event-stream") return res;
  const text = await res.clone().text();
  const secrets = [env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.APCA_BROKER_API_KEY, env.APCA_BROKER_API_SECRET];
  const forbidden = [...secrets, passwordIn(init?.body)].filter(
    (value): value is string => typeof value === "string" && value.length >= 8,
  );
  for (const value of forbidden) if (text.includes(value)) throw new Error(`response leaks a secret: ${res.status} ${text.slice(0, 200)}`);
  if (/[A-Z]\w+Exception/.test(text)) throw new Error(`response names a Cognito exception: ${res.status} ${text.slice(0, 200)}`);
  return res;
}

function passwordIn(body: unknown): string | undefined {
  if (typeof body !== "string") return undefined;
  try {
    const password = (JSON.parse(body) as { password?: unknown }).password;
    return typeof password === "string" ? password : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Also checked on every response: a problem has the status the docs give its code, and a documented
 * route answers only problems /openapi.json lists for it; a 2xx JSON body of a documented route is
 * the schema /openapi.json gives for its status, with no field it does not name.
 */
async function asDocumented(res: Response, path: string, init: RequestInit | undefined): Promise<Response> {
  const method = (init?.method ?? "GET").toLowerCase();
  const route = new URL(path, BASE).pathname;
  const operation = OPERATIONS.find((op) => op.method === method && pathPattern(op.path).test(route));
  const type = res.headers.get("content-type");
  if (type?.split(";")[0] === "application/json" && res.ok && operation) {
    const documented = operation.responses[res.status]?.body;
    if (!documented) throw new Error(`${method.toUpperCase()} ${route} answered ${res.status} with a JSON body, which /openapi.json does not document`);
    const body: unknown = await res.clone().json();
    const unlike = unlikeSchema(documented.schema, body);
    if (unlike) throw new Error(`${method.toUpperCase()} ${route} answered ${res.status} with a body unlike its documented schema: ${unlike}`);
  }
  if (type !== "application/problem+json") return res;
  const { code, status } = (await res.clone().json()) as ProblemResponse;
  if (FAILURES[code].status !== status) throw new Error(`${code} answered with ${status}, documented as ${FAILURES[code].status}`);
  if (operation && !operation.problems.includes(code)) throw new Error(`${method.toUpperCase()} ${route} answered ${code}, which /openapi.json does not list for it`);
  return res;
}

/**
 * Why `body` is not what `schema` documents, or undefined. The document's objects allow no other
 * property (additionalProperties: false), where zod's parse would drop one: a field the parse dropped
 * is named too.
 */
export function unlikeSchema(schema: z.ZodMiniType, body: unknown): string | undefined {
  const parsed = z.safeParse(schema, body);
  if (!parsed.success) return few(parsed.error.issues.map((issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`));
  const undocumented = (sent: unknown, kept: unknown, at: string): string[] => {
    if (Array.isArray(sent) && Array.isArray(kept)) return sent.flatMap((item, index) => undocumented(item, kept[index], `${at}${index}.`));
    if (typeof sent !== "object" || sent === null || typeof kept !== "object" || kept === null) return [];
    return Object.entries(sent).flatMap(([name, value]) => (name in kept ? undocumented(value, (kept as Record<string, unknown>)[name], `${at}${name}.`) : [`${at}${name}`]));
  };
  const extra = undocumented(body, parsed.data, "");
  return extra.length > 0 ? `undocumented field${extra.length > 1 ? "s" : ""} ${few(extra)}` : undefined;
}

/** The first few of a list, and how many more: a page of 50 wrong rows names 3. */
const few = (items: string[]) => items.slice(0, 3).join("; ") + (items.length > 3 ? ` and ${items.length - 3} more` : "");

/** A documented path as a pattern: Hono's `:param` segments match any one segment. */
function pathPattern(path: string): RegExp {
  return new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/:\w+/g, "[^/]+")}$`);
}

/** Through the Worker's real fetch handler, with the bindings from wrangler.toml and the emulator. */
export async function api(path: string, init?: RequestInit): Promise<Response> {
  return asDocumented(await neverLeaks(await exports.default.fetch(new Request(BASE + path, withClientIp(init))), init), path, init);
}

export function jsonInit(body: unknown, init: RequestInit = {}): RequestInit {
  return { method: "POST", ...init, headers: { "content-type": "application/json", ...init.headers }, body: JSON.stringify(body) };
}

export function postJson(path: string, body: unknown, init?: RequestInit): Promise<Response> {
  return api(path, jsonInit(body, init));
}

/**
 * One env per overrides object, as workerd keeps one env per isolate: the config is then parsed
 * once, and the Cognito client made once, for all the requests a test sends with the same overrides.
 */
const envs = new WeakMap<object, Record<string, unknown>>();

export function envWith(overrides: Record<string, unknown>): Record<string, unknown> {
  let merged = envs.get(overrides);
  if (!merged) {
    merged = { ...vars, ...overrides };
    for (const [name, value] of Object.entries(overrides)) if (value === undefined) delete merged[name];
    envs.set(overrides, merged);
  }
  return merged;
}

/** Through the same app with some variables replaced, e.g. Cognito pointed at a fake. */
export async function apiWith(overrides: Record<string, unknown>, path: string, init?: RequestInit): Promise<Response> {
  const env = envWith(overrides);
  return asDocumented(await neverLeaks(await app.request(BASE + path, withClientIp(init), env), init, env), path, init);
}

export interface Scenario {
  /** Worker variables that send Cognito calls (and the JWKS fetch) to this scenario. */
  vars: Record<string, string>;
  /** The scenario's root, for a REST upstream's base URL (e.g. BROKER_API_URL); no trailing slash. */
  base: string;
  calls(): Promise<RecordedCall[]>;
  /** Lets the scenario's held answers (Reply.holdUntilReleased) go, and any to come; how many were held. */
  release(): Promise<number>;
}

/** Upstream replies scripted per action (Cognito's, JWKS, or REST "METHOD /path/{id}"); the last reply of a list repeats. */
export async function scenario(replies: Record<string, Reply[]>): Promise<Scenario> {
  const fake = inject("fakeUpstreamUrl");
  const res = await fetch(`${fake}/__scenarios`, { method: "POST", body: JSON.stringify({ replies, runtime: testRuntime() }) });
  const { id } = (await res.json()) as { id: string };
  const endpoint = `${fake}/s/${id}/`;
  return {
    vars: { COGNITO_ENDPOINT: endpoint, COGNITO_ISSUER: `${fake}/s/${id}` },
    base: `${fake}/s/${id}`,
    async calls() {
      return (await (await fetch(`${fake}/__calls/${id}`)).json()) as RecordedCall[];
    },
    async release() {
      return ((await (await fetch(`${fake}/__release/${id}`, { method: "POST" })).json()) as { released: number }).released;
    },
  };
}

/** The problem body, checked against the documented Problem schema and the response's status. */
export async function problemOf(res: Response): Promise<Record<string, unknown>> {
  if (res.headers.get("content-type") !== "application/problem+json") {
    throw new Error(`expected problem+json, got ${res.status} ${res.headers.get("content-type")}: ${await res.text()}`);
  }
  const body = ProblemResponse.parse(await res.json());
  if (body.status !== res.status) throw new Error(`problem status ${body.status} differs from HTTP ${res.status}`);
  return body;
}

/** A direct call to the emulator, bypassing the API: to set up states such as a half-finished sign-up. */
export async function emulatorCall(action: string, input: object): Promise<Record<string, unknown>> {
  const res = await fetch(vars.COGNITO_ENDPOINT!, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${action}` },
    body: JSON.stringify(input),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${action} failed: ${res.status} ${String(body.__type)}`);
  return body;
}

/** A problem body without its request id, which differs on every request. */
export function withoutRequestId(body: unknown): unknown {
  const { request_id: _, ...rest } = body as Record<string, unknown>;
  return rest;
}

/**
 * Everything a client can see of a response, apart from what differs on every request: the status,
 * every header but X-Request-Id, and the body's exact bytes with its request_id removed. Two answers
 * that must not tell accounts apart compare equal here.
 */
export async function visibleAnswer(res: Response): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const headers = Object.fromEntries([...res.headers].filter(([name]) => name !== "x-request-id"));
  const requestId = res.headers.get("x-request-id") ?? "";
  const body = (await res.text()).replace(`,"request_id":${JSON.stringify(requestId)}`, "");
  return { status: res.status, headers, body };
}

/** A tokens answer, checked whole: its fields, their types, and that cognito_user_id is the token's sub. */
export async function expectTokens(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get("cache-control")).toContain("no-store");
  const body = (await res.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(["access_token", "cognito_user_id", "expires_in", "id_token", "refresh_token", "token_type"]);
  expect(body.token_type).toBe("Bearer");
  expect(body.expires_in).toBeGreaterThan(0);
  const claims = decodeJwt(body.access_token as string);
  expect(body.cognito_user_id).toBe(claims.sub);
  expect(body.cognito_user_id).toMatch(/^[0-9a-f-]{36}$/);
  return body;
}

/**
 * The statuses of `limit` requests sent at once (sorted), then of one more sent once they are all
 * answered: a limit of `limit` probed without waiting for each request in turn. `send(i)` sends the ith.
 */
export async function upToLimitThenOne(limit: number, send: (i: number) => Promise<Response>): Promise<number[]> {
  const within = await Promise.all(Array.from({ length: limit }, (_, i) => send(i)));
  const over = await send(limit);
  return [...within.map((res) => res.status).sort((a, b) => a - b), over.status];
}

/** Waits until `count` of `promises` have settled, whichever they are (their outcomes stay with them). */
export async function settled(promises: Promise<unknown>[], count: number): Promise<void> {
  let done = 0;
  await new Promise<void>((resolve) => {
    if (count <= 0) resolve();
    for (const promise of promises) void promise.then(tick, tick);
    function tick() {
      if (++done === count) resolve();
    }
  });
}

/**
 * Runs `attempt` again until one run falls within a single rate-limit window. The limits count per
 * wall-clock minute (miniflare aligns windows to it), so a run that crosses a minute boundary meets
 * fresh counters half-way, which a loaded machine makes likely. A run that fails while crossing one
 * is tried again (at most three times); a run that fails within one window fails the test. Each
 * attempt must use keys of its own (a new user, email or address).
 */
export async function inOneLimitWindow<T>(attempt: () => Promise<T>): Promise<T> {
  const window = () => Math.floor(Date.now() / 60_000);
  for (let tries = 1; ; tries++) {
    const started = window();
    try {
      const result = await attempt();
      if (window() === started) return result;
    } catch (error) {
      if (window() === started || tries >= 3) throw error;
    }
    if (tries >= 3) throw new Error("three runs in a row crossed a rate-limit window");
  }
}