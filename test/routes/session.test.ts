import { describe, expect, it } from "vitest";
import { authenticationResult, cognitoError, RECORDED } from "../fixtures/cognito";
import type { Reply } from "../support/fake-upstream";
import { sign } from "../support/keys";
import { bearer, ownPool } from "../support/own-pool";
import { env } from "cloudflare:workers";
import { api, apiWith, inOneLimitWindow, emulatorCall, expectTokens, jsonInit, postJson, problemOf, randomIp, scenario, STRONG_PASSWORD, uniqueEmail, upToLimitThenOne } from "../support/worker";

async function signUp() {
  const email = uniqueEmail();
  const res = await postJson("/platform/signup", { email, password: STRONG_PASSWORD });
  expect(res.status).toBe(201);
  return { email, ...((await res.json()) as { access_token: string; refresh_token: string; cognito_user_id: string }) };
}

const emulatorVars = env as unknown as Record<string, string>;

const getUserReply = (email: string): Reply => ({
  status: 200,
  body: { Username: "u", UserAttributes: [{ Name: "email", Value: email }, { Name: "email_verified", Value: "true" }] },
});

describe("POST /platform/login", () => {
  it("returns the tokens and the user's id", async () => {
    const email = uniqueEmail();
    const signedUp = await expectTokens(await postJson("/platform/signup", { email, password: STRONG_PASSWORD }), 201);
    const loggedIn = await expectTokens(await postJson("/platform/login", { email, password: STRONG_PASSWORD }), 200);
    expect(loggedIn.cognito_user_id).toBe(signedUp.cognito_user_id);
  });

  it("answers a wrong password and an unknown email with the identical 401", async () => {
    const email = uniqueEmail();
    await postJson("/platform/signup", { email, password: STRONG_PASSWORD });
    const wrong = await postJson("/platform/login", { email, password: "Wrong-Passw0rd!" });
    const unknown = await postJson("/platform/login", { email: uniqueEmail("ghost"), password: STRONG_PASSWORD });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    const strip = ({ request_id, ...rest }: Record<string, unknown>) => rest;
    const [wrongBody, unknownBody] = [strip(await problemOf(wrong)), strip(await problemOf(unknown))];
    expect(wrongBody).toEqual(unknownBody);
    expect(wrongBody).toMatchObject({ code: "invalid_credentials", status: 401, title: "Invalid credentials" });
  });
});

