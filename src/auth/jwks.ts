/**
 * The user pool's signing keys, held per verifier so that every request an isolate serves after the
 * first verifies tokens without a network call. Choosing and importing a key is jose's local JWK set;
 * this module adds what jose's remote set lacks on Workers (see `freshKeys`).
 *
 * Cache policy:
 * - Keys are trusted for `maxAgeMs` after a successful fetch; then the next request needing one
 *   refetches. A successful refetch replaces the whole set, so a key the pool withdrew stops working.
 * - Stale-if-error: when that refetch fails, the old key keeps verifying until a later refetch
 *   succeeds. A JWKS outage must not log everyone out; withdrawing a key still takes effect as soon
 *   as the endpoint answers again.
 * - An unknown `kid` (key rotation) triggers one refetch at once, past the edge cache (which may
 *   still hold the set without the new key). If the refetched set still lacks it, no unknown kid
 *   causes another fetch for `unknownKidCooldownMs`: a flood of forged kids costs one fetch per
 *   cooldown, not one per request.
 * - A failed fetch blocks new fetches for `failedFetchBackoffMs`; meanwhile a token whose key is not
 *   cached gets JwksUnavailableError at once instead of each request waiting for a dead endpoint.
 * - An inline JWKS pins the keys: no fetch at all, and an unknown kid is refused.
 */
import { createLocalJWKSet, errors, type JSONWebKeySet } from "jose";
import { isJsonObject, parseJson } from "../json";
import { JwksUnavailableError, JwtKeyUnusableError, JwtUnknownKeyError } from "./errors";

export interface JwksOptions {
  fetchTimeoutMs: number;
  maxAgeMs: number;
  unknownKidCooldownMs: number;
  failedFetchBackoffMs: number;
  /** How long past the starter's own timeout a joiner waits before it concludes the starter is gone. */
  joinGraceMs: number;
  /** The clock, in milliseconds since the epoch. */
  now: () => number;
}

export const DEFAULT_JWKS_OPTIONS: JwksOptions = {
  fetchTimeoutMs: 3_000,
  maxAgeMs: 60 * 60_000,
  unknownKidCooldownMs: 30_000,
  failedFetchBackoffMs: 5_000,
  joinGraceMs: 250,
  now: () => Date.now(),
};

/** Retry-After for an inline JWKS that cannot be used: fixing it takes a deploy. */
const INLINE_JWKS_RETRY_AFTER_SECONDS = 60;

/**
 * Cloudflare's edge cache shares one fetch among the isolates of a location for 10 minutes. Only
 * 2xx answers are kept, so a Cognito error page is not served to every isolate for 10 minutes.
 * Outside Cloudflare (workerd in tests, wrangler dev) these options are ignored.
 */
const EDGE_CACHE: RequestInitCfProperties = { cacheEverything: true, cacheTtlByStatus: { "200-299": 600, "300-599": 0 } };

/** Where a verifier gets its keys: `keyFor` throws JwtUnknownKeyError, JwtKeyUnusableError or JwksUnavailableError. */
export interface KeySource {
  /** The RS256 key the pool's set lists under `kid` (the verifier asks only once jose has checked the alg). */
  keyFor(kid: string): Promise<CryptoKey>;
  /** Whether the set as held now, and still fresh, lists `kid`: a token whose key was withdrawn is valid no more. */
  holds(kid: string): boolean;
}

/** A JWKS document's RS256 keys by kid, each chosen and imported by jose's local set once. */
interface KeySet {
  keyFor: (kid: string) => Promise<CryptoKey>;
  kids: ReadonlySet<string>;
}

const EMPTY_SET: KeySet = { keyFor: () => Promise.reject(new JwtUnknownKeyError()), kids: new Set() };

