import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { app } from "../../src/index";
import { authenticationResult, challenge, cognitoError, emptyResult, getUserResult, RECORDED } from "../fixtures/cognito";
import { accepted, FROM_ADDRESS, SEND_EMAIL, sentEmail, sesVars } from "../fixtures/ses";
import type { Reply } from "../support/fake-upstream";
import { requestLog } from "../support/logs";
import { bearer, ownPool } from "../support/own-pool";
import { holdTimeouts, timingOut } from "../support/timeouts";
import {
  api,
  apiWith,
  inOneLimitWindow,
  jsonInit,
  postJson,
  problemOf,
  randomIp,
  scenario,
  STRONG_PASSWORD,
  uniqueEmail,
  visibleAnswer,
} from "../support/worker";
import { INVALID_CODE } from "../support/answers";
import { signedUp } from "../support/users";

/** The emulator's fixed code (CODE in the global setup): it prints codes instead of emailing them. */
const CODE = "123456";
const NEW_PASSWORD = "N3w-Passw0rd!";

async function signedUpUser() {
  const email = uniqueEmail();
  expect((await postJson("/platform/signup", { email, password: STRONG_PASSWORD })).status).toBe(201);
  return email;
}

describe("password reset", () => {
  it("forgot answers 202 with the same body whether or not the email has an account", async () => {
    const known = await postJson("/platform/password/forgot", { email: await signedUpUser() });
    const unknown = await postJson("/platform/password/forgot", { email: uniqueEmail("ghost") });
    expect([known.status, unknown.status]).toEqual([202, 202]);
    expect(await known.json()).toEqual(await unknown.json());
  });

  it("resets the password with the emailed code: the new one works, the old one no longer does (emulator)", async () => {
    const email = await signedUpUser();
    expect((await postJson("/platform/password/forgot", { email })).status).toBe(202);
    const reset = await postJson("/platform/password/reset", { email, code: CODE, password: NEW_PASSWORD });
    // cognito-local has no AdminUserGlobalSignOut: the password changed, the sessions could not be ended, and the answer says so.
    expect(reset.status).toBe(502);
    expect((await problemOf(reset)).code).toBe("sessions_not_ended");
    expect((await postJson("/platform/login", { email, password: NEW_PASSWORD })).status).toBe(200);
    expect((await postJson("/platform/login", { email, password: STRONG_PASSWORD })).status).toBe(401);
  });

  it("ends every earlier session after a reset: an old refresh token then gets 401 (Cognito's answers)", async () => {
    const upstream = await scenario({
      ConfirmForgotPassword: [{ status: 200, body: {} }],
      AdminUserGlobalSignOut: [{ status: 200, body: {} }],
      InitiateAuth: [RECORDED.revokedRefresh],
    });
    const email = uniqueEmail();
    const reset = await apiWith(upstream.vars, "/platform/password/reset", jsonInit({ email, code: CODE, password: NEW_PASSWORD }));
    expect(reset.status).toBe(204);
    const refresh = await apiWith(upstream.vars, "/platform/refresh", jsonInit({ refresh_token: "r".repeat(64) }));
    expect((await problemOf(refresh)).code).toBe("invalid_refresh_token");
    const calls = await upstream.calls();
    expect(calls.map((call) => [call.action, call.signed])).toEqual([
      ["ConfirmForgotPassword", false],
      ["AdminUserGlobalSignOut", true],
      ["InitiateAuth", false],
    ]);
    expect(calls[1]!.body).toEqual({ UserPoolId: expect.any(String), Username: email });
  });

  it("signs nobody out for a wrong code", async () => {
    const upstream = await scenario({ ConfirmForgotPassword: [RECORDED.codeMismatch] });
    const res = await apiWith(upstream.vars, "/platform/password/reset", jsonInit({ email: uniqueEmail(), code: CODE, password: NEW_PASSWORD }));
    expect(res.status).toBe(400);
    expect((await upstream.calls()).map((call) => call.action)).toEqual(["ConfirmForgotPassword"]);
  });

  it("answers a wrong code identically for unknown, unconfirmed and confirmed accounts, whatever PreventUserExistenceErrors is", async () => {
    const replies: Reply[] = [
      RECORDED.codeMismatch, // a confirmed account, or an unknown email with PreventUserExistenceErrors ENABLED
      RECORDED.unknownUser, // an unknown email, LEGACY
      RECORDED.unconfirmed,
      cognitoError("NotAuthorizedException", "User password cannot be reset in the current state."),
      cognitoError("InvalidParameterException", "Cannot reset password for the user as there is no registered/verified email or phone_number"),
    ];
    const answers = [];
    for (const reply of replies) {
      const upstream = await scenario({ ConfirmForgotPassword: [reply] });
      answers.push(await visibleAnswer(await apiWith(upstream.vars, "/platform/password/reset", jsonInit({ email: uniqueEmail(), code: CODE, password: NEW_PASSWORD }))));
    }
    expect(JSON.parse(answers[0]!.body)).toEqual(INVALID_CODE);
    for (const answer of answers.slice(1)) expect(answer).toEqual(answers[0]);
    // And the same as a confirmation's wrong code: one answer for a bad code, wherever it was sent.
    const confirm = await scenario({ ConfirmSignUp: [RECORDED.codeMismatch] });
    expect(await visibleAnswer(await apiWith(confirm.vars, "/platform/confirm", jsonInit({ email: uniqueEmail(), code: CODE })))).toEqual(answers[0]);
  });

  it("answers a wrong code with 400", async () => {
    const email = await signedUpUser();
    await postJson("/platform/password/forgot", { email });
    const res = await postJson("/platform/password/reset", { email, code: "000000", password: NEW_PASSWORD });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).code).toBe("invalid_code");
  });

  it("answers a reset for an unknown email like a wrong code", async () => {
    const res = await postJson("/platform/password/reset", { email: uniqueEmail("ghost"), code: CODE, password: NEW_PASSWORD });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).code).toBe("invalid_code");
  });

  it("hides Cognito's 'no verified email' answer, which would reveal the account", async () => {
    const upstream = await scenario({
      ForgotPassword: [
        cognitoError("InvalidParameterException", "Cannot reset password for the user as there is no registered/verified email or phone_number"),
      ],
    });
    const res = await apiWith(upstream.vars, "/platform/password/forgot", jsonInit({ email: uniqueEmail() }));
    expect(res.status).toBe(202);
  });

  it("passes on Cognito's lockout as 429 rather than hiding it", async () => {
    const upstream = await scenario({ ForgotPassword: [RECORDED.attemptsExceeded] });
    const res = await apiWith(upstream.vars, "/platform/password/forgot", jsonInit({ email: uniqueEmail() }));
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBeTruthy();
  });

  const recorded: [string, keyof typeof RECORDED, number, string][] = [
    ["an expired code", "expiredCode", 400, "expired_code"],
    ["a mismatched code", "codeMismatch", 400, "invalid_code"],
    ["a password the policy refuses", "weakPassword", 400, "weak_password"],
    ["too many attempts", "limitExceeded", 429, "rate_limited"],
  ];
  for (const [name, reply, status, code] of recorded) {
    it(`reset: ${name} -> ${status} ${code}`, async () => {
      const upstream = await scenario({ ConfirmForgotPassword: [RECORDED[reply]] });
      const res = await apiWith(upstream.vars, "/platform/password/reset", jsonInit({ email: uniqueEmail(), code: CODE, password: NEW_PASSWORD }));
      expect(res.status).toBe(status);
      expect((await problemOf(res)).code).toBe(code);
    });
  }

  it("validates the reset body", async () => {
    const res = await postJson("/platform/password/reset", { email: uniqueEmail(), code: "12 34" });
    expect(res.status).toBe(400);
    expect(((await problemOf(res)).errors as { field: string }[]).map((error) => error.field)).toEqual(["code", "password"]);
  });
});

