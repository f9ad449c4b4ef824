import { exports } from "cloudflare:workers";
import { base64url } from "jose";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { JwksUnavailableError } from "../../src/auth/errors";
import { createAccessTokenVerifier, type AccessTokenVerifier, type VerifierSettings } from "../../src/auth/verifier";
import { app } from "../../src/index";
import type { Reply } from "../support/fake-upstream";
import { accessClaims, jwksOf, makeKey, sign, verifierConfig, type TestKey } from "../support/keys";
import { stallWatch, timingOut } from "../support/timeouts";
import { scenario, type Scenario } from "../support/worker";

let key: TestKey;
let rotatedKey: TestKey;

beforeAll(async () => {
  [key, rotatedKey] = await Promise.all([makeKey(), makeKey()]);
});

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * The verifier's default: no healthy fetch races it, however loaded the machine, and no test waits
 * for it either: a hung endpoint's fetch times out as soon as the fake upstream holds it (timingOut).
 */
const FETCH_TIMEOUT_MS = 3_000;

/** The verifier's clock, moved by hand; timers stay real. */
let clockOffsetMs = 0;
const clock = () => Date.now() + clockOffsetMs;
function advanceClock(ms: number): void {
  clockOffsetMs += ms;
}
beforeEach(() => {
  clockOffsetMs = 0;
});

/** A fresh JWKS endpoint, a config for it and a verifier of its own (with the test's clock), so nothing leaks between tests. */
async function jwksEndpoint(replies: Reply[]): Promise<{ config: VerifierSettings; verifier: AccessTokenVerifier; fetches: () => Promise<number> }> {
  const jwks: Scenario = await scenario({ JWKS: replies });
  const config = verifierConfig(jwks.vars);
  return {
    config,
    verifier: verifierFor(config),
    fetches: async () => (await jwks.calls()).filter((call) => call.action === "JWKS").length,
  };
}

function verifierFor(config: VerifierSettings): AccessTokenVerifier {
  // No verified-token cache: these tests count the key lookups that every verification makes.
  return createAccessTokenVerifier(config, { now: clock, jwks: { fetchTimeoutMs: FETCH_TIMEOUT_MS, joinGraceMs: 50 }, maxCachedTokens: 0 });
}

const ok = (...keys: TestKey[]): Reply => ({ status: 200, body: jwksOf(...keys) });

/** A token valid for an hour from the test clock's now. */
function tokenFor(config: VerifierSettings, signer: TestKey = key, kid = signer.kid): Promise<string> {
  const now = Math.floor(clock() / 1000);
  return sign(signer, accessClaims(config, { iat: now, auth_time: now, exp: now + 3600 }), { kid });
}

function verdict(verifier: AccessTokenVerifier, token: string): Promise<string> {
  return verifier.verify(token).then(
    () => "valid",
    (error: unknown) => (error as Error).name,
  );
}

/**
 * Routes the Worker's fetch handler to `handler`, so that `exports.default.fetch` runs each call in
 * its own request context, as production does: what one request shares with another must then
 * survive workerd's cross-request checks.
 */
function serveInOwnRequests(handler: () => Promise<Response>): void {
  vi.spyOn(app, "fetch").mockImplementation(handler);
}

