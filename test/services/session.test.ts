import { describe, expect, it } from "vitest";
import { ChallengeRequiredError, CognitoError, UpstreamUnavailableError } from "../../src/cognito/errors";
import {
  InvalidCredentialsError,
  InvalidMfaCodeError,
  InvalidRefreshTokenError,
  MfaCodeRequiredError,
  MfaSessionExpiredError,
} from "../../src/services/errors";
import { logIn, logOut, reauthenticate, refresh, signIn } from "../../src/services/session";
import { answers, authenticated, fails, fakePool } from "./fake-pool";

describe("signIn", () => {
  it("gives a wrong password and an unknown email the same InvalidCredentialsError", async () => {
    for (const outcome of [fails("NotAuthorizedException", "Incorrect username or password."), fails("UserNotFoundException")]) {
      const { pool } = fakePool({ passwordAuth: [outcome] });
      await expect(signIn(pool, "ann@example.com", "x")).rejects.toBeInstanceOf(InvalidCredentialsError);
    }
  });

  it("keeps Cognito's lockout as a Cognito error, not a wrong password", async () => {
    const { pool } = fakePool({ passwordAuth: [fails("NotAuthorizedException", "Password attempts exceeded")] });
    await expect(signIn(pool, "ann@example.com", "x")).rejects.toBeInstanceOf(CognitoError);
  });

  it("shapes the tokens for clients", async () => {
    const { pool } = fakePool({ passwordAuth: [answers(authenticated())] });
    expect(await signIn(pool, "ann@example.com", "x")).toMatchObject({ expires_in: 3600, token_type: "Bearer", refresh_token: "opaque-refresh-token" });
  });
});

describe("refresh", () => {
  it("gives a revoked refresh token InvalidRefreshTokenError", async () => {
    const { pool } = fakePool({ refreshAuth: [fails("NotAuthorizedException", "Refresh Token has been revoked")] });
    await expect(refresh(pool, "r", undefined)).rejects.toBeInstanceOf(InvalidRefreshTokenError);
  });
});

describe("logOut", () => {
  it("signs out everywhere whatever RevokeToken answers", async () => {
    const { pool, calls } = fakePool({ revokeToken: [fails("UnsupportedTokenTypeException")], globalSignOut: [answers()] });
    await logOut(pool, "access", "refresh");
    expect(calls.map((call) => call.action).sort()).toEqual(["globalSignOut", "revokeToken"]);
  });

  it("counts a session Cognito already ended as signed out", async () => {
    const { pool } = fakePool({ globalSignOut: [fails("NotAuthorizedException", "Access Token has been revoked")] });
    await expect(logOut(pool, "access", undefined)).resolves.toBeUndefined();
  });

  it("fails when the sign-out itself cannot be made", async () => {
    const unreachable = new UpstreamUnavailableError("GlobalSignOut could not reach Cognito");
    const { pool } = fakePool({ globalSignOut: [{ error: unreachable }], revokeToken: [answers()] });
    await expect(logOut(pool, "access", "refresh")).rejects.toBe(unreachable);
  });
});

const totpChallenge = () => ({ error: new ChallengeRequiredError("SOFTWARE_TOKEN_MFA", "cognito-session") });

describe("logIn", () => {
  it("gives the session of a TOTP challenge instead of tokens", async () => {
    const { pool } = fakePool({ passwordAuth: [totpChallenge()] });
    expect(await logIn(pool, "ann@example.com", "x")).toEqual({ kind: "mfa_required", session: "cognito-session" });
  });

  it("leaves any other challenge an error", async () => {
    const { pool } = fakePool({ passwordAuth: [{ error: new ChallengeRequiredError("MFA_SETUP", "cognito-session") }] });
    await expect(logIn(pool, "ann@example.com", "x")).rejects.toBeInstanceOf(ChallengeRequiredError);
  });
});

describe("reauthenticate", () => {
  it("signs in with the password, answers the TOTP challenge with the code, and gives the new access token", async () => {
    const { pool, calls } = fakePool({ passwordAuth: [totpChallenge()], answerSoftwareTokenChallenge: [answers(authenticated())] });
    expect(await reauthenticate(pool, "sub-1", "pw", "123456")).toMatch(/^ey/);
    expect(calls).toEqual([
      { action: "passwordAuth", args: ["sub-1", "pw"] },
      { action: "answerSoftwareTokenChallenge", args: ["sub-1", "cognito-session", "123456"] },
    ]);
  });

  it("asks for the code when TOTP is on and none was sent", async () => {
    const { pool } = fakePool({ passwordAuth: [totpChallenge()] });
    await expect(reauthenticate(pool, "sub-1", "pw", undefined)).rejects.toBeInstanceOf(MfaCodeRequiredError);
  });

  it("tells a wrong password, a wrong code and a spent session apart", async () => {
    const wrongPassword = fakePool({ passwordAuth: [fails("NotAuthorizedException", "Incorrect username or password.")] });
    await expect(reauthenticate(wrongPassword.pool, "sub-1", "pw", "123456")).rejects.toBeInstanceOf(InvalidCredentialsError);
    const wrongCode = fakePool({ passwordAuth: [totpChallenge()], answerSoftwareTokenChallenge: [fails("CodeMismatchException")] });
    await expect(reauthenticate(wrongCode.pool, "sub-1", "pw", "123456")).rejects.toBeInstanceOf(InvalidMfaCodeError);
    const spent = fakePool({ passwordAuth: [totpChallenge()], answerSoftwareTokenChallenge: [fails("NotAuthorizedException", "Invalid session for the user.")] });
    await expect(reauthenticate(spent.pool, "sub-1", "pw", "123456")).rejects.toBeInstanceOf(MfaSessionExpiredError);
  });
});
