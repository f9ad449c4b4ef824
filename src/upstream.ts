/**
 * What every upstream client (Cognito, the Broker API, SES) shares: the time budget, call log and
 * clearance one incoming request lends to its calls, and the one way a call goes out: timed, logged,
 * and retried only when the caller says it is safe to repeat.
 */
import { Failure } from "./failures";
import { isJsonObject } from "./json";

/** One upstream call, as the request log reports it. */
export interface UpstreamCall {
  action: string;
  status: number | "timeout" | "unreachable";
  errorType?: string;
  ms: number;
}

export interface RequestScope {
  /** When the request's time for all its upstream work, retries included, runs out (ms since the epoch). */
  budgetEndsAt: number;
  calls: UpstreamCall[];
  /** Settles before the first call may go out; rejects when the request must not call upstream (rate limits). */
  clearance: Promise<void>;
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
  record(errorType?: string): void;
}

/**
 * One HTTP exchange, limited by the call's own timeout or what is left of the request's budget,
 * whichever is less (one timer). No answer in time is upstream_timeout; no connection, upstream_unavailable.
 */
export async function exchange(scope: RequestScope, upstream: Upstream, action: string, request: Request): Promise<Exchange> {
  await scope.clearance;
  const started = Date.now();
  const log = (status: UpstreamCall["status"], errorType?: string) =>
    scope.calls.push({ action, status, ...(errorType ? { errorType } : {}), ms: Date.now() - started });
  const timeoutMs = Math.min(upstream.timeoutMs, scope.budgetEndsAt - started);
  if (timeoutMs <= 0) {
    log("timeout");
    throw new Failure("upstream_timeout", { detail: `${upstream.name} did not answer in time.`, cause: new Error(`no time left for ${action}`) });
  }
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const response = await fetch(request, { signal: timeout });
    const text = await response.text();
    return { response, text, record: (errorType) => log(response.status, errorType) };
  } catch (error) {
    if (timeout.aborted) {
      log("timeout");
      throw new Failure("upstream_timeout", { detail: `${upstream.name} did not answer in time.`, cause: error });
    }
    log("unreachable");
    throw new Failure("upstream_unavailable", { detail: `${upstream.name} cannot be reached.`, headers: { "retry-after": "5" }, cause: error });
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
