/**
 * The user pool's signing keys, cached in module scope so that every request an isolate serves after
 * the first verifies tokens without a network call.
 *
 * Cache policy, per JWKS URL:
 * - Keys are trusted for MAX_AGE_MS after a successful fetch; then the next request needing one
 *   refetches. A successful refetch replaces the whole set, so a key the pool withdrew stops working.
 * - Stale-if-error: when that refetch fails, the old key keeps verifying until a later refetch
 *   succeeds. A JWKS outage must not log everyone out; withdrawing a key still takes effect as soon
 *   as the endpoint answers again.
 * - An unknown `kid` (key rotation) triggers one refetch at once, past the edge cache (which may
 *   still hold the set without the new key). If the refetched set still lacks
 *   it, no unknown kid causes another fetch for UNKNOWN_KID_COOLDOWN_MS: a flood of forged kids
 *   costs one fetch per cooldown, not one per request.
 * - A failed fetch blocks new fetches for FAILED_FETCH_BACKOFF_MS; meanwhile a token whose key is
 *   not cached gets JwksUnavailableError at once instead of each request waiting for a dead endpoint.
 * - An inline JWKS (config `jwks`) pins the keys: no fetch at all, and an unknown kid is refused.
 */
import type { Config } from "../config";
import { JwksUnavailableError, JwtUnknownKeyError } from "./errors";
import { importJwks, type KeysByKid } from "./jwk";

export type JwksSource = Pick<Config, "jwksUrl" | "jwks">;

const FETCH_TIMEOUT_MS = 3_000;
const MAX_AGE_MS = 60 * 60_000;
const UNKNOWN_KID_COOLDOWN_MS = 30_000;
const FAILED_FETCH_BACKOFF_MS = 5_000;
/** How long past the starter's own timeout a joiner waits before it concludes the starter is gone. */
const JOIN_GRACE_MS = 250;
/** Retry-After for an inline JWKS that cannot be used: fixing it takes a deploy. */
const INLINE_JWKS_RETRY_AFTER_SECONDS = 60;

/**
 * Cloudflare's edge cache shares one fetch among the isolates of a location for 10 minutes. Only
 * 2xx answers are kept, so a Cognito error page is not served to every isolate for 10 minutes.
 * Outside Cloudflare (workerd in tests, wrangler dev) these options are ignored.
 */
const EDGE_CACHE: RequestInitCfProperties = { cacheEverything: true, cacheTtlByStatus: { "200-299": 600, "300-599": 0 } };

/** The key for the token header's `kid`; throws JwtUnknownKeyError or JwksUnavailableError. */
export async function signingKey(source: JwksSource, kid: string): Promise<CryptoKey> {
  return source.jwks !== undefined ? inlineKey(source.jwks, kid) : remoteKey(source.jwksUrl, kid);
}

/**
 * Imported inline JWKS, by their JSON text. Concurrent first requests each import it: that needs no
 * I/O, so there is nothing worth sharing and no other request's promise to hang on.
 */
const inlineKeySets = new Map<string, KeysByKid>();

async function inlineKey(json: string, kid: string): Promise<CryptoKey> {
  let keys = inlineKeySets.get(json);
  if (!keys) {
    keys = await importJwks(parseJson(json));
    if (!keys) throw new JwksUnavailableError("COGNITO_JWKS is not a JWKS with an RS256 signing key.", INLINE_JWKS_RETRY_AFTER_SECONDS);
    inlineKeySets.set(json, keys);
  }
  const key = keys.get(kid);
  if (!key) throw new JwtUnknownKeyError();
  return key;
}

interface RemoteKeySet {
  /** Empty until the first fetch succeeds. */
  keys: KeysByKid;
  /** When `keys` was fetched; 0 before that. */
  fetchedAt: number;
  /** No new fetch starts before this time. */
  quietUntil: number;
  /** Why the last fetch failed, until one succeeds. */
  lastFailure?: JwksUnavailableError;
  inflight?: InflightFetch;
}

interface InflightFetch {
  keys: Promise<KeysByKid>;
  /** The starter's own timeout settles the promise by then, unless the starter's request was cancelled. */
  settlesBy: number;
}

const remoteKeySets = new Map<string, RemoteKeySet>();