describe("POST /platform/password/change", () => {
  const change = (call: (path: string, init?: RequestInit) => Promise<Response>, token: string, body: object, ip?: string) =>
    call("/platform/password/change", jsonInit(body, { headers: { ...bearer(token), ...(ip ? { "cf-connecting-ip": ip } : {}) } }));
  const body = { current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD };

  it("changes the password: the new one logs in, the old one no longer (emulator)", async () => {
    const { email, token: access_token } = await signedUp();

    const wrong = await change(api, access_token, { ...body, current_password: "Wr0ng-Horse!" });
    expect([wrong.status, (await problemOf(wrong)).code]).toEqual([401, "invalid_credentials"]);

    const changed = await change(api, access_token, body);
    // cognito-local has no AdminUserGlobalSignOut: the password changed, the sessions could not be ended, and the answer says so.
    expect([changed.status, (await problemOf(changed)).code]).toEqual([502, "sessions_not_ended"]);
    expect((await postJson("/platform/login", { email, password: NEW_PASSWORD })).status).toBe(200);
    expect((await postJson("/platform/login", { email, password: STRONG_PASSWORD })).status).toBe(401);
  });

  it("ends every session: 204, then an earlier refresh token gets 401 (Cognito's answers)", async () => {
    const pool = await ownPool({
      InitiateAuth: [authenticationResult(), RECORDED.revokedRefresh],
      GetUser: [getUserResult("ann@example.com")],
      ChangePassword: [emptyResult()],
      AdminUserGlobalSignOut: [emptyResult()],
    });
    expect((await change(pool.call, pool.token, body)).status).toBe(204);
    const refresh = await pool.call("/platform/refresh", jsonInit({ refresh_token: "r".repeat(64) }));
    expect([refresh.status, (await problemOf(refresh)).code]).toEqual([401, "invalid_refresh_token"]);
    const calls = await pool.upstream.calls();
    expect(calls.map((call) => [call.action, call.signed, call.body])).toEqual([
      ["JWKS", false, ""],
      ["InitiateAuth", false, expect.objectContaining({ AuthParameters: { USERNAME: pool.claims.username, PASSWORD: STRONG_PASSWORD } })],
      ["GetUser", false, { AccessToken: pool.token }],
      ["ChangePassword", false, { AccessToken: pool.token, PreviousPassword: STRONG_PASSWORD, ProposedPassword: NEW_PASSWORD }],
      ["AdminUserGlobalSignOut", true, { UserPoolId: expect.any(String), Username: pool.claims.username }],
      ["InitiateAuth", false, expect.anything()],
    ]);
  });

  const recorded: [string, keyof typeof RECORDED, number, string][] = [
    ["a wrong current password (after the sign-in passed)", "wrongPassword", 401, "invalid_credentials"],
    ["a new password the policy refuses", "weakNewPassword", 400, "weak_password"],
    ["a revoked access token", "revokedAccess", 401, "invalid_token"],
    ["Cognito's attempt limit", "limitExceeded", 429, "rate_limited"],
    ["Cognito's lockout", "attemptsExceeded", 429, "rate_limited"],
  ];
  for (const [name, reply, status, code] of recorded) {
    it(`answers ${name} with ${status} ${code} and signs nobody out`, async () => {
      const pool = await ownPool({ InitiateAuth: [authenticationResult()], GetUser: [getUserResult("ann@example.com")], ChangePassword: [RECORDED[reply]] });
      const res = await change(pool.call, pool.token, body);
      expect([res.status, (await problemOf(res)).code]).toEqual([status, code]);
      expect((await pool.upstream.calls()).map((call) => call.action)).toEqual(["JWKS", "InitiateAuth", "GetUser", "ChangePassword"]);
    });
  }

  it("passes on the pool's policy sentence", async () => {
    const pool = await ownPool({ InitiateAuth: [authenticationResult()], GetUser: [getUserResult("ann@example.com")], ChangePassword: [RECORDED.weakNewPassword] });
    expect((await problemOf(await change(pool.call, pool.token, body))).detail).toBe("Password does not conform to policy: Password not long enough");
  });

  it("counts a current password like a log-in guess: the 11th in a minute from one address gets 429 without reaching Cognito", async () => {
    const { pool, statuses } = await inOneLimitWindow(async () => {
      const pool = await ownPool({ InitiateAuth: [RECORDED.wrongPassword] });
      const [ip, statuses] = [randomIp(), [] as number[]];
      for (let i = 0; i < 11; i++) statuses.push((await change(pool.call, pool.token, body, ip)).status);
      return { pool, statuses };
    });
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
    expect((await pool.upstream.calls()).filter((call) => call.action === "InitiateAuth")).toHaveLength(10);
    expect((await pool.upstream.calls()).some((call) => call.action === "ChangePassword")).toBe(false);
  });

  it("with TOTP on, needs the code: missing is 403 step_up_required naming it, wrong is 401, and only the right one changes the password", async () => {
    const pool = await ownPool({
      InitiateAuth: [challenge("SOFTWARE_TOKEN_MFA")],
      RespondToAuthChallenge: [RECORDED.mfaCodeMismatch, authenticationResult()],
      GetUser: [getUserResult("ann@example.com", { mfa: ["SOFTWARE_TOKEN_MFA"] })],
      ChangePassword: [emptyResult()],
      AdminUserGlobalSignOut: [emptyResult()],
    });
    const noCode = await change(pool.call, pool.token, body);
    expect([noCode.status, (await problemOf(noCode)).errors]).toEqual([403, [{ field: "code", message: "code is required: TOTP is on for this account" }]]);
    const wrong = await change(pool.call, pool.token, { ...body, code: "111111" });
    expect([wrong.status, (await problemOf(wrong)).code]).toEqual([401, "invalid_mfa_code"]);
    expect((await pool.upstream.calls()).some((call) => call.action === "ChangePassword")).toBe(false);
    expect((await change(pool.call, pool.token, { ...body, code: "222222" })).status).toBe(204);
    expect((await pool.upstream.calls()).map((call) => call.action).slice(-5)).toEqual(["InitiateAuth", "RespondToAuthChallenge", "GetUser", "ChangePassword", "AdminUserGlobalSignOut"]);
  });
});

