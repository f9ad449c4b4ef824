import { describe, expect, it } from "vitest";
import { ChallengeRequiredError } from "../../src/cognito/errors";
import { challengeSeal } from "../../src/auth/challenge-session";
import { Failure } from "../../src/failures";
import { completeMfaLogIn, logIn, logOut, reauthenticate, refresh } from "../../src/services/sign-in";
import { answers, authenticated, fails, fakePool } from "./fake-pool";

const seal = challengeSeal("test-server-secret");
const user = { accessToken: "access", tokenId: "jti-1", sub: "sub-1", username: "sub-1" };
const keys = { challengeSeal: () => seal };
const actor = { sub: user.sub, source: "request" as const, id: "request-1", user };

describe("logIn", () => {
  it("gives a wrong password and an unknown email the same invalid_credentials", async () => {
    for (const outcome of [fails("NotAuthorizedException", "Incorrect username or password."), fails("UserNotFoundException")]) {
      const { pool } = fakePool({ passwordAuth: [outcome] });
      await expect(logIn({ cognito: pool, keys }, { email: "ann@example.com", password: "x" })).rejects.toMatchObject({ name: "Failure", code: "invalid_credentials" });
    }
  });

  it("answers Cognito's lockout as a limit, not a wrong password", async () => {
    const { pool } = fakePool({ passwordAuth: [fails("NotAuthorizedException", "Password attempts exceeded")] });
    await expect(logIn({ cognito: pool, keys }, { email: "ann@example.com", password: "x" })).rejects.toMatchObject({ name: "Failure", code: "rate_limited", headers: { "retry-after": "60" } });
  });

  it("shapes the tokens for clients", async () => {
    const { pool } = fakePool({ passwordAuth: [answers(authenticated())] });
    expect(await logIn({ cognito: pool, keys }, { email: "ann@example.com", password: "x" })).toMatchObject({ kind: "signed_in", tokens: { expires_in: 3600, token_type: "Bearer", refresh_token: "opaque-refresh-token" } });
  });
});

describe("refresh", () => {
  it("gives a revoked refresh token invalid_refresh_token", async () => {
    const { pool } = fakePool({ refreshAuth: [fails("NotAuthorizedException", "Refresh Token has been revoked")] });
    await expect(refresh({ cognito: pool }, { refreshToken: "r", sub: undefined })).rejects.toMatchObject({ name: "Failure", code: "invalid_refresh_token" });
  });
});

describe("logOut", () => {
  it("signs out everywhere whatever RevokeToken answers", async () => {
    const { pool, calls } = fakePool({ revokeToken: [fails("UnsupportedTokenTypeException")], globalSignOut: [answers()] });
    await logOut({ cognito: pool }, actor, { refreshToken: "refresh" });
    expect(calls.map((call) => call.action).sort()).toEqual(["globalSignOut", "revokeToken"]);
  });

  it("counts a session Cognito already ended as signed out", async () => {
    const { pool } = fakePool({ globalSignOut: [fails("NotAuthorizedException", "Access Token has been revoked")] });
    await expect(logOut({ cognito: pool }, actor, { refreshToken: undefined })).resolves.toBeUndefined();
  });

  it("fails when the sign-out itself cannot be made", async () => {
    const unreachable = new Failure("upstream_unavailable", { detail: "The identity provider cannot be reached." });
    const { pool } = fakePool({ globalSignOut: [{ error: unreachable }], revokeToken: [answers()] });
    await expect(logOut({ cognito: pool }, actor, { refreshToken: "refresh" })).rejects.toBe(unreachable);
  });
});

const totpChallenge = () => ({ error: new ChallengeRequiredError("SOFTWARE_TOKEN_MFA", "cognito-session") });

describe("logIn with TOTP on", () => {
  it("gives the session of a TOTP challenge, sealed to the email, instead of tokens", async () => {
    const { pool } = fakePool({ passwordAuth: [totpChallenge()] });
    const outcome = await logIn({ cognito: pool, keys }, { email: "ann@example.com", password: "x" });
    expect(outcome).toEqual({ kind: "mfa_required", challengeSession: expect.stringMatching(/^cognito-session\.[\w-]{43}$/) });
  });

  it("leaves any other challenge an error", async () => {
    const { pool } = fakePool({ passwordAuth: [{ error: new ChallengeRequiredError("MFA_SETUP", "cognito-session") }] });
    await expect(logIn({ cognito: pool, keys }, { email: "ann@example.com", password: "x" })).rejects.toMatchObject({ name: "Failure", code: "challenge_required" });
  });
});