async function remoteKey(url: string, kid: string): Promise<CryptoKey> {
  let set = remoteKeySets.get(url);
  if (!set) {
    set = { keys: new Map(), fetchedAt: 0, quietUntil: 0 };
    remoteKeySets.set(url, set);
  }
  const cached = set.keys.get(kid);
  if (cached && Date.now() - set.fetchedAt < MAX_AGE_MS) return cached;
  if (!set.inflight && Date.now() < set.quietUntil) {
    if (cached) return cached;
    if (set.lastFailure) throw new JwksUnavailableError(set.lastFailure.message, secondsUntil(set.quietUntil));
    throw new JwtUnknownKeyError();
  }

  let keys: KeysByKid;
  try {
    // A kid missing from a set we already hold means rotation: ask Cognito itself.
    keys = await freshKeys(set, url, !cached && set.fetchedAt > 0);
  } catch (error) {
    if (cached && error instanceof JwksUnavailableError) return cached;
    throw error;
  }
  const key = keys.get(kid);
  if (key) return key;
  set.quietUntil = Date.now() + UNKNOWN_KID_COOLDOWN_MS;
  throw new JwtUnknownKeyError();
}

/**
 * The key set as fetched now, by this request or by a concurrent one, so that N cold requests cost
 * one fetch.
 *
 * Why sharing across requests is safe in workerd: a request may not touch another request's I/O
 * objects (its Response, body stream or socket), which is why jose does not share a pending fetch
 * on Workers. What is shared here is a promise of imported CryptoKeys: the starter reads and parses
 * the body in its own request; other requests only receive the finished Map, and workerd runs their
 * continuations in their own request (compatibility flag handle_cross_request_promise_resolution,
 * the default since 2024-10-14). test/auth/jwks.test.ts checks both across real request contexts.
 * The one hazard is the starter's request being cancelled (client gone): workerd then drops its
 * pending I/O and the promise never settles. A joiner therefore waits only until the starter's own
 * timeout must have fired (`settlesBy`) and then fetches for itself, as it also does if the shared
 * promise rejects with anything but a JWKS failure. A JWKS failure is shared as is: every joiner
 * refetching would hammer an endpoint that just failed.
 */
async function freshKeys(set: RemoteKeySet, url: string, bypassEdgeCache: boolean): Promise<KeysByKid> {
  for (let shared = set.inflight; shared; shared = set.inflight) {
    try {
      const keys = await settledBy(shared.keys, shared.settlesBy);
      if (keys) return keys;
    } catch (error) {
      if (error instanceof JwksUnavailableError) throw error;
    }
    if (set.inflight === shared) set.inflight = undefined;
  }
  return startFetch(set, url, bypassEdgeCache);
}

function startFetch(set: RemoteKeySet, url: string, bypassEdgeCache: boolean): Promise<KeysByKid> {
  const keys = fetchJwks(url, bypassEdgeCache).then(
    (fetched) => {
      set.keys = fetched;
      set.fetchedAt = Date.now();
      set.lastFailure = undefined;
      return fetched;
    },
    (error: unknown) => {
      if (error instanceof JwksUnavailableError) {
        set.lastFailure = error;
        set.quietUntil = Date.now() + FAILED_FETCH_BACKOFF_MS;
      }
      throw error;
    },
  );
  const inflight: InflightFetch = { keys, settlesBy: Date.now() + FETCH_TIMEOUT_MS + JOIN_GRACE_MS };
  set.inflight = inflight;
  const done = () => {
    if (set.inflight === inflight) set.inflight = undefined;
  };
  keys.then(done, done);
  return keys;
}

async function fetchJwks(url: string, bypassEdgeCache: boolean): Promise<KeysByKid> {
  const retryAfter = FAILED_FETCH_BACKOFF_MS / 1000;
  const signal = AbortSignal.timeout(FETCH_TIMEOUT_MS);
  let document: unknown;
  try {
    const response = await fetch(url, {
      signal,
      // Cognito serves the JWKS directly; following a redirect would trust keys from elsewhere.
      redirect: "manual",
      headers: { accept: "application/json" },
      // `cache` needs compatibility date 2024-11-11 or later (cache_option_enabled).
      ...(bypassEdgeCache ? { cache: "no-store" } : { cf: EDGE_CACHE }),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new JwksUnavailableError(`The JWKS at ${url} answered HTTP ${response.status}.`, retryAfter);
    }
    document = await response.json();
  } catch (error) {
    if (error instanceof JwksUnavailableError) throw error;
    const failure = signal.aborted ? `did not answer within ${FETCH_TIMEOUT_MS} ms` : error instanceof SyntaxError ? "is not JSON" : "could not be reached";
    throw new JwksUnavailableError(`The JWKS at ${url} ${failure}.`, retryAfter, { cause: error });
  }
  const keys = await importJwks(document);
  if (!keys) throw new JwksUnavailableError(`The JWKS at ${url} has no RS256 signing key.`, retryAfter);
  return keys;
}

/** The promise's value, or `undefined` if it has not settled by `deadline`. */
function settledBy<T>(promise: Promise<T>, deadline: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()));
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function secondsUntil(time: number): number {
  return Math.max(1, Math.ceil((time - Date.now()) / 1000));
}

function parseJson(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch {
    return undefined;
  }
}
