import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { VerifierSettings } from "../../src/auth/verifier";
import type { AccessLogVariables } from "../../src/middleware/access-log";
import { everyRequest } from "../../src/middleware/every-request";
import { depsFrom } from "../../src/root";
import { handleError } from "../../src/middleware/error-handler";
import { forPlatform } from "../../src/middleware/platform";
import { requireAuth } from "../../src/middleware/require-auth";
import { accessClaims, hmacWithPublicKey, idClaims, jwksOf, makeKey, sign, unsecured, verifierConfig, type TestKey } from "../support/keys";
import { problemOf, randomIp, scenario } from "../support/worker";

/** A route behind requireAuth, with the middleware it relies on, that echoes what requireAuth gave it. */
const app = new Hono<{ Bindings: Env; Variables: AccessLogVariables }>()
  .use(everyRequest(depsFrom, []), forPlatform, requireAuth)
  .get("/me", (c) => c.json({ auth: c.var.auth, accessTokenLength: c.var.user.accessToken.length }))
  .onError(handleError);

let key: TestKey;
let otherKey: TestKey;
let vars: Record<string, string>;
let config: VerifierSettings;

beforeAll(async () => {
  [key, otherKey] = await Promise.all([makeKey(), makeKey()]);
});

// A scenario per test: the JWKS cache is keyed by URL, so no test sees another's keys.
beforeEach(async () => {
  const jwks = await scenario({ JWKS: [{ status: 200, body: jwksOf(key) }] });
  vars = { ...(env as unknown as Record<string, string>), ...jwks.vars };
  config = verifierConfig(jwks.vars);
});

async function get(authorization?: string, overrides: Record<string, string> = {}): Promise<Response> {
  const bindings: Record<string, unknown> = { ...vars, ...overrides };
  const headers: Record<string, string> = { "cf-connecting-ip": randomIp(), ...(authorization === undefined ? {} : { authorization }) };
  return app.request("/me", { headers }, bindings);
}

const now = () => Math.floor(Date.now() / 1000);

describe("requireAuth", () => {
  it("lets a valid access token through and gives the route its claims", async () => {
    const claims = accessClaims(config, { "cognito:groups": ["traders"] });
    const token = await sign(key, claims);
    const res = await get(`Bearer ${token}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { auth: Record<string, unknown>; accessTokenLength: number };
    expect(body.auth).toEqual({
      token_use: "access",
      sub: claims.sub,
      username: claims.username,
      client_id: config.clientId,
      scopes: ["aws.cognito.signin.user.admin"],
      groups: ["traders"],
      exp: claims.exp,
      iat: claims.iat,
      nbf: undefined,
      auth_time: claims.auth_time,
      jti: claims.jti,
      origin_jti: claims.origin_jti,
    });
    expect(body.accessTokenLength).toBe(token.length);
  });

  it("accepts the scheme in any case", async () => {
    const res = await get(`bearer ${await sign(key, accessClaims(config))}`);
    expect(res.status).toBe(200);
  });

  it.each([
    ["no Authorization header", undefined],
    ["an empty header", ""],
    ["another scheme", "Basic dXNlcjpwYXNz"],
    ["the scheme alone", "Bearer"],
    ["a token with characters outside b64token", "Bearer abc def"],
  ])("answers %s with a bare Bearer challenge", async (_case, authorization) => {
    const res = await get(authorization);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    expect(await problemOf(res)).toMatchObject({ status: 401, code: "invalid_token" });
  });

  const refused: [string, () => Promise<string>, string][] = [
    ["an expired token", () => sign(key, accessClaims(config, { iat: now() - 7200, exp: now() - 61 })), "The token has expired."],
    ["a token not valid yet", () => sign(key, accessClaims(config, { nbf: now() + 120 })), "The token is not valid yet."],
    ["a token issued in the future", () => sign(key, accessClaims(config, { iat: now() + 120 })), "The token is issued in the future."],
    ["another issuer", () => sign(key, accessClaims(config, { iss: `${config.issuer}-other` })), "The token's iss claim is not the accepted value."],
    ["another app client", () => sign(key, accessClaims(config, { client_id: "someotherclient" })), "The token's client_id claim is not the accepted value."],
    ["an ID token", () => sign(key, idClaims(config)), "The token's token_use claim is not the accepted value."],
    ["alg none", async () => unsecured(key.kid, accessClaims(config)), "The token must be signed with RS256."],
    ["HS256 keyed with the public key", () => hmacWithPublicKey(key, accessClaims(config)), "The token must be signed with RS256."],
    ["another key under a known kid", () => sign(otherKey, accessClaims(config), { kid: key.kid }), "The token signature is invalid."],
    ["an unknown kid", () => sign(otherKey, accessClaims(config)), "The token is signed with an unknown key."],
    ["no kid", () => sign(key, accessClaims(config), { kid: undefined }), "The token header has no kid."],
    ["a truncated token", async () => (await sign(key, accessClaims(config))).split(".").slice(0, 2).join("."), "The token is not a well-formed JWS."],
    ["a token cut inside its signature", async () => (await sign(key, accessClaims(config))).slice(0, -12), "The token signature is invalid."],
  ];

  it.each(refused)("refuses %s with 401 invalid_token naming the failed check", async (_case, token, description) => {
    const res = await get(`Bearer ${await token()}`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe(`Bearer realm="api", error="invalid_token", error_description="${description}"`);
    expect(await problemOf(res)).toMatchObject({ status: 401, code: "invalid_token", detail: description });
  });

  it("never puts the token in a refusal", async () => {
    const token = await sign(key, accessClaims(config, { iat: now() - 7200, exp: now() - 3600 }));
    const res = await get(`Bearer ${token}`);
    expect(res.status).toBe(401);
    const everything = [...res.headers.values(), await res.text()].join("\n");
    for (const part of token.split(".")) expect(everything).not.toContain(part);
  });

  it("answers 503 jwks_unavailable with Retry-After when the keys cannot be fetched", async () => {
    const down = await scenario({ JWKS: [{ status: 500, body: "<h1>down</h1>" }] });
    const res = await get(`Bearer ${await sign(key, accessClaims(verifierConfig(down.vars)))}`, down.vars);
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("5");
    expect(await problemOf(res)).toMatchObject({ status: 503, code: "jwks_unavailable" });
  });

  it("answers 503 not_configured when the pool settings are missing", async () => {
    const res = await get(`Bearer ${await sign(key, accessClaims(config))}`, { USER_POOL_ID: "" });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("60");
    expect(await problemOf(res)).toMatchObject({ code: "not_configured", detail: "The service is not configured: set USER_POOL_ID." });
  });
});
