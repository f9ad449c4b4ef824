/**
 * What every upstream client (Cognito, the Broker API, SES) shares: the time budget, call log and
 * clearance one incoming request lends to its calls, and the two ways a call goes out, timed and
 * logged: buffered (`exchange`, retried only when the caller says it is safe to repeat) or streamed
 * (`openStream`, a long-lived body such as an event stream).
 */
import { Failure } from "./failures";
import { isJsonObject } from "./json";

/** One upstream call, as the request log reports it. */
export interface UpstreamCall {
  action: string;
  status: number | "timeout" | "unreachable" | "aborted";
  errorType?: string;
  ms: number;
}

export interface RequestScope {
  /** When the request's time for all its upstream work, retries included, runs out (ms since the epoch). */
  budgetEndsAt: number;
  calls: UpstreamCall[];
  /** Settles before the first call may go out; rejects when the request must not call upstream (rate limits). */
  clearance: Promise<void>;
  /** X-RateLimit-Remaining and X-RateLimit-Limit of the last answer that had them: how much of the shared upstream budget is left (the heal pass stops before it starves user requests). */
  rateLimit?: { remaining: number; limit: number };
}

/** A service as its failures name it, and its limit for one call. */
export interface Upstream {
  /** "The identity provider", "The Broker API": the subject of a failure's detail. */
  name: string;
  timeoutMs: number;
}

export interface Exchange {
  response: Response;
  text: string;
  /** Logs the call once its outcome is known (an error type read from the body, say). */
  logCall(errorType?: string): void;
}

/** Logs one call of `action` in `calls`, timed from `started`. */
function callLog(calls: UpstreamCall[], action: string, started = Date.now()) {
  return (status: UpstreamCall["status"], errorType?: string) => calls.push({ action, status, ...(errorType ? { errorType } : {}), ms: Date.now() - started });
}

/** A call that got no answer: out of its time (upstream_timeout), or no connection (upstream_unavailable). */
function noAnswer(upstream: Upstream, error: unknown, timedOut: boolean, log: ReturnType<typeof callLog>): Failure {
  if (timedOut) {
    log("timeout");
    return new Failure("upstream_timeout", { detail: `${upstream.name} did not answer in time.`, cause: error });
  }
  log("unreachable");
  return new Failure("upstream_unavailable", { detail: `${upstream.name} cannot be reached.`, headers: { "retry-after": "5" }, cause: error });
}

/**
 * One HTTP exchange, limited by the call's own timeout or what is left of the request's budget,
 * whichever is less (one timer). No answer in time is upstream_timeout; no connection, upstream_unavailable.
 * `input` and `init` are fetch's own: a URL with its init costs fetch one Request, where a Request
 * made first costs two (fetch copies it to add the signal); only a SigV4-signed call comes as one.
 */
export async function exchange(scope: RequestScope, upstream: Upstream, action: string, input: Request | string, init?: RequestInit): Promise<Exchange> {
  await scope.clearance;
  const started = Date.now();
  const log = callLog(scope.calls, action, started);
  const timeoutMs = Math.min(upstream.timeoutMs, scope.budgetEndsAt - started);
  if (timeoutMs <= 0) throw noAnswer(upstream, new Error(`no time left for ${action}`), true, log);
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(input, { ...init, signal: timeout });
    const text = await response.text();
    noteRateLimit(scope, response.headers);
    return { response, text, logCall: (errorType) => log(response.status, errorType) };
  } catch (error) {
    throw noAnswer(upstream, error, timeout.aborted, log);
  }
}

function noteRateLimit(scope: RequestScope, headers: Headers): void {
  const remaining = Number(headers.get("x-ratelimit-remaining") ?? NaN);
  const limit = Number(headers.get("x-ratelimit-limit") ?? NaN);
  if (Number.isFinite(remaining) && Number.isFinite(limit)) scope.rateLimit = { remaining, limit };
}

/** A streamed call's answer: its body unread when it is a success, read whole (`text`) when not. */
export interface StreamOpening {
  response: Response;
  /** The body of an answer that is not 2xx (an error, small), read within the wait for the headers. */
  text: string | undefined;
  /** Logs the call (with the time its headers took) once its outcome is known. */
  logCall(errorType?: string): void;
}

