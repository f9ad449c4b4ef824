import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  associateResult,
  adminGetUserResult,
  authenticationResult,
  challenge,
  emptyResult,
  getUserResult,
  MFA_SESSION,
  RECORDED,
  USER_SUB,
  verifySoftwareTokenResult,
} from "../fixtures/cognito";
import { bearer, ownPool } from "../support/own-pool";
import { totp, wrongTotp } from "../support/totp";
import {
  api,
  apiWith,
  expectTokens,
  inOneLimitWindow,
  jsonInit,
  postJson,
  problemOf,
  randomIp,
  scenario,
  sealedSession,
  STRONG_PASSWORD,
  uniqueEmail,
  visibleAnswer,
  withoutRequestId,
} from "../support/worker";
import { me, signedUp, withTotp } from "../support/users";

const clientId = (env as unknown as Record<string, string>).COGNITO_USER_CLIENT_ID!;


describe("TOTP MFA, the whole path against the emulator, with RFC 6238 codes from the returned secret", () => {
  it("sets up, enables, logs in with a code, shows it in me, and disables", { timeout: 30_000 }, async () => {
    const { email, token } = await signedUp();
    expect((await me(token)).mfa).toEqual([]);

    const setUp = (password: string) => api("/platform/mfa/totp/setup", jsonInit({ password }, { headers: bearer(token) }));
    const wrongPassword = await setUp("Wr0ng-Horse!");
    expect([wrongPassword.status, (await problemOf(wrongPassword)).code]).toEqual([401, "invalid_credentials"]);
    const setup = await setUp(STRONG_PASSWORD);
    expect(setup.status).toBe(200);
    const { secret, otpauth_uri } = (await setup.json()) as { secret: string; otpauth_uri: string };
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(otpauth_uri).toBe(`otpauth://totp/Edge%20Auth:${encodeURIComponent(email)}?secret=${secret}&issuer=Edge%20Auth`);

    const wrong = await api("/platform/mfa/totp/enable", jsonInit({ code: await wrongTotp(secret) }, { headers: bearer(token) }));
    expect(wrong.status).toBe(400);
    expect((await problemOf(wrong)).code).toBe("invalid_code");
    expect((await me(token)).mfa).toEqual([]);

    const enable = await api("/platform/mfa/totp/enable", jsonInit({ code: await totp(secret) }, { headers: bearer(token) }));
    expect(enable.status).toBe(204);
    // Same token: the cached answer from before was forgotten.
    expect((await me(token)).mfa).toEqual(["totp"]);
    // No second secret while TOTP is on: the step up now asks for the code too (with it, 409: "the factor swap" below).
    const again = await setUp(STRONG_PASSWORD);
    expect([again.status, (await problemOf(again)).errors]).toEqual([403, [{ field: "code", message: "code is required: TOTP is on for this account" }]]);

    const login = await postJson("/platform/login", { email, password: STRONG_PASSWORD });
    expect(login.status).toBe(202);
    const challenged = (await login.json()) as { status: string; mfa: string; session: string };
    expect(challenged).toEqual({ status: "mfa_required", mfa: "totp", session: expect.any(String) });

    const badCode = await postJson("/platform/login/mfa", { email, session: challenged.session, code: await wrongTotp(secret) });
    expect(badCode.status).toBe(401);
    expect(withoutRequestId(await problemOf(badCode))).toEqual({
      type: "/problems/invalid-mfa-code",
      title: "Invalid MFA code",
      status: 401,
      detail: "The authenticator code is not valid; enter the current one.",
      code: "invalid_mfa_code",
    });
    // The same session, retried with the right code.
    const tokens = await expectTokens(await postJson("/platform/login/mfa", { email, session: challenged.session, code: await totp(secret) }), 200);
    expect(await me(tokens.access_token as string)).toMatchObject({ email, mfa: ["totp"] });

    const disable = (body: object) => api("/platform/mfa/totp", jsonInit(body, { method: "DELETE", headers: bearer(token) }));
    const wrongDisablePassword = await disable({ password: "Wr0ng-Horse!", code: await totp(secret) });
    expect([wrongDisablePassword.status, (await problemOf(wrongDisablePassword)).code]).toEqual([401, "invalid_credentials"]);
    const wrongCode = await disable({ password: STRONG_PASSWORD, code: await wrongTotp(secret) });
    expect([wrongCode.status, (await problemOf(wrongCode)).code]).toEqual([401, "invalid_mfa_code"]);
    expect((await me(token)).mfa).toEqual(["totp"]);

    expect((await disable({ password: STRONG_PASSWORD, code: await totp(secret) })).status).toBe(204);
    expect((await me(token)).mfa).toEqual([]);
    await expectTokens(await postJson("/platform/login", { email, password: STRONG_PASSWORD }), 200);
  });

  it("needs the code to delete an account with TOTP on", { timeout: 20_000 }, async () => {
    const { email, token } = await signedUp();
    const secret = await withTotp(token);
    const remove = (body: object) => api("/platform/me", jsonInit(body, { method: "DELETE", headers: bearer(token) }));

    const noCode = await remove({ password: STRONG_PASSWORD });
    expect(noCode.status).toBe(403);
    expect((await problemOf(noCode)).errors).toEqual([{ field: "code", message: "code is required: TOTP is on for this account" }]);
    expect((await problemOf(await remove({ password: STRONG_PASSWORD, code: await wrongTotp(secret) }))).code).toBe("invalid_mfa_code");

    expect((await remove({ password: STRONG_PASSWORD, code: await totp(secret) })).status).toBe(204);
    expect((await postJson("/platform/login", { email, password: STRONG_PASSWORD })).status).toBe(401);
  });
});