/** `undefined` when the document is not a JWKS or has no RSA key with a kid. */
function keySetOf(document: unknown): KeySet | undefined {
  if (!isJsonObject(document) || !Array.isArray(document.keys)) return undefined;
  const kids = new Set(document.keys.flatMap((jwk: unknown) => (isJsonObject(jwk) && jwk.kty === "RSA" && typeof jwk.kid === "string" ? [jwk.kid] : [])));
  if (kids.size === 0) return undefined;
  let resolve: ReturnType<typeof createLocalJWKSet>;
  try {
    resolve = createLocalJWKSet(document as unknown as JSONWebKeySet);
  } catch {
    return undefined;
  }
  // jose's set filters the whole document and copies the header on every call; a kid's answer,
  // key or refusal, is the same for the life of the document, so it is asked once.
  const resolved = new Map<string, Promise<CryptoKey>>();
  return {
    keyFor: (kid) => {
      let key = resolved.get(kid);
      if (key === undefined) {
        key = resolveKey(resolve, kid);
        resolved.set(kid, key);
      }
      return key;
    },
    kids,
  };
}

/** RFC 7518 section 3.3: an RS256 key is at least 2048 bits (jose checks it on every verification; here, once per key). */
const MIN_RSA_BITS = 2048;

/** jose's answer for a kid, in this library's errors: no such key, or a key that cannot be imported or is too weak. */
async function resolveKey(resolve: ReturnType<typeof createLocalJWKSet>, kid: string): Promise<CryptoKey> {
  let key: CryptoKey;
  try {
    key = (await resolve({ alg: "RS256", kid })) as CryptoKey;
  } catch (error) {
    if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) throw new JwtUnknownKeyError();
    throw new JwtKeyUnusableError({ cause: error });
  }
  const { modulusLength } = key.algorithm as { modulusLength?: number };
  if (modulusLength === undefined || modulusLength < MIN_RSA_BITS) throw new JwtKeyUnusableError({ cause: new Error(`the key of kid ${kid} has ${modulusLength} bits`) });
  return key;
}

export function inlineKeySource(json: string): KeySource {
  const set = keySetOf(parseJson(json));
  return {
    keyFor: (kid) => {
      if (!set) return Promise.reject(new JwksUnavailableError("COGNITO_JWKS is not a JWKS with an RSA signing key.", INLINE_JWKS_RETRY_AFTER_SECONDS));
      if (!set.kids.has(kid)) return Promise.reject(new JwtUnknownKeyError());
      return set.keyFor(kid);
    },
    holds: (kid) => set?.kids.has(kid) ?? false,
  };
}

interface InflightFetch {
  keys: Promise<KeySet>;
  /** The starter's own timeout settles the promise by then, unless the starter's request was cancelled. */
  settlesBy: number;
}

export function remoteKeySource(url: string, options: JwksOptions = DEFAULT_JWKS_OPTIONS): KeySource {
  return new RemoteKeySource(url, options);
}

class RemoteKeySource implements KeySource {
  readonly #url: string;
  readonly #options: JwksOptions;
  #set: KeySet = EMPTY_SET;
  /** When `#set` was fetched; 0 before the first success. */
  #fetchedAt = 0;
  /** No new fetch starts before this time. */
  #quietUntil = 0;
  /** Why the last fetch failed, until one succeeds. */
  #lastFailure?: JwksUnavailableError;
  #inflight?: InflightFetch;

  constructor(url: string, options: JwksOptions) {
    this.#url = url;
    this.#options = options;
  }

  /** False once the set is past its max age too, so that a cached token's next use refetches it. */
  holds(kid: string): boolean {
    return this.#set.kids.has(kid) && this.#options.now() - this.#fetchedAt < this.#options.maxAgeMs;
  }

  keyFor(kid: string): Promise<CryptoKey> {
    if (this.holds(kid)) return this.#set.keyFor(kid);
    return this.#keyAfterFetch(kid);
  }