describe("completeMfaLogIn", () => {
  it("opens the session sealed for this email and answers the challenge with it", async () => {
    const { pool, calls } = fakePool({ answerSoftwareTokenChallenge: [answers(authenticated())] });
    const sealed = await seal.seal("ann@example.com", "cognito-session-of-ann");
    await expect(completeMfaLogIn({ cognito: pool, keys }, { email: "ann@example.com", session: sealed, code: "123456" })).resolves.toMatchObject({ token_type: "Bearer" });
    expect(calls).toEqual([{ action: "answerSoftwareTokenChallenge", args: ["ann@example.com", "cognito-session-of-ann", "123456"] }]);
  });

  it.each([
    ["a made-up session", async () => "AYABeMadeUpSessionOfSomeoneWhoNeverLoggedIn0123456789"],
    ["another email's session", async () => seal.seal("bob@example.com", "cognito-session-of-bob")],
    ["a session sealed by another key", async () => challengeSeal("another-server-secret").seal("ann@example.com", "cognito-session-of-ann")],
    ["a tampered session", async () => (await seal.seal("ann@example.com", "cognito-session-of-ann")).replace("of-ann", "of-bob")],
  ])("refuses %s as expired, asking Cognito nothing", async (_case, session) => {
    const { pool, calls } = fakePool({});
    await expect(completeMfaLogIn({ cognito: pool, keys }, { email: "ann@example.com", session: await session(), code: "123456" })).rejects.toMatchObject({ name: "Failure", code: "mfa_session_expired" });
    expect(calls).toEqual([]);
  });
});

describe("reauthenticate", () => {
  it("signs in with the password, answers the TOTP challenge with the code, and gives the new access token", async () => {
    const { pool, calls } = fakePool({ passwordAuth: [totpChallenge()], answerSoftwareTokenChallenge: [answers(authenticated())] });
    expect(await reauthenticate(pool, user, { password: "pw", code: "123456" })).toEqual({ accessToken: expect.stringMatching(/^ey/), totp: true });
    expect(calls).toEqual([
      { action: "passwordAuth", args: ["sub-1", "pw"] },
      { action: "answerSoftwareTokenChallenge", args: ["sub-1", "cognito-session", "123456"] },
    ]);
  });

  it("asks for the code when TOTP is on and none was sent: 403 step_up_required naming it, after the password", async () => {
    const { pool, calls } = fakePool({ passwordAuth: [totpChallenge()] });
    await expect(reauthenticate(pool, user, { password: "pw" })).rejects.toMatchObject({
      name: "Failure",
      code: "step_up_required",
      errors: [{ field: "code", message: "code is required: TOTP is on for this account" }],
    });
    expect(calls).toEqual([{ action: "passwordAuth", args: ["sub-1", "pw"] }]);
  });

  it("tells a wrong password, a wrong code and a spent session apart", async () => {
    const wrongPassword = fakePool({ passwordAuth: [fails("NotAuthorizedException", "Incorrect username or password.")] });
    await expect(reauthenticate(wrongPassword.pool, user, { password: "pw", code: "123456" })).rejects.toMatchObject({ name: "Failure", code: "invalid_credentials" });
    const wrongCode = fakePool({ passwordAuth: [totpChallenge()], answerSoftwareTokenChallenge: [fails("CodeMismatchException")] });
    await expect(reauthenticate(wrongCode.pool, user, { password: "pw", code: "123456" })).rejects.toMatchObject({ name: "Failure", code: "invalid_mfa_code" });
    const spent = fakePool({ passwordAuth: [totpChallenge()], answerSoftwareTokenChallenge: [fails("NotAuthorizedException", "Invalid session for the user.")] });
    await expect(reauthenticate(spent.pool, user, { password: "pw", code: "123456" })).rejects.toMatchObject({ name: "Failure", code: "mfa_session_expired" });
  });
});