describe("POST /platform/login with TOTP on (Cognito's answers)", () => {
  it("answers 202 with Cognito's session sealed to the email, never tokens", async () => {
    const upstream = await scenario({ InitiateAuth: [challenge("SOFTWARE_TOKEN_MFA")] });
    const email = uniqueEmail();
    const res = await apiWith(upstream.vars, "/platform/login", jsonInit({ email, password: STRONG_PASSWORD }));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ status: "mfa_required", mfa: "totp", session: await sealedSession(email, MFA_SESSION) });
  });

  for (const name of ["MFA_SETUP", "SELECT_MFA_TYPE", "SMS_MFA"]) {
    it(`answers ${name} with 403 challenge_required naming it (a pool that requires MFA asks a user without it for MFA_SETUP)`, async () => {
      const upstream = await scenario({ InitiateAuth: [challenge(name)] });
      const res = await apiWith(upstream.vars, "/platform/login", jsonInit({ email: uniqueEmail(), password: STRONG_PASSWORD }));
      expect(res.status).toBe(403);
      expect(withoutRequestId(await problemOf(res))).toEqual({
        type: "/problems/challenge-required",
        title: "Additional sign-in step required",
        status: 403,
        detail: `Sign-in needs the ${name} step, which this API does not offer.`,
        code: "challenge_required",
      });
    });
  }
});

