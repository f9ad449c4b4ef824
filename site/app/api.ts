// The API as the app calls it: hc<AppType> from hono/client, typed from the Worker's own routes, so a
// route or body that changes breaks this app's build (scripts/build-assets.mjs typechecks it first).
// The session's tokens live in this module's memory only: never in localStorage, sessionStorage or a
// cookie, so no other script on the origin, no later visitor of a shared computer and no browser
// extension reading storage finds them; the cost is that reloading the page signs the user out.
import { hc } from "hono/client";
import type { AppType, ProblemBody } from "api-types";

type Tokens = { access_token: string; refresh_token?: string; expires_in: number; cognito_user_id: string };

let session: { access: string; refresh: string; sub: string; expiresAt: number } | undefined;
const listeners = new Set<() => void>();

export function signedIn(): boolean {
  return session !== undefined;
}

/** Called when the session starts or ends (sign-out, or a refresh the API refused). */
export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function startSession(tokens: Tokens & { refresh_token: string }): void {
  session = { access: tokens.access_token, refresh: tokens.refresh_token, sub: tokens.cognito_user_id, expiresAt: Date.now() + tokens.expires_in * 1000 };
  for (const listener of listeners) listener();
}

export function endSession(): void {
  session = undefined;
  for (const listener of listeners) listener();
}

/** The access token, for the event stream's ticket and the sign-out call. */
export function accessToken(): string | undefined {
  return session?.access;
}

let refreshing: Promise<boolean> | undefined;
/** New tokens from the refresh token, once for all the calls that need them at the same time. */
function refreshSession(): Promise<boolean> {
  const current = session;
  if (!current) return Promise.resolve(false);
  refreshing ??= (async () => {
    try {
      const res = await fetch("/platform/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: current.refresh, cognito_user_id: current.sub }),
      });
      if (!res.ok) return false;
      const tokens = (await res.json()) as Tokens;
      if (session === current) session = { ...current, access: tokens.access_token, refresh: tokens.refresh_token ?? current.refresh, expiresAt: Date.now() + tokens.expires_in * 1000 };
      return true;
    } catch {
      return false;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

/** fetch with the bearer token; an expired token is refreshed once and the call made again. */
async function authorisedFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  // A token that expires within a minute is refreshed first: a long form must not fail on submit.
  if (session && session.expiresAt - Date.now() < 60_000) await refreshSession();
  const call = () => {
    const headers = new Headers(init.headers);
    if (session) headers.set("authorization", `Bearer ${session.access}`);
    return fetch(input, { ...init, headers });
  };
  const res = await call();
  if (res.status !== 401 || !session || !res.headers.get("www-authenticate")?.includes("invalid_token")) return res;
  if (await refreshSession()) return call();
  endSession();
  return res;
}

export const api = hc<AppType>(location.origin, { fetch: authorisedFetch });

/** An answer other than success, told in the user's words (`message`), with the API's problem for the details. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly problem?: ProblemBody,
  ) {
    super(message);
  }

  /** The API's field errors, by field path ("contact.postal_code"), each message in the user's words. */
  get fields(): Record<string, string> {
    return Object.fromEntries((this.problem?.errors ?? []).map(({ field, message }) => [field, fieldMessage(field, message)]));
  }
}

/** "postal_code must be a US ZIP code…" shown under the ZIP code's own label reads "Must be a US ZIP code…". */
function fieldMessage(field: string, message: string): string {
  const name = field.split(".").at(-1) ?? field;
  const text = message.startsWith(`${name} `) ? message.slice(name.length + 1) : message;
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What to tell the user for an answer that is not a success. */
function userMessage(status: number, problem: ProblemBody | undefined, retryAfter: string | null): string {
  switch (problem?.code) {
    case "validation_failed":
      return "Some fields need a fix: see the messages beside them.";
    case "rate_limited":
      return `Too many tries in a short time. Wait ${retryAfter ?? "a few"} seconds and try again.`;
    case "upstream_unavailable":
    case "upstream_error":
    case "upstream_timeout":
      return "The service behind this app is not answering right now. Nothing was changed that you were not told of; try again in a minute.";
    case "invalid_token":
      return "Your session has ended. Sign in again.";
    case undefined:
      return status === 0 ? "The server could not be reached. Check your connection and try again." : `Something went wrong (HTTP ${status}). Try again.`;
    default:
      return problem!.detail;
  }
}

type Answer = Response & { json(): Promise<unknown> };

/** The success body of an hc call; anything else throws an ApiError saying what happened in the user's words. */
export async function send<R extends Answer>(request: Promise<R>): Promise<Awaited<ReturnType<R["json"]>>> {
  let res: R;
  try {
    res = await request;
  } catch {
    throw new ApiError(userMessage(0, undefined, null), 0);
  }
  if (res.ok) return (res.status === 204 ? undefined : await res.json()) as Awaited<ReturnType<R["json"]>>;
  const problem = (res.headers.get("content-type") ?? "").includes("json") ? ((await res.json().catch(() => undefined)) as ProblemBody | undefined) : undefined;
  throw new ApiError(userMessage(res.status, problem, res.headers.get("retry-after")), res.status, problem);
}

/**
 * An Idempotency-Key per thing the user asks for: every retry of one submission sends the same key
 * (a lost answer, a timeout or a 5xx must not move money twice), and once the API has given a final
 * answer (a success or a refusal) the next submission is a new request with a new key.
 */
export class Attempt {
  private key: string | undefined;
  private body: string | undefined;

  async send<T>(body: unknown, call: (key: string) => Promise<T>): Promise<T> {
    const text = JSON.stringify(body);
    if (this.key === undefined || this.body !== text) [this.key, this.body] = [crypto.randomUUID(), text];
    try {
      const answer = await call(this.key);
      this.key = undefined;
      return answer;
    } catch (error) {
      const unknownOutcome = !(error instanceof ApiError) || error.status === 0 || error.status >= 500 || error.problem?.code === "request_in_progress";
      if (!unknownOutcome) this.key = undefined;
      throw error;
    }
  }
}