  async #keyAfterFetch(kid: string): Promise<CryptoKey> {
    const now = this.#options.now();
    const known = this.#set.kids.has(kid);
    if (!this.#inflight && now < this.#quietUntil) {
      if (known) return this.#set.keyFor(kid);
      if (this.#lastFailure) throw new JwksUnavailableError(this.#lastFailure.message, this.#secondsUntil(this.#quietUntil));
      throw new JwtUnknownKeyError();
    }

    let set: KeySet;
    try {
      // A kid missing from a set we already hold means rotation: ask Cognito itself.
      set = await this.#freshKeys(!known && this.#fetchedAt > 0);
    } catch (error) {
      if (known && error instanceof JwksUnavailableError) return this.#set.keyFor(kid);
      throw error;
    }
    if (set.kids.has(kid)) return set.keyFor(kid);
    this.#quietUntil = this.#options.now() + this.#options.unknownKidCooldownMs;
    throw new JwtUnknownKeyError();
  }

  /**
   * The key set as fetched now, by this request or by a concurrent one, so that N cold requests cost
   * one fetch.
   *
   * Why sharing across requests is safe in workerd: a request may not touch another request's I/O
   * objects (its Response, body stream or socket), which is why jose's remote set does not share a
   * pending fetch on Workers. What is shared here is a promise of a parsed key set: the starter reads
   * and parses the body in its own request; other requests only receive the finished set, and
   * workerd runs their continuations in their own request (compatibility flag
   * handle_cross_request_promise_resolution, the default since 2024-10-14).
   * test/auth/jwks.test.ts checks both across real request contexts. The one hazard is the starter's
   * request being cancelled (client gone): workerd then drops its pending I/O and the promise never
   * settles. A joiner therefore waits only until the starter's own timeout must have fired
   * (`settlesBy`) and then fetches for itself, as it also does if the shared promise rejects with
   * anything but a JWKS failure. A JWKS failure is shared as is: every joiner refetching would hammer
   * an endpoint that just failed.
   */
  async #freshKeys(bypassEdgeCache: boolean): Promise<KeySet> {
    for (let shared = this.#inflight; shared; shared = this.#inflight) {
      try {
        const set = await settledBy(shared.keys, shared.settlesBy - this.#options.now());
        if (set) return set;
      } catch (error) {
        if (error instanceof JwksUnavailableError) throw error;
      }
      if (this.#inflight === shared) this.#inflight = undefined;
    }
    return this.#startFetch(bypassEdgeCache);
  }

  #startFetch(bypassEdgeCache: boolean): Promise<KeySet> {
    const keys = this.#fetch(bypassEdgeCache).then(
      (fetched) => {
        this.#set = fetched;
        this.#fetchedAt = this.#options.now();
        this.#lastFailure = undefined;
        return fetched;
      },
      (error: unknown) => {
        if (error instanceof JwksUnavailableError) {
          this.#lastFailure = error;
          this.#quietUntil = this.#options.now() + this.#options.failedFetchBackoffMs;
        }
        throw error;
      },
    );
    const inflight: InflightFetch = { keys, settlesBy: this.#options.now() + this.#options.fetchTimeoutMs + this.#options.joinGraceMs };
    this.#inflight = inflight;
    const done = () => {
      if (this.#inflight === inflight) this.#inflight = undefined;
    };
    keys.then(done, done);
    return keys;
  }

  async #fetch(bypassEdgeCache: boolean): Promise<KeySet> {
    const url = this.#url;
    const { fetchTimeoutMs, failedFetchBackoffMs } = this.#options;
    const retryAfter = Math.ceil(failedFetchBackoffMs / 1000);
    const signal = AbortSignal.timeout(fetchTimeoutMs);
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
      const failure = signal.aborted ? `did not answer within ${fetchTimeoutMs} ms` : error instanceof SyntaxError ? "is not JSON" : "could not be reached";
      throw new JwksUnavailableError(`The JWKS at ${url} ${failure}.`, retryAfter, { cause: error });
    }
    const set = keySetOf(document);
    if (!set) throw new JwksUnavailableError(`The JWKS at ${url} has no RSA signing key.`, retryAfter);
    return set;
  }

  #secondsUntil(time: number): number {
    return Math.max(1, Math.ceil((time - this.#options.now()) / 1000));
  }
}

/** The promise's value, or `undefined` if it has not settled within `ms`. */
function settledBy<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), Math.max(0, ms));
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