describe("POST /platform/login/mfa (Cognito's answers)", () => {
  const body = async (email = uniqueEmail()) => ({ email, session: await sealedSession(email, MFA_SESSION), code: "123456" });

  it("answers the challenge with the email, the session and the code, and gives the log-in's tokens", async () => {
    const upstream = await scenario({ RespondToAuthChallenge: [authenticationResult()] });
    const email = uniqueEmail();
    await expectTokens(await apiWith(upstream.vars, "/platform/login/mfa", jsonInit(await body(email))), 200);
    expect(await upstream.calls()).toEqual([
      {
        action: "RespondToAuthChallenge",
        signed: false,
        body: {
          ChallengeName: "SOFTWARE_TOKEN_MFA",
          ClientId: clientId,
          Session: MFA_SESSION,
          ChallengeResponses: { USERNAME: email, SOFTWARE_TOKEN_MFA_CODE: "123456" },
        },
        headers: expect.objectContaining({ "x-amz-target": "AWSCognitoIdentityProviderService.RespondToAuthChallenge" }),
        path: "/",
      },
    ]);
  });

  it("with a client secret, answers as the user's real username (the sub) with its SECRET_HASH", async () => {
    const upstream = await scenario({
      AdminGetUser: [{ status: 200, body: { Username: USER_SUB, UserStatus: "CONFIRMED", UserAttributes: [] } }],
      RespondToAuthChallenge: [authenticationResult()],
    });
    const secret = "s3cr3t-client-value";
    const res = await apiWith({ ...upstream.vars, COGNITO_USER_CLIENT_SECRET: secret }, "/platform/login/mfa", jsonInit(await body()));
    expect(res.status).toBe(200);
    const [lookup, answer] = await upstream.calls();
    expect([lookup!.action, lookup!.signed, answer!.action]).toEqual(["AdminGetUser", true, "RespondToAuthChallenge"]);
    expect((answer!.body as { ChallengeResponses: object }).ChallengeResponses).toEqual({
      USERNAME: USER_SUB,
      SOFTWARE_TOKEN_MFA_CODE: "123456",
      SECRET_HASH: await secretHash(secret, USER_SUB + clientId),
    });
  });

  it("with a client secret, answers an unknown email as a known one with a session Cognito refuses: same answer, same calls", async () => {
    const secret = "s3cr3t-client-value";
    const answers = [];
    for (const lookup of [RECORDED.unknownUser, adminGetUserResult("CONFIRMED")]) {
      const upstream = await scenario({ AdminGetUser: [lookup], RespondToAuthChallenge: [RECORDED.mfaSessionUsed] });
      answers.push(await visibleAnswer(await apiWith({ ...upstream.vars, COGNITO_USER_CLIENT_SECRET: secret }, "/platform/login/mfa", jsonInit(await body("ann@example.com")))));
      expect((await upstream.calls()).map((call) => call.action)).toEqual(["AdminGetUser", "RespondToAuthChallenge"]);
    }
    expect(answers[0]!.status).toBe(401);
    expect(JSON.parse(answers[0]!.body).code).toBe("mfa_session_expired");
    expect(answers[1]).toEqual(answers[0]);
  });

  it("answers a made-up session alike for a known and an unknown email, with or without a client secret, and asks Cognito nothing", async () => {
    // The emulator checks the code and ignores the session: asked, it would tell the two apart.
    const { email: known } = await signedUp();
    const answers = [];
    for (const secret of [undefined, "s3cr3t-client-value"]) {
      for (const email of [known, uniqueEmail("nobody")]) {
        const upstream = await scenario({});
        const made = { email, session: MFA_SESSION, code: "123456" };
        answers.push(await visibleAnswer(await apiWith({ COGNITO_USER_CLIENT_SECRET: secret }, "/platform/login/mfa", jsonInit(made))));
        expect(await upstream.calls()).toEqual([]);
      }
    }
    expect(answers[0]!.status).toBe(401);
    expect(JSON.parse(answers[0]!.body).code).toBe("mfa_session_expired");
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });

  it("answers a wrong code with 401 invalid_mfa_code", async () => {
    const upstream = await scenario({ RespondToAuthChallenge: [RECORDED.mfaCodeMismatch] });
    const res = await apiWith(upstream.vars, "/platform/login/mfa", jsonInit(await body()));
    expect([res.status, (await problemOf(res)).code]).toEqual([401, "invalid_mfa_code"]);
  });

  it("answers an expired, used or foreign session with one 401 mfa_session_expired", async () => {
    const answers = [];
    for (const reply of [RECORDED.mfaSessionExpired, RECORDED.mfaSessionUsed, RECORDED.unknownUser]) {
      const upstream = await scenario({ RespondToAuthChallenge: [reply] });
      answers.push(await visibleAnswer(await apiWith(upstream.vars, "/platform/login/mfa", jsonInit(await body("ann@example.com")))));
    }
    expect(answers[0]!.status).toBe(401);
    expect(JSON.parse(answers[0]!.body)).toEqual({
      type: "/problems/mfa-session-expired",
      title: "MFA session expired",
      status: 401,
      detail: "The sign-in session has expired or was used; log in again.",
      code: "mfa_session_expired",
    });
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  it("counts codes per email and address: the 11th in a minute gets 429 without reaching Cognito", async () => {
    const { upstream, email, statuses } = await inOneLimitWindow(async () => {
      const upstream = await scenario({ RespondToAuthChallenge: [RECORDED.mfaCodeMismatch] });
      const [ip, email, statuses] = [randomIp(), uniqueEmail(), [] as number[]];
      for (let i = 0; i < 11; i++) {
        statuses.push((await apiWith(upstream.vars, "/platform/login/mfa", jsonInit(await body(email), { headers: { "cf-connecting-ip": ip } }))).status);
      }
      return { upstream, email, statuses };
    });
    expect(statuses).toEqual([...Array(10).fill(401), 429]);
    expect(await upstream.calls()).toHaveLength(10);
    // Another address still gets its own ten.
    expect((await apiWith(upstream.vars, "/platform/login/mfa", jsonInit(await body(email)))).status).toBe(401);
  });

  it("validates the body", async () => {
    const res = await postJson("/platform/login/mfa", { email: uniqueEmail(), session: "short", code: "12345a" });
    expect(res.status).toBe(400);
    expect((await problemOf(res)).errors).toEqual([
      { field: "session", message: "session is not a sign-in session" },
      { field: "code", message: "code must be 6 digits" },
    ]);
  });
});

describe("TOTP setup, enable and disable (Cognito's answers)", () => {
  const setUp = (pool: { token: string }) => jsonInit({ password: STRONG_PASSWORD }, { headers: bearer(pool.token) });

  it("labels the URI with the issuer from TOTP_ISSUER and the email, percent-encoded", async () => {
    const pool = await ownPool({
      InitiateAuth: [authenticationResult()],
      AssociateSoftwareToken: [associateResult()],
      GetUser: [getUserResult("o'brien+mfa@example.com")],
    });
    const res = await apiWith({ ...pool.upstream.vars, TOTP_ISSUER: "Acme Brokerage & Co" }, "/platform/mfa/totp/setup", setUp(pool));
    expect(await res.json()).toEqual({
      secret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
      otpauth_uri:
        "otpauth://totp/Acme%20Brokerage%20%26%20Co:o'brien%2Bmfa%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Acme%20Brokerage%20%26%20Co",
    });
  });

  it("signs in again as the token's user with the password before it asks for a secret", async () => {
    const pool = await ownPool({ InitiateAuth: [authenticationResult()], AssociateSoftwareToken: [associateResult()], GetUser: [getUserResult("ann@example.com")] });
    expect((await pool.call("/platform/mfa/totp/setup", setUp(pool))).status).toBe(200);
    const calls = await pool.upstream.calls();
    expect(calls[1]).toMatchObject({ action: "InitiateAuth", body: { AuthParameters: { USERNAME: pool.claims.username, PASSWORD: STRONG_PASSWORD } } });
    expect(calls.slice(2).map((call) => call.action).sort()).toEqual(["AssociateSoftwareToken", "GetUser"]);
  });

  it("answers a wrong password with 401 and makes no secret", async () => {
    const pool = await ownPool({ InitiateAuth: [RECORDED.wrongPassword] });
    const res = await pool.call("/platform/mfa/totp/setup", setUp(pool));
    expect([res.status, (await problemOf(res)).code]).toEqual([401, "invalid_credentials"]);
    expect((await pool.upstream.calls()).map((call) => call.action)).toEqual(["JWKS", "InitiateAuth"]);
  });

  it("never associates a new secret for a user whose TOTP is on, even with the password and a stale token (the factor swap)", async () => {
    // Signed in two hours ago: the token a thief keeps alive. Cognito's own sign-in says TOTP is on.
    const pool = await ownPool({ InitiateAuth: [challenge("SOFTWARE_TOKEN_MFA")], RespondToAuthChallenge: [authenticationResult()] }, { auth_time: Math.floor(Date.now() / 1000) - 7200 });
    const res = await pool.call("/platform/mfa/totp/setup", setUp(pool));
    expect([res.status, (await problemOf(res)).errors]).toEqual([403, [{ field: "code", message: "code is required: TOTP is on for this account" }]]);
    // The owner's code too: the step up passes, and still no second secret while TOTP is on.
    const withCode = await pool.call("/platform/mfa/totp/setup", jsonInit({ password: STRONG_PASSWORD, code: "123456" }, { headers: bearer(pool.token) }));
    expect(withoutRequestId(await problemOf(withCode))).toEqual({
      type: "/problems/totp-already-enabled",
      title: "TOTP already enabled",
      status: 409,
      detail: "TOTP is already on for this account; turn it off first (DELETE /platform/mfa/totp, with the password and a current code).",
      code: "totp_already_enabled",
    });
    expect((await pool.upstream.calls()).map((call) => call.action)).toEqual(["JWKS", "InitiateAuth", "InitiateAuth", "RespondToAuthChallenge"]);
  });

  it("answers a pool without TOTP as misconfigured", async () => {
    const pool = await ownPool({
      InitiateAuth: [authenticationResult()],
      AssociateSoftwareToken: [RECORDED.totpNotEnabledForPool],
      GetUser: [getUserResult("ann@example.com")],
    });
    const res = await pool.call("/platform/mfa/totp/setup", setUp(pool));
    expect([res.status, (await problemOf(res)).code]).toEqual([503, "misconfigured"]);
  });

  it("enables with VerifySoftwareToken then SetUserMFAPreference, TOTP on and preferred", async () => {
    const pool = await ownPool({ VerifySoftwareToken: [verifySoftwareTokenResult()], GetUser: [getUserResult("ann@example.com")], SetUserMFAPreference: [emptyResult()] });
    const res = await pool.call("/platform/mfa/totp/enable", jsonInit({ code: "123456" }, { headers: bearer(pool.token) }));
    expect(res.status).toBe(204);
    const calls = (await pool.upstream.calls()).filter((call) => call.action !== "GetUser");
    expect(calls.slice(1).map((call) => [call.action, call.body])).toEqual([
      ["VerifySoftwareToken", { AccessToken: pool.token, UserCode: "123456" }],
      ["SetUserMFAPreference", { AccessToken: pool.token, SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true } }],
    ]);
  });

  it("answers Cognito's wrong-code answer with 400 invalid_code and turns nothing on", async () => {
    const pool = await ownPool({ VerifySoftwareToken: [RECORDED.enableCodeMismatch] });
    const res = await pool.call("/platform/mfa/totp/enable", jsonInit({ code: "123456" }, { headers: bearer(pool.token) }));
    expect([res.status, (await problemOf(res)).code]).toEqual([400, "invalid_code"]);
    expect((await pool.upstream.calls()).map((call) => call.action)).toEqual(["JWKS", "VerifySoftwareToken"]);
  });

  it("counts enable codes per user and address: the 11th in a minute gets 429", async () => {
    const statuses = await inOneLimitWindow(async () => {
      const pool = await ownPool({ VerifySoftwareToken: [RECORDED.enableCodeMismatch] });
      const [ip, statuses] = [randomIp(), [] as number[]];
      for (let i = 0; i < 11; i++) {
        const init = jsonInit({ code: "123456" }, { headers: { ...bearer(pool.token), "cf-connecting-ip": ip } });
        statuses.push((await pool.call("/platform/mfa/totp/enable", init)).status);
      }
      return statuses;
    });
    expect(statuses).toEqual([...Array(10).fill(400), 429]);
  });

  it("disables after signing in again as the token's user with the password, then the code", async () => {
    const pool = await ownPool({
      InitiateAuth: [challenge("SOFTWARE_TOKEN_MFA")],
      RespondToAuthChallenge: [authenticationResult()],
      GetUser: [getUserResult("ann@example.com")],
      SetUserMFAPreference: [emptyResult()],
    });
    const res = await pool.call("/platform/mfa/totp", jsonInit({ password: STRONG_PASSWORD, code: "123456" }, { method: "DELETE", headers: bearer(pool.token) }));
    expect(res.status).toBe(204);
    const calls = (await pool.upstream.calls()).filter((call) => call.action !== "GetUser");
    expect(calls.slice(1).map((call) => [call.action, call.body])).toEqual([
      ["InitiateAuth", { AuthFlow: "USER_PASSWORD_AUTH", ClientId: clientId, AuthParameters: { USERNAME: pool.claims.username, PASSWORD: STRONG_PASSWORD } }],
      [
        "RespondToAuthChallenge",
        {
          ChallengeName: "SOFTWARE_TOKEN_MFA",
          ClientId: clientId,
          Session: MFA_SESSION,
          ChallengeResponses: { USERNAME: pool.claims.username, SOFTWARE_TOKEN_MFA_CODE: "123456" },
        },
      ],
      ["SetUserMFAPreference", { AccessToken: pool.token, SoftwareTokenMfaSettings: { Enabled: false, PreferredMfa: false } }],
    ]);
  });

  it("answers a wrong password (Cognito's NotAuthorized) with 401 and turns nothing off", async () => {
    const pool = await ownPool({ InitiateAuth: [RECORDED.wrongPassword] });
    const res = await pool.call("/platform/mfa/totp", jsonInit({ password: STRONG_PASSWORD, code: "123456" }, { method: "DELETE", headers: bearer(pool.token) }));
    expect([res.status, (await problemOf(res)).code]).toEqual([401, "invalid_credentials"]);
    expect((await pool.upstream.calls()).map((call) => call.action)).toEqual(["JWKS", "InitiateAuth"]);
  });
});

async function secretHash(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message)))));
}
