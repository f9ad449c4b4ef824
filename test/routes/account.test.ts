import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AccessLogVariables } from "../../src/middleware/access-log";
import { everyRequest } from "../../src/middleware/every-request";
import { depsFrom } from "../../src/root";
import { handleError } from "../../src/middleware/error-handler";
import { forPlatform } from "../../src/middleware/platform";
import { rules } from "../../src/routes/rules";
import { authenticationResult, challenge, codeDeliveryResult, emptyResult, getUserResult, RECORDED } from "../fixtures/cognito";
import { bearer, ownPool } from "../support/own-pool";
import { api, apiWith, inOneLimitWindow, jsonInit, postJson, problemOf, randomIp, STRONG_PASSWORD, uniqueEmail, visibleAnswer, withoutRequestId } from "../support/worker";
import { totp } from "../support/totp";
import { me, signedUp, withTotp } from "../support/users";
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

describe("a stolen access token, against the emulator: the takeover of issue 15 fails at its first step", () => {
  it("can neither swap the second factor, nor move the email, nor change the password; the owner's authenticator still works", { timeout: 30_000 }, async () => {
    // The victim: a verified email, TOTP on, signed in just now. The attacker holds only that access token.
    const { email, token } = await signedUp();
    expect((await post("/platform/email/verify/send", token)).status).toBe(202);
    expect((await post("/platform/email/verify", token, { code: CODE })).status).toBe(204);
    const secret = await withTotp(token);
    const stolen = bearer(token);

    // 1. A new secret for the attacker's authenticator: the step up is asked for, and TOTP is on anyway.
    const setup = await api("/platform/mfa/totp/setup", { method: "POST", headers: stolen });
    expect([setup.status, (await problemOf(setup)).errors]).toEqual([403, [{ field: "password", message: "password is required to confirm it is you" }]]);
    const guessed = await api("/platform/mfa/totp/setup", jsonInit({ password: "Guess-1-Horse!" }, { headers: stolen }));
    expect([guessed.status, (await problemOf(guessed)).code]).toEqual([401, "invalid_credentials"]);
    // Even with a phished password: the code is asked for (and with it, no secret while TOTP is on).
    const phished = await api("/platform/mfa/totp/setup", jsonInit({ password: STRONG_PASSWORD }, { headers: stolen }));
    expect([phished.status, (await problemOf(phished)).errors]).toEqual([403, [{ field: "code", message: "code is required: TOTP is on for this account" }]]);

    // 3. The email to the attacker's address: the password, and with a phished one the code.
    const target = uniqueEmail("attacker");
    const noPassword = await api("/platform/email/change", jsonInit({ email: target }, { headers: stolen }));
    expect([noPassword.status, (await problemOf(noPassword)).errors]).toEqual([403, [{ field: "password", message: "password is required to confirm it is you" }]]);
    const noCode = await api("/platform/email/change", jsonInit({ email: target, password: STRONG_PASSWORD }, { headers: stolen }));
    expect([noCode.status, (await problemOf(noCode)).errors]).toEqual([403, [{ field: "code", message: "code is required: TOTP is on for this account" }]]);

    // A phished password cannot change the password and end the owner's sessions either.
    const change = await api("/platform/password/change", jsonInit({ current_password: STRONG_PASSWORD, new_password: "Att4cker-Owns-It!" }, { headers: stolen }));
    expect([change.status, (await problemOf(change)).errors]).toEqual([403, [{ field: "code", message: "code is required: TOTP is on for this account" }]]);

    // The owner: same email, same password, same authenticator.
    expect(await me(token)).toMatchObject({ email, email_verified: true, mfa: ["totp"] });
    const login = await postJson("/platform/login", { email, password: STRONG_PASSWORD });
    expect(login.status).toBe(202);
    const { session } = (await login.json()) as { session: string };
    expect((await postJson("/platform/login/mfa", { email, session, code: await totp(secret) })).status).toBe(200);
  });
});

