import { describe, expect, it } from "vitest";
import { CognitoError, UpstreamUnavailableError } from "../../src/cognito/errors";
import { InvalidCredentialsError, InvalidRefreshTokenError } from "../../src/services/errors";
import { logOut, refresh, signIn } from "../../src/services/session";
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
