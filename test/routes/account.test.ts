import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AccessLogVariables } from "../../src/middleware/access-log";
import { readConfig } from "../../src/middleware/config";
import { withCognito } from "../../src/middleware/cognito";
import { handleError } from "../../src/middleware/error-handler";
import { limitPerAddress } from "../../src/middleware/rate-limit";
import { requireAuth } from "../../src/middleware/require-auth";
import { requireVerifiedEmail } from "../../src/routes/guards";
import { authenticationResult, codeDeliveryResult, emptyResult, getUserResult, RECORDED } from "../fixtures/cognito";
import { bearer, ownPool } from "../support/own-pool";
import { api, inOneLimitWindow, jsonInit, postJson, problemOf, randomIp, STRONG_PASSWORD, uniqueEmail, visibleAnswer, withoutRequestId } from "../support/worker";
import { me, signedUp } from "../support/users";
import { env } from "cloudflare:workers";

/** The emulator's fixed code (CODE in the global setup): it prints codes instead of emailing them. */
const CODE = "123456";

const post = (path: string, token: string, body?: object) =>
  api(path, body ? jsonInit(body, { headers: bearer(token) }) : { method: "POST", headers: bearer(token) });

describe("email verification (emulator)", () => {
  it("sends a code to the email; the code verifies it, and me says so at once", async () => {
    const { token } = await signedUp();
    expect((await me(token)).email_verified).toBe(false);

    const sent = await post("/platform/email/verify/send", token);
    expect(sent.status).toBe(202);
    expect(await sent.json()).toEqual({ message: "A code has been sent to the email." });

    const wrong = await post("/platform/email/verify", token, { code: "000000" });
    expect([wrong.status, (await problemOf(wrong)).code]).toEqual([400, "invalid_code"]);
    expect((await post("/platform/email/verify", token, { code: CODE })).status).toBe(204);
    // The same token, whose unverified answer was cached a moment ago.
    expect((await me(token)).email_verified).toBe(true);
  });
});