describe("email change", () => {
  it("keeps the old address for log-in until the new one is verified (emulator, pool set to keep the original)", { timeout: 20_000 }, async () => {
    const { email, token } = await signedUp();
    const newEmail = uniqueEmail("new");
    const changed = await post("/platform/email/change", token, { email: newEmail.toUpperCase(), password: STRONG_PASSWORD });
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
      const pool = await ownPool({ InitiateAuth: [authenticationResult()], GetUser: [getUserResult("ann@example.com")], UpdateUserAttributes: [reply] });
      const res = await pool.call("/platform/email/change", jsonInit({ email: "taken@example.com", password: STRONG_PASSWORD }, { headers: bearer(pool.token) }));
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
      const res = await pool.call("/platform/email/change", jsonInit({ email: "ann.new@example.com", password: STRONG_PASSWORD }, { headers: bearer(pool.token) }));
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

  it("signs in again with the password, then asks Cognito for the change with the user's token", async () => {
    const pool = await ownPool({ InitiateAuth: [authenticationResult()], GetUser: [getUserResult("ann@example.com")], UpdateUserAttributes: [codeDeliveryResult(true)] });
    const newEmail = uniqueEmail("Ann.New");
    await pool.call("/platform/email/change", jsonInit({ email: newEmail.toUpperCase(), password: STRONG_PASSWORD }, { headers: bearer(pool.token) }));
    const calls = await pool.upstream.calls();
    expect(calls[1]).toMatchObject({ action: "InitiateAuth", body: { AuthParameters: { USERNAME: pool.claims.username, PASSWORD: STRONG_PASSWORD } } });
    expect(calls[2]!.action).toBe("GetUser");
    expect(calls[3]).toEqual({
      action: "UpdateUserAttributes",
      signed: false,
      body: { AccessToken: pool.token, UserAttributes: [{ Name: "email", Value: newEmail.toLowerCase() }] },
      headers: expect.objectContaining({ "x-amz-target": "AWSCognitoIdentityProviderService.UpdateUserAttributes" }),
      path: "/",
    });
  });

  it("sends at most 5 codes a minute for one user, from any address", async () => {
    const statuses = await inOneLimitWindow(async () => {
      const pool = await ownPool({
        InitiateAuth: [authenticationResult()],
        GetUser: [getUserResult("ann@example.com")],
        UpdateUserAttributes: [codeDeliveryResult(true)],
        GetUserAttributeVerificationCode: [codeDeliveryResult()],
      });
      const statuses = [];
      const change = () => jsonInit({ email: uniqueEmail(), password: STRONG_PASSWORD }, { headers: bearer(pool.token) });
      for (let i = 0; i < 3; i++) statuses.push((await pool.call("/platform/email/change", change())).status);
      for (let i = 0; i < 3; i++) statuses.push((await pool.call("/platform/email/verify/send", { method: "POST", headers: bearer(pool.token) })).status);
      return statuses;
    });
    expect(statuses).toEqual([202, 202, 202, 202, 202, 429]);
  });

  it("delivers at most 5 codes a minute to one target address, however many accounts ask (4 accounts x 6)", async () => {
    const { statuses, delivered } = await inOneLimitWindow(async () => {
      const target = uniqueEmail("inbox");
      const replies = { InitiateAuth: [authenticationResult()], GetUser: [getUserResult("ann@example.com")], UpdateUserAttributes: [codeDeliveryResult(true)] };
      const pools = await Promise.all(Array.from({ length: 4 }, () => ownPool(replies)));
      const statuses: number[] = [];
      for (const pool of pools) {
        for (let i = 0; i < 6; i++) {
          const init = jsonInit({ email: target, password: STRONG_PASSWORD }, { headers: { ...bearer(pool.token), "cf-connecting-ip": randomIp() } });
          statuses.push((await pool.call("/platform/email/change", init)).status);
        }
      }
      const calls = (await Promise.all(pools.map((pool) => pool.upstream.calls()))).flat();
      return { statuses, delivered: calls.filter((call) => call.action === "UpdateUserAttributes").length };
    });
    expect(statuses).toEqual([...Array(5).fill(202), ...Array(19).fill(429)]);
    expect(delivered).toBe(5);
  });

  it("needs the password, and the code when TOTP is on: missing is 403 step_up_required naming the field, wrong is 401", async () => {
    const change = (pool: { token: string; call: (path: string, init: RequestInit) => Promise<Response> }, body: object) =>
      pool.call("/platform/email/change", jsonInit({ email: uniqueEmail("new"), ...body }, { headers: bearer(pool.token) }));
    const noPassword = await ownPool({});
    const missing = await change(noPassword, {});
    expect([missing.status, (await problemOf(missing)).errors]).toEqual([403, [{ field: "password", message: "password is required to confirm it is you" }]]);
    const wrong = await ownPool({ InitiateAuth: [RECORDED.wrongPassword] });
    const refused = await change(wrong, { password: "Wr0ng-Horse!" });
    expect([refused.status, (await problemOf(refused)).code]).toEqual([401, "invalid_credentials"]);
    const totpOn = await ownPool({ InitiateAuth: [challenge("SOFTWARE_TOKEN_MFA")], RespondToAuthChallenge: [RECORDED.mfaCodeMismatch] });
    const noCode = await change(totpOn, { password: STRONG_PASSWORD });
    expect([noCode.status, (await problemOf(noCode)).errors]).toEqual([403, [{ field: "code", message: "code is required: TOTP is on for this account" }]]);
    const wrongCode = await change(totpOn, { password: STRONG_PASSWORD, code: "123456" });
    expect([wrongCode.status, (await problemOf(wrongCode)).code]).toEqual([401, "invalid_mfa_code"]);
    for (const pool of [noPassword, wrong, totpOn]) {
      expect((await pool.upstream.calls()).some((call) => call.action === "UpdateUserAttributes")).toBe(false);
    }
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

// Issue 21: a step-up code is accepted once, on the account's routes too, with D1 and without it.
describe("a step-up code on the account's routes", () => {
  const totpOn = () =>
    ownPool({ InitiateAuth: [challenge("SOFTWARE_TOKEN_MFA")], RespondToAuthChallenge: [authenticationResult()], GetUser: [getUserResult("ann@example.com")], UpdateUserAttributes: [codeDeliveryResult(true)] });
  const USED = "This code has already been used; wait for the authenticator's next code.";

  for (const [where, vars] of [["with D1", {}], ["without D1 (no brokerage): in the isolate", { DB: undefined }]] as const) {
    it(`is accepted once ${where}: the same password and code cannot move the email twice, nor two at once`, async () => {
      const pool = await totpOn();
      // One object: the Worker's env, as workerd keeps one per isolate.
      const workerEnv = { ...pool.upstream.vars, ...vars };
      const change = (code: string) =>
        apiWith(workerEnv, "/platform/email/change", jsonInit({ email: uniqueEmail("new"), password: STRONG_PASSWORD, code }, { headers: bearer(pool.token) }));
      expect((await change("123456")).status).toBe(202);
      const again = await change("123456");
      expect([again.status, (await problemOf(again)).detail]).toEqual([401, USED]);
      const racing = await Promise.all([change("654321"), change("654321")]);
      expect(racing.map((res) => res.status).sort()).toEqual([202, 401]);
      expect((await pool.upstream.calls()).filter((call) => call.action === "UpdateUserAttributes")).toHaveLength(2);
    });
  }
});

describe("requireVerifiedEmail, for routes that move money", () => {
  /** A route of a brokerage app behind the middleware, as an app would mount it: the signed-in user, a verified email. */
  const trading = new Hono<{ Bindings: Env; Variables: AccessLogVariables }>();
  trading.onError(handleError);
  trading.use(everyRequest(depsFrom, []), forPlatform).post("/orders", ...rules({ limit: "none", verifiedEmail: true }), (c) => c.json({ placed: true }, 201));
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
    expect(withoutRequestId(await problemOf(res))).toEqual({
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

  it("validates the body: a malformed code is 400 naming it, a missing password the 403 step_up_required naming it", async () => {
    const pool = await ownPool({});
    const res = await pool.call("/platform/me", jsonInit({ code: "12" }, { method: "DELETE", headers: bearer(pool.token) }));
    expect(res.status).toBe(400);
    expect(((await problemOf(res)).errors as { field: string }[]).map((error) => error.field)).toEqual(["code"]);
    const missing = await pool.call("/platform/me", jsonInit({}, { method: "DELETE", headers: bearer(pool.token) }));
    expect([missing.status, (await problemOf(missing)).errors]).toEqual([403, [{ field: "password", message: "password is required to confirm it is you" }]]);
  });
});