describe("GET /platform/me", () => {
  it("tells the signed-in user who they are (emulator)", async () => {
    const user = await signUp();
    const res = await api("/platform/me", { headers: bearer(user.access_token) });
    expect(res.status).toBe(200);
    const me = (await res.json()) as Record<string, unknown>;
    expect(me).toMatchObject({ sub: user.cognito_user_id, email: user.email, groups: [] });
    expect(typeof me.email_verified).toBe("boolean");
    expect(Date.parse(me.token_expires_at as string)).toBeGreaterThan(Date.now());
  });

  it("asks for a token with 401 and a Bearer challenge", async () => {
    const res = await api("/platform/me");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    expect((await problemOf(res)).code).toBe("invalid_token");
  });

  it("refuses an ID token where an access token belongs", async () => {
    const user = await signUp();
    const login = (await (await postJson("/platform/login", { email: user.email, password: STRONG_PASSWORD })).json()) as { id_token: string };
    const res = await api("/platform/me", { headers: bearer(login.id_token) });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("caches GetUser for a minute: a repeated call makes no upstream call, ?fresh=true does", async () => {
    const pool = await ownPool({ GetUser: [getUserReply("ann@example.com")] });
    for (let i = 0; i < 3; i++) expect((await pool.call("/platform/me", { headers: bearer(pool.token) })).status).toBe(200);
    expect((await pool.upstream.calls()).map((c) => c.action)).toEqual(["JWKS", "GetUser"]);

    const fresh = await pool.call("/platform/me?fresh=true", { headers: bearer(pool.token) });
    expect(((await fresh.json()) as { email: string }).email).toBe("ann@example.com");
    expect((await pool.upstream.calls()).map((c) => c.action)).toEqual(["JWKS", "GetUser", "GetUser"]);
  });

  it("caches per session: another token of the same user asks Cognito, and sees its answer", async () => {
    const pool = await ownPool({ GetUser: [getUserReply("old@example.com"), getUserReply("new@example.com")] });
    expect(((await (await pool.call("/platform/me", { headers: bearer(pool.token) })).json()) as { email: string }).email).toBe("old@example.com");
    const newSession = await sign(pool.key, { ...pool.claims, jti: crypto.randomUUID() });
    expect(((await (await pool.call("/platform/me", { headers: bearer(newSession) })).json()) as { email: string }).email).toBe("new@example.com");
    expect((await pool.upstream.calls()).map((c) => c.action)).toEqual(["JWKS", "GetUser", "GetUser"]);
  });

  it("forgets the cached answer at log-out: the same token then gets Cognito's 401", async () => {
    const pool = await ownPool({ GetUser: [getUserReply("ann@example.com"), RECORDED.revokedAccess], GlobalSignOut: [{ status: 200, body: {} }] });
    expect((await pool.call("/platform/me", { headers: bearer(pool.token) })).status).toBe(200);
    expect((await pool.call("/platform/logout", { method: "POST", headers: bearer(pool.token) })).status).toBe(204);
    const after = await pool.call("/platform/me", { headers: bearer(pool.token) });
    expect(after.status).toBe(401);
    expect(after.headers.get("www-authenticate")).toBe(
      'Bearer realm="api", error="invalid_token", error_description="The session has been revoked; sign in again."',
    );
  });

  it("is limited per address: 120 fresh calls a minute reach Cognito, the 121st gets 429 without a call", { timeout: 30_000 }, () =>
    inOneLimitWindow(async () => {
      const pool = await ownPool({ GetUser: [getUserReply("ann@example.com")] });
      const ip = randomIp();
      const statuses = await upToLimitThenOne(120, () => pool.call("/platform/me?fresh=true", { headers: { ...bearer(pool.token), "cf-connecting-ip": ip } }));
      expect(statuses).toEqual([...Array(120).fill(200), 429]);
      expect((await pool.upstream.calls()).filter((c) => c.action === "GetUser")).toHaveLength(120);
    }));

  it("answers a session Cognito revoked with 401", async () => {
    const pool = await ownPool({ GetUser: [RECORDED.revokedAccess] });
    const res = await pool.call("/platform/me", { headers: bearer(pool.token) });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("validates the query", async () => {
    const pool = await ownPool({ GetUser: [getUserReply("ann@example.com")] });
    const res = await pool.call("/platform/me?fresh=maybe", { headers: bearer(pool.token) });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors).toEqual([{ field: "fresh", message: "fresh must be true or false" }]);
  });
});

describe("POST /platform/refresh", () => {
  it("gives new access and ID tokens for a refresh token (emulator)", async () => {
    const user = await signUp();
    const res = await postJson("/platform/refresh", { refresh_token: user.refresh_token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ cognito_user_id: user.cognito_user_id, token_type: "Bearer" });
    expect(typeof body.access_token).toBe("string");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect((await api("/platform/me", { headers: bearer(body.access_token as string) })).status).toBe(200);
  });

  it("answers an unknown refresh token with 401", async () => {
    const res = await postJson("/platform/refresh", { refresh_token: "x".repeat(64) });
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("invalid_refresh_token");
  });

  it("answers a revoked refresh token with 401 (Cognito's answer)", async () => {
    const upstream = await scenario({ InitiateAuth: [RECORDED.revokedRefresh] });
    const res = await apiWith(upstream.vars, "/platform/refresh", jsonInit({ refresh_token: "r".repeat(64) }));
    expect(res.status).toBe(401);
    expect((await problemOf(res)).code).toBe("invalid_refresh_token");
  });

  it("needs cognito_user_id when the app client has a secret, and hashes it", async () => {
    const upstream = await scenario({ InitiateAuth: [authenticationResult()] });
    const vars = { ...upstream.vars, COGNITO_USER_CLIENT_SECRET: "s3cr3t-value" };
    const missing = await apiWith(vars, "/platform/refresh", jsonInit({ refresh_token: "r".repeat(64) }));
    expect(missing.status).toBe(400);
    expect((await problemOf(missing)).errors).toEqual([{ field: "cognito_user_id", message: expect.stringContaining("secret") }]);

    const ok = await apiWith(vars, "/platform/refresh", jsonInit({ refresh_token: "r".repeat(64), cognito_user_id: "sub-123" }));
    expect(ok.status).toBe(200);
    const [call] = await upstream.calls();
    expect((call!.body as { AuthParameters: Record<string, string> }).AuthParameters).toMatchObject({
      REFRESH_TOKEN: "r".repeat(64),
      SECRET_HASH: expect.any(String),
    });
  });
});

describe("POST /platform/logout", () => {
  it("signs out everywhere: 204, then the refresh token no longer works (Cognito's answers)", async () => {
    const pool = await ownPool({ GlobalSignOut: [{ status: 200, body: {} }], InitiateAuth: [RECORDED.revokedRefresh] });
    const out = await pool.call("/platform/logout", { method: "POST", headers: bearer(pool.token) });
    expect(out.status).toBe(204);
    const refresh = await pool.call("/platform/refresh", jsonInit({ refresh_token: "r".repeat(64) }));
    expect(refresh.status).toBe(401);
    const calls = await pool.upstream.calls();
    expect(calls.map((c) => c.action)).toEqual(["JWKS", "GlobalSignOut", "InitiateAuth"]);
    expect(calls[1]!.body).toEqual({ AccessToken: pool.token });
  });

  it("also revokes the refresh token sent in the body", async () => {
    const pool = await ownPool({ RevokeToken: [{ status: 200, body: {} }], GlobalSignOut: [{ status: 200, body: {} }] });
    const out = await pool.call("/platform/logout", jsonInit({ refresh_token: "r".repeat(64) }, { headers: bearer(pool.token) }));
    expect(out.status).toBe(204);
    const calls = await pool.upstream.calls();
    expect(calls.map((c) => c.action).sort()).toEqual(["GlobalSignOut", "JWKS", "RevokeToken"]);
    expect(calls.find((c) => c.action === "RevokeToken")!.body).toMatchObject({ Token: "r".repeat(64) });
  });

  it("signs out everywhere even when the refresh token sent is bad: RevokeToken is best effort", async () => {
    for (const revokeReply of [
      cognitoError("UnsupportedTokenTypeException", "The token type is not supported."),
      cognitoError("UnauthorizedException", "Client is not authorized to revoke tokens."),
      cognitoError("InvalidParameterException", "Invalid token."),
      { status: 500, body: "<h1>oops</h1>" },
    ]) {
      const pool = await ownPool({ RevokeToken: [revokeReply], GlobalSignOut: [{ status: 200, body: {} }] });
      const out = await pool.call("/platform/logout", jsonInit({ refresh_token: "b".repeat(64) }, { headers: bearer(pool.token) }));
      expect(out.status).toBe(204);
      expect((await pool.upstream.calls()).map((c) => c.action).sort()).toEqual(["GlobalSignOut", "JWKS", "RevokeToken"]);
    }
  });

  it("answers a refresh token revoked on the emulator with 401", async () => {
    const user = await signUp();
    // cognito-local has RevokeToken but not GlobalSignOut: revoke directly, then refresh through the API.
    await emulatorCall("RevokeToken", { Token: user.refresh_token, ClientId: emulatorVars.COGNITO_USER_CLIENT_ID });
    expect((await postJson("/platform/refresh", { refresh_token: user.refresh_token })).status).toBe(401);
  });

  it("needs a valid access token", async () => {
    const res = await postJson("/platform/logout", {}, { headers: bearer("not.a.token") });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });
});