describe("email change", () => {
  it("keeps the old address for log-in until the new one is verified (emulator, pool set to keep the original)", { timeout: 20_000 }, async () => {
    const { email, token } = await signedUp();
    const newEmail = uniqueEmail("new");
    const changed = await post("/platform/email/change", token, { email: newEmail.toUpperCase() });
    expect(changed.status).toBe(202);
    expect(await changed.json()).toEqual({ message: "A code has been sent to the new email; the current one is used until it is verified." });

    expect((await postJson("/platform/login", { email, password: STRONG_PASSWORD })).status).toBe(200);
    expect((await postJson("/platform/login", { email: newEmail, password: STRONG_PASSWORD })).status).toBe(401);
    expect((await me(token)).email).toBe(email);

    expect((await post("/platform/email/verify", token, { code: CODE })).status).toBe(204);
    expect(await me(token)).toMatchObject({ email: newEmail, email_verified: true });
    expect((await postJson("/platform/login", { email: newEmail, password: STRONG_PASSWORD })).status).toBe(200);
    expect((await postJson("/platform/login", { email, password: STRONG_PASSWORD })).status).toBe(401);
  });

  it("answers an address another account has exactly as a free one (Cognito's AliasExists)", async () => {
    const answers = [];
    for (const reply of [codeDeliveryResult(true), RECORDED.aliasExists, RECORDED.usernameExists]) {
      const pool = await ownPool({ UpdateUserAttributes: [reply] });
      const res = await pool.call("/platform/email/change", jsonInit({ email: "taken@example.com" }, { headers: bearer(pool.token) }));
      answers.push(await visibleAnswer(res));
    }
    expect(answers[0]!.status).toBe(202);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it("refuses to move the email for a session whose sign-in is older than 15 minutes, however fresh its token", async () => {
    const signedInAt = Math.floor(Date.now() / 1000) - 16 * 60;
    for (const claims of [{ auth_time: signedInAt }, { auth_time: undefined }]) {
      const pool = await ownPool({ UpdateUserAttributes: [codeDeliveryResult(true)] }, claims);
      const res = await pool.call("/platform/email/change", jsonInit({ email: "ann.new@example.com" }, { headers: bearer(pool.token) }));
      expect(res.status).toBe(403);
      expect(withoutRequestId(await problemOf(res))).toEqual({
        type: "/problems/recent-sign-in-required",
        title: "Recent sign-in required",
        status: 403,
        detail: "Sign in again (within 15 minutes) to make this change.",
        code: "recent_sign_in_required",
      });
      expect((await pool.upstream.calls()).map((call) => call.action)).toEqual(["JWKS"]);
    }
  });

  it("asks Cognito for the change with the user's token", async () => {
    const pool = await ownPool({ UpdateUserAttributes: [codeDeliveryResult(true)] });
    await pool.call("/platform/email/change", jsonInit({ email: "Ann.New@Example.com" }, { headers: bearer(pool.token) }));
    expect((await pool.upstream.calls())[1]).toEqual({
      action: "UpdateUserAttributes",
      signed: false,
      body: { AccessToken: pool.token, UserAttributes: [{ Name: "email", Value: "ann.new@example.com" }] },
      headers: expect.objectContaining({ "x-amz-target": "AWSCognitoIdentityProviderService.UpdateUserAttributes" }),
    });
  });

  it("sends at most 5 codes a minute for one user, from any address", async () => {
    const statuses = await inOneLimitWindow(async () => {
      const pool = await ownPool({ UpdateUserAttributes: [codeDeliveryResult(true)], GetUserAttributeVerificationCode: [codeDeliveryResult()] });
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await pool.call("/platform/email/change", jsonInit({ email: uniqueEmail() }, { headers: bearer(pool.token) }))).status);
      for (let i = 0; i < 3; i++) statuses.push((await pool.call("/platform/email/verify/send", { method: "POST", headers: bearer(pool.token) })).status);
      return statuses;
    });
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
  });

  it("counts verification codes per user and address: the 11th in a minute gets 429", async () => {
    const statuses = await inOneLimitWindow(async () => {
      const pool = await ownPool({ VerifyUserAttribute: [RECORDED.codeMismatch] });
      const [ip, statuses] = [randomIp(), [] as number[]];
      for (let i = 0; i < 11; i++) {
        statuses.push((await pool.call("/platform/email/verify", jsonInit({ code: CODE }, { headers: { ...bearer(pool.token), "cf-connecting-ip": ip } }))).status);
      }
      return statuses;
    });
    expect(statuses).toEqual([...Array(10).fill(400), 429]);
  });
});

describe("requireVerifiedEmail, for routes that move money", () => {
  /** A route of a brokerage app behind the middleware, as an app would mount it. */
  const trading = new Hono<{ Bindings: Env; Variables: AccessLogVariables }>();
  trading.onError(handleError);
  trading.use(readConfig, limitPerAddress, withCognito).post("/orders", requireAuth, requireVerifiedEmail, (c) => c.json({ placed: true }, 201));
  // One env per pool, as workerd keeps one env per isolate: the config, and the verifier with its keys, are made once.
  const envs = new WeakMap<object, object>();
  const envFor = (vars: Record<string, string>) => envs.get(vars) ?? envs.set(vars, { ...env, ...vars }).get(vars)!;
  const order = (vars: Record<string, string>, token: string) =>
    trading.request("/orders", { method: "POST", headers: { ...bearer(token), "cf-connecting-ip": randomIp() } }, envFor(vars));

  it("lets a verified email through, asking Cognito once a minute per token", async () => {
    const pool = await ownPool({ GetUser: [getUserResult("ann@example.com", { verified: true })] });
    expect((await order(pool.upstream.vars, pool.token)).status).toBe(201);
    expect(await (await order(pool.upstream.vars, pool.token)).json()).toEqual({ placed: true });
    expect((await pool.upstream.calls()).map((call) => call.action)).toEqual(["JWKS", "GetUser"]);
  });

  it("refuses an unverified email with 403 email_not_verified", async () => {
    const pool = await ownPool({ GetUser: [getUserResult("ann@example.com", { verified: false })] });
    const res = await order(pool.upstream.vars, pool.token);
    expect(res.status).toBe(403);
    const { request_id: _, ...body } = await problemOf(res);
    expect(body).toEqual({
      type: "/problems/email-not-verified",
      title: "Email not verified",
      status: 403,
      detail: "Verify the account's email address first.",
      code: "email_not_verified",
    });
  });

  it("refuses a request without a token before asking Cognito", async () => {
    const pool = await ownPool({ GetUser: [getUserResult("ann@example.com")] });
    const res = await trading.request("/orders", { method: "POST" }, { ...env, ...pool.upstream.vars });
    expect(res.status).toBe(401);
    expect(await pool.upstream.calls()).toEqual([]);
  });
});

