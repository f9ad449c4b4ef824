import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { PlatformVariables } from "./cognito";
import { readsHeaders } from "./client-headers";
import { giveCognitoDeps } from "./cognito";
import { handleError } from "./error-handler";
import { readJsonBody } from "./json-body";
import { setNoStore } from "./no-store";
import { startAddressCheck } from "./rate-limit";

type PlatformContext = Context<{ Bindings: Env; Variables: PlatformVariables }>;

/** A failure of `step` becomes its problem answer here, as Hono answers a middleware's, so the steps after it still run. */
async function answering(c: PlatformContext, step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    c.error = error;
    c.res = handleError(error, c);
  }
}

/** The headers of a problem answer: none of the route's own answer may stay on it. */
const PROBLEM_HEADERS = ["content-type", "cache-control", "retry-after"];

/**
 * An address over its limit gets 429 whatever the route said, and nothing of what it said: Hono's
 * `c.res` setter would copy the route's headers onto the new answer (a replay's Idempotency-Replayed,
 * a Retry-After of its own), so the problem is answered as a fresh Response, the old one dropped first.
 */
function answerOverLimit(c: PlatformContext, error: unknown): void {
  if (!(error instanceof Error)) throw error;
  c.error = error;
  const problem = handleError(error, c);
  const headers = new Headers();
  for (const name of PROBLEM_HEADERS) {
    const value = problem.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  c.res = undefined;
  c.res = new Response(problem.body, { status: problem.status, headers });
}

/**
 * Everything under /platform talks to Cognito and may carry tokens. In order, as plain steps of one
 * middleware: the address's rate limit started first, before the body is even read (over it, 429
 * whatever the route said); the request's scope, clients and flow dependencies from a configured
 * pool (503 otherwise); then a JSON body of at most 16 KiB; and every answer never cached.
 */
export const forPlatform = createMiddleware<{ Bindings: Env; Variables: PlatformVariables }>(async (c, next) => {
  const check = startAddressCheck(c);
  await answering(c, async () => {
    giveCognitoDeps(c);
    await readJsonBody(c);
    await next();
  });
  await check.catch((error: unknown) => answerOverLimit(c, error));
  setNoStore(c.res.headers);
});
readsHeaders(forPlatform, "content-type");