/**
 * One long-lived HTTP exchange (an event stream): the Response once its headers arrive, a success's
 * body left unread for the caller, with no size or time bound of ours. `upstream.timeoutMs` bounds
 * only the wait for the headers, not the request's budget: the stream outlives any request. The
 * caller's `signal` ends it at any time, its body included; an abort before the headers is logged
 * as "aborted" and rethrown as it is (the caller asked for it: no failure of the upstream's).
 */
export async function openStream(scope: Pick<RequestScope, "calls" | "clearance">, upstream: Upstream, action: string, request: Request, signal?: AbortSignal): Promise<StreamOpening> {
  await scope.clearance;
  const log = callLog(scope.calls, action);
  // Not AbortSignal.timeout: that would also cut the body once the headers are in.
  const headersDue = new AbortController();
  const timer = setTimeout(() => headersDue.abort(new DOMException(`no headers within ${upstream.timeoutMs} ms`, "TimeoutError")), upstream.timeoutMs);
  try {
    const response = await fetch(request, { signal: signal ? AbortSignal.any([signal, headersDue.signal]) : headersDue.signal });
    const text = response.ok ? undefined : await response.text();
    return { response, text, logCall: (errorType) => log(response.status, errorType) };
  } catch (error) {
    if (signal?.aborted) {
      log("aborted");
      throw error;
    }
    throw noAnswer(upstream, error, headersDue.signal.aborted, log);
  } finally {
    clearTimeout(timer);
  }
}

/** The upstream answered something that is not its API: a 5xx page, junk, or JSON of the wrong shape. */
export function unusableAnswer(name: Upstream["name"], why: string): Failure {
  return new Failure("upstream_error", { detail: `${name} gave an unusable answer.`, cause: new Error(why) });
}

/**
 * The error an AWS JSON API (Cognito, SES) answered: "com.amazonaws...#NotAuthorizedException" or
 * "MessageRejected:http://internal.amazon.com/..." -> the bare name; the header wins over the body's `__type`.
 */
export function awsErrorType(response: Response, body: unknown): string | undefined {
  const raw = response.headers.get("x-amzn-errortype") ?? (isJsonObject(body) && typeof body.__type === "string" ? body.__type : undefined);
  const type = raw?.split(":")[0]?.split("#").pop()?.trim();
  return type && /^\w{1,100}$/.test(type) ? type : undefined;
}

/** Without X-RateLimit-Reset, an Alpaca 429 is retried after what alpaca-py waits. */
const DEFAULT_RETRY_AFTER_SECONDS = 3;

/** Seconds until X-RateLimit-Reset (Unix seconds), at least 1 and at most a minute (the Broker API and the Market Data API send it). */
export function secondsUntilReset(response: Response, now = Date.now()): number {
  const reset = Number(response.headers.get("x-ratelimit-reset"));
  if (!Number.isFinite(reset) || reset <= 0) return DEFAULT_RETRY_AFTER_SECONDS;
  return Math.min(60, Math.max(1, Math.ceil(reset - now / 1000)));
}

const MAX_ATTEMPTS = 3;
const BACKOFF_BASE_MS = 100;

/**
 * Runs `attempt` up to three times while `isTransient` says its failure may pass, with full-jitter
 * backoff (spreads the retries of many clients), never past the request's budget.
 */
export async function withRetries<T>(scope: RequestScope, upstream: Upstream, attempt: () => Promise<T>, isTransient: (error: unknown) => boolean): Promise<T> {
  for (let attempts = 1; ; attempts++) {
    try {
      return await attempt();
    } catch (error) {
      if (attempts >= MAX_ATTEMPTS || !isTransient(error)) throw error;
      const pause = Math.random() * BACKOFF_BASE_MS * 2 ** attempts;
      if (Date.now() + pause >= scope.budgetEndsAt) throw new Failure("upstream_timeout", { detail: `${upstream.name} did not answer in time.`, cause: error });
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}