describe("POST /platform/password/change: the security notice", () => {
  const OWNER = "ann@example.com";
  const IP = "203.0.113.7";
  const body = { current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD };
  const changeInit = (token: string) => jsonInit(body, { headers: { ...bearer(token), "cf-connecting-ip": IP } });

  /** A password change against Cognito's answers (`replies` replace the successful ones) and a scripted SES. */
  async function changeWith(ses: Reply[], replies: Record<string, Reply[]> = {}) {
    const pool = await ownPool({
      InitiateAuth: [authenticationResult()],
      GetUser: [getUserResult(OWNER)],
      ChangePassword: [emptyResult()],
      AdminUserGlobalSignOut: [emptyResult()],
      [SEND_EMAIL]: ses,
      ...replies,
    });
    const log = requestLog();
    // A hung SES times out as soon as the fake holds its call.
    const res = await timingOut(() => apiWith({ ...pool.upstream.vars, ...sesVars(pool.upstream.base) }, "/platform/password/change", changeInit(pool.token)));
    const calls = await pool.upstream.calls();
    return { res, pool, calls, sent: calls.filter((call) => call.action === SEND_EMAIL).map((call) => sentEmail(call.body)), line: log() };
  }

  it("mails the account's address, signed, from SES_FROM_ADDRESS, with no password, code or token in it, and logs it sent", async () => {
    const { res, pool, calls, sent, line } = await changeWith([accepted()]);
    expect(res.status).toBe(204);
    expect(sent).toEqual([{ from: FROM_ADDRESS, to: [OWNER], subject: "Your password was changed", text: expect.any(String) }]);
    const { text } = sent[0]!;
    expect(text).toMatch(/^The password of your account was changed, and every session of the account was signed out\.\n\nWhen: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(UTC\)\nFrom the address: 203\.0\.113\.7\n/);
    for (const secret of [STRONG_PASSWORD, NEW_PASSWORD, pool.token, pool.claims.sub]) expect(text).not.toContain(secret);
    expect(calls.find((call) => call.action === SEND_EMAIL)!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=\w+\/\d{8}\/us-east-1\/ses\/aws4_request, /);
    expect(line).toEqual([
      expect.objectContaining({
        route: "/platform/password/change",
        status: 204,
        notice: "sent",
        upstream: expect.arrayContaining([{ action: "SendEmail", status: 200, ms: expect.any(Number) }]),
      }),
    ]);
  });

  it.each<[string, Reply]>([
    ["SES answers 500", { status: 500, body: "<html>Internal Server Error</html>" }],
    ["SES does not answer", { hang: true }],
    ["SES drops the connection", { destroy: true }],
  ])("still changes the password when %s, and logs the notice failed", async (_case, reply) => {
    const { res, sent, line } = await changeWith([reply]);
    expect(res.status).toBe(204);
    expect(sent).toHaveLength(1);
    expect(line).toEqual([expect.objectContaining({ status: 204, notice: "failed" })]);
  });

  it("tells the owner even when the sessions could not be ended, and says so: the password did change, the sign-out did not (issue 21)", async () => {
    const { res, sent, line } = await changeWith([accepted()], { AdminUserGlobalSignOut: [cognitoError("InternalErrorException", "")] });
    expect([res.status, (await problemOf(res)).code]).toEqual([502, "sessions_not_ended"]);
    expect(sent.map((email) => email.to)).toEqual([[OWNER]]);
    expect(sent[0]!.text).toMatch(/^The password of your account was changed, but signing out its other sessions failed: a device that was signed in may still be\.\n/);
    expect(sent[0]!.text).not.toContain("every session of the account was signed out");
    expect(line).toEqual([expect.objectContaining({ status: 502, notice: "sent" })]);
  });

  it("sends nothing when the password did not change", async () => {
    const { res, sent, line } = await changeWith([accepted()], { InitiateAuth: [RECORDED.wrongPassword] });
    expect(res.status).toBe(401);
    expect(sent).toEqual([]);
    expect(line[0]).not.toHaveProperty("notice");
  });

  it("answers before SES does: the send finishes in waitUntil, and the log line follows it", async () => {
    const pool = await ownPool({
      InitiateAuth: [authenticationResult()],
      GetUser: [getUserResult(OWNER)],
      ChangePassword: [emptyResult()],
      AdminUserGlobalSignOut: [emptyResult()],
      [SEND_EMAIL]: [{ hang: true }],
    });
    const log = requestLog();
    const waitingFor: Promise<unknown>[] = [];
    const context = { waitUntil: (promise: Promise<unknown>) => void waitingFor.push(promise), passThroughOnException: () => undefined, props: {} };
    const environment = { ...env, ...pool.upstream.vars, ...sesVars(pool.upstream.base) };
    const timeouts = await holdTimeouts();
    try {
      const res = await app.request("http://api.test/platform/password/change", changeInit(pool.token), environment, context);
      // SES has not answered (it never will; its call times out once the test says so): nothing is logged yet.
      expect([res.status, waitingFor.length, log()]).toEqual([204, 1, []]);
      await timeouts.expireNextStall();
      await Promise.all(waitingFor);
    } finally {
      timeouts.restore();
    }
    expect(log()).toEqual([expect.objectContaining({ status: 204, notice: "failed", upstream: expect.arrayContaining([expect.objectContaining({ action: "SendEmail", status: "timeout" })]) })]);
  });

  it("without SES configured, changes the password and logs that no notice was sent (emulator, through the Worker's fetch handler)", async () => {
    const email = uniqueEmail();
    const { access_token } = (await (await postJson("/platform/signup", { email, password: STRONG_PASSWORD })).json()) as { access_token: string };
    const log = requestLog();
    const res = await api("/platform/password/change", changeInit(access_token));
    // cognito-local has no AdminUserGlobalSignOut; the password changed all the same.
    expect(res.status).toBe(502);
    await vi.waitFor(() => expect(log()).toEqual([expect.objectContaining({ route: "/platform/password/change", notice: "not_configured" })]));
    expect((await postJson("/platform/login", { email, password: NEW_PASSWORD })).status).toBe(200);
  });
});