describe("DELETE /platform/me", () => {
  it("deletes the account after the password: log-in then gets 401, the old token 401, and the email signs up again (emulator)", { timeout: 20_000 }, async () => {
    const { email, token } = await signedUp();
    const remove = (password: string) => api("/platform/me", jsonInit({ password }, { method: "DELETE", headers: bearer(token) }));

    const wrong = await remove("Wr0ng-Horse!");
    expect([wrong.status, (await problemOf(wrong)).code]).toEqual([401, "invalid_credentials"]);
    expect((await me(token)).email).toBe(email);

    expect((await remove(STRONG_PASSWORD)).status).toBe(204);
    expect((await postJson("/platform/login", { email, password: STRONG_PASSWORD })).status).toBe(401);
    const after = await api("/platform/me", { headers: bearer(token) });
    expect([after.status, (await problemOf(after)).code]).toEqual([401, "invalid_token"]);
    await signedUp(email);
  });

  it("deletes with the fresh sign-in's token, and forgets the cached me answer (Cognito's answers)", async () => {
    const fresh = authenticationResult();
    const pool = await ownPool({
      GetUser: [getUserResult("ann@example.com"), RECORDED.unknownUser],
      InitiateAuth: [fresh],
      DeleteUser: [emptyResult()],
    });
    expect((await pool.call("/platform/me", { headers: bearer(pool.token) })).status).toBe(200);
    const res = await pool.call("/platform/me", jsonInit({ password: STRONG_PASSWORD }, { method: "DELETE", headers: bearer(pool.token) }));
    expect(res.status).toBe(204);
    const after = await pool.call("/platform/me", { headers: bearer(pool.token) });
    expect(after.status).toBe(401);

    const calls = await pool.upstream.calls();
    expect(calls.map((call) => call.action)).toEqual(["JWKS", "GetUser", "InitiateAuth", "DeleteUser", "GetUser"]);
    expect((calls[2]!.body as { AuthParameters: object }).AuthParameters).toEqual({ USERNAME: pool.claims.username, PASSWORD: STRONG_PASSWORD });
    expect(calls[3]!.body).toEqual({ AccessToken: (fresh.body as { AuthenticationResult: { AccessToken: string } }).AuthenticationResult.AccessToken });
  });

  it("counts passwords per user and address like log-in: the 11th in a minute gets 429 without reaching Cognito", async () => {
    const { pool, statuses } = await inOneLimitWindow(async () => {
      const pool = await ownPool({ InitiateAuth: [RECORDED.wrongPassword] });
      const [ip, statuses] = [randomIp(), [] as number[]];
      for (let i = 0; i < 11; i++) {
        const init = jsonInit({ password: "Wr0ng-Horse!" }, { method: "DELETE", headers: { ...bearer(pool.token), "cf-connecting-ip": ip } });
        statuses.push((await pool.call("/platform/me", init)).status);
      }
      return { pool, statuses };
    });
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
    expect((await pool.upstream.calls()).filter((call) => call.action === "InitiateAuth")).toHaveLength(10);
  });

  it("validates the body", async () => {
    const pool = await ownPool({});
    const res = await pool.call("/platform/me", jsonInit({ code: "12" }, { method: "DELETE", headers: bearer(pool.token) }));
    expect(res.status).toBe(400);
    expect(((await problemOf(res)).errors as { field: string }[]).map((error) => error.field)).toEqual(["password", "code"]);
  });
});