describe("JWKS cache", () => {
  it("fetches the JWKS once, then verifies without a network call", async () => {
    const { config, verifier, fetches } = await jwksEndpoint([ok(key)]);
    for (let i = 0; i < 20; i++) expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
    expect(await fetches()).toBe(1);
  });

  it("picks up a rotated key with exactly one extra fetch", async () => {
    const { config, verifier, fetches } = await jwksEndpoint([ok(key), ok(key, rotatedKey)]);
    expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
    expect(await verdict(verifier, await tokenFor(config, rotatedKey))).toBe("valid");
    expect(await verdict(verifier, await tokenFor(config, rotatedKey))).toBe("valid");
    expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
    expect(await fetches()).toBe(2);
  });

  // The figure is attached as an annotation: `npx vitest run test/auth --reporter=verbose` prints it.
  it("shares one fetch among 100 concurrent cold requests, each in its own request context", async ({ annotate }) => {
    const { config, verifier, fetches } = await jwksEndpoint([{ ...ok(key), delayMs: 50 }]);
    const token = await tokenFor(config);
    serveInOwnRequests(async () => new Response(await verdict(verifier, token)));
    const answers = await Promise.all(Array.from({ length: 100 }, () => exports.default.fetch("http://api.test/").then((res) => res.text())));
    expect(answers).toEqual(Array(100).fill("valid"));
    const count = await fetches();
    await annotate(`100 concurrent cold requests in separate request contexts: ${count} JWKS fetch(es)`);
    expect(count).toBe(1);
  });

  it("fetches for itself when the request that started the shared fetch is cancelled", async () => {
    // The starter's own timeout cannot fire during the test (no race with a loaded machine): the
    // cancellation alone ends it. The verifier's clock is then moved to just before that timeout would
    // have settled the shared promise, so the joiner waits out the grace in real time, not a minute.
    const fetchTimeoutMs = 60_000;
    const joinGraceMs = 50;
    const { config, fetches } = await jwksEndpoint([{ ...ok(key), hang: true }, ok(key)]);
    const verifier = createAccessTokenVerifier(config, { now: clock, jwks: { fetchTimeoutMs, joinGraceMs }, maxCachedTokens: 0 });
    const token = await tokenFor(config);
    serveInOwnRequests(async () => new Response(await verdict(verifier, token)));
    const starter = new AbortController();
    const held = await stallWatch();
    const cancelled = exports.default.fetch("http://api.test/", { signal: starter.signal }).catch((error: unknown) => error);
    // The starter's fetch has reached the endpoint, which holds it.
    await held.next();
    starter.abort();
    expect(await cancelled).toBeInstanceOf(Error);
    advanceClock(fetchTimeoutMs);
    // The shared promise never settles; the joiner waits out the starter's timeout, then fetches.
    const joiner = await exports.default.fetch("http://api.test/");
    expect(await joiner.text()).toBe("valid");
    expect(await fetches()).toBe(2);
  });

  it("costs at most one extra fetch for 1,000 tokens with forged kids", async ({ annotate }) => {
    const { config, verifier, fetches } = await jwksEndpoint([ok(key)]);
    expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
    // A kid is looked up before any signature is checked, so forged tokens need no signing: a valid
    // token's payload and signature under headers naming new kids.
    const [, payload, signature] = (await tokenFor(config)).split(".");
    const forged = Array.from({ length: 1_000 }, () => `${base64url.encode(JSON.stringify({ alg: "RS256", kid: `forged-${crypto.randomUUID()}` }))}.${payload}.${signature}`);
    const concurrent = await Promise.all(forged.slice(0, 500).map((token) => verdict(verifier, token)));
    const sequential = [];
    for (const token of forged.slice(500)) sequential.push(await verdict(verifier, token));
    expect(new Set([...concurrent, ...sequential])).toEqual(new Set(["JwtUnknownKeyError"]));
    const count = await fetches();
    await annotate(`1 valid token, then 1,000 forged kids (500 concurrent, 500 one by one): ${count} JWKS fetches`);
    expect(count).toBe(2);
    // The real key still verifies from the cache.
    expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
  });

  it("refetches for an unknown kid again only after the 30 s cooldown", async () => {
    const { config, verifier, fetches } = await jwksEndpoint([ok(key), ok(key), ok(key, rotatedKey)]);
    expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
    expect(await verdict(verifier, await tokenFor(config, rotatedKey))).toBe("JwtUnknownKeyError");
    expect(await verdict(verifier, await tokenFor(config, rotatedKey))).toBe("JwtUnknownKeyError");
    expect(await fetches()).toBe(2);
    advanceClock(31_000);
    expect(await verdict(verifier, await tokenFor(config, rotatedKey))).toBe("valid");
    expect(await fetches()).toBe(3);
  });

  it("inline COGNITO_JWKS: no fetch at all, and an unknown kid is refused", async () => {
    const jwks = await scenario({ JWKS: [ok(key)] });
    const config = verifierConfig({ ...jwks.vars, COGNITO_JWKS: JSON.stringify(jwksOf(key)) });
    const verifier = verifierFor(config);
    for (let i = 0; i < 5; i++) expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
    expect(await verdict(verifier, await tokenFor(config, rotatedKey))).toBe("JwtUnknownKeyError");
    expect(await jwks.calls()).toEqual([]);
  });

  it("refuses to work with an inline COGNITO_JWKS that holds no usable key", async () => {
    const jwks = await scenario({ JWKS: [ok(key)] });
    const config = verifierConfig({ ...jwks.vars, COGNITO_JWKS: '{"keys": "none"}' });
    const error = await verifierFor(config).verify(await tokenFor(config)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JwksUnavailableError);
    expect(await jwks.calls()).toEqual([]);
  });

  it("skips JWKS entries it cannot use and keeps the rest", async () => {
    const weak = (await crypto.subtle.generateKey(
      { name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
      true,
      ["sign", "verify"],
    )) as CryptoKeyPair;
    const weakJwk = { ...((await crypto.subtle.exportKey("jwk", weak.publicKey)) as object), kid: "weak" };
    const body = {
      keys: [
        weakJwk,
        { kty: "EC", kid: "ec", crv: "P-256", x: "x", y: "y" },
        { ...key.jwk, kid: "encryption", use: "enc" },
        { ...key.jwk, kid: "broken", n: "AQAB" },
        key.jwk,
      ],
    };
    const { config, verifier } = await jwksEndpoint([{ status: 200, body }]);
    expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
    for (const kid of ["ec", "encryption"]) expect(await verdict(verifier, await tokenFor(config, key, kid))).toBe("JwtUnknownKeyError");
    for (const kid of ["weak", "broken"]) expect(await verdict(verifier, await tokenFor(config, key, kid))).toBe("JwtKeyUnusableError");
  });
});

describe("JWKS endpoint failing", () => {
  it.each<[string, Reply, string]>([
    ["answers 500", { status: 500, body: "<h1>Internal Server Error</h1>" }, "answered HTTP 500"],
    ["answers 404", { status: 404, body: { message: "not found" } }, "answered HTTP 404"],
    ["redirects", { status: 302, headers: { location: "https://evil.example/jwks.json" } }, "answered HTTP 302"],
    ["closes the connection", { destroy: true }, "could not be reached"],
    ["answers junk", { status: 200, body: "<html>maintenance</html>" }, "is not JSON"],
    ["answers JSON that is not a JWKS", { status: 200, body: { keys: "none" } }, "has no RSA signing key"],
    ["answers a JWKS without RSA keys", { status: 200, body: { keys: [{ kty: "EC", kid: "ec", crv: "P-256", x: "x", y: "y" }] } }, "has no RSA signing key"],
    ["does not answer within the timeout", { hang: true }, `did not answer within ${FETCH_TIMEOUT_MS} ms`],
  ])("when it %s and nothing is cached, says the keys are unavailable", async (_case, reply, failure) => {
    const { config, verifier } = await jwksEndpoint([reply]);
    const token = await tokenFor(config);
    const error = await timingOut(() => verifier.verify(token)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JwksUnavailableError);
    expect(error).toMatchObject({ message: expect.stringContaining(failure), retryAfterSeconds: 5 });
  });

  it("does not fetch again for 5 s after a failure, then recovers", async () => {
    const { config, verifier, fetches } = await jwksEndpoint([{ status: 503, body: "busy" }, ok(key)]);
    for (let i = 0; i < 10; i++) expect(await verdict(verifier, await tokenFor(config))).toBe("JwksUnavailableError");
    expect(await fetches()).toBe(1);
    advanceClock(6_000);
    expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
    expect(await fetches()).toBe(2);
  });

  it("does not disturb tokens whose key is cached", async () => {
    const { config, verifier, fetches } = await jwksEndpoint([ok(key), { status: 500, body: "down" }]);
    expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
    // A new kid makes the verifier ask the failing endpoint; it cannot tell whether that kid is real.
    expect(await verdict(verifier, await tokenFor(config, rotatedKey))).toBe("JwksUnavailableError");
    expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
    expect(await fetches()).toBe(2);
  });

  it("keeps using a key past its 1 h max age while the refetch fails", async () => {
    const { config, verifier, fetches } = await jwksEndpoint([ok(key), { status: 500, body: "down" }]);
    expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
    advanceClock(61 * 60_000);
    expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
    expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
    expect(await fetches()).toBe(2);
  });

  it("drops a key the pool withdrew once the set is refetched after its max age", async () => {
    const { config, verifier, fetches } = await jwksEndpoint([ok(key), ok(rotatedKey)]);
    expect(await verdict(verifier, await tokenFor(config))).toBe("valid");
    advanceClock(61 * 60_000);
    expect(await verdict(verifier, await tokenFor(config))).toBe("JwtUnknownKeyError");
    expect(await verdict(verifier, await tokenFor(config, rotatedKey))).toBe("valid");
    expect(await fetches()).toBe(2);
  });
});
