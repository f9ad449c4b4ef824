import { describe, expect, it } from "vitest";
import { requestPasswordReset, resetPassword } from "../../src/services/password";
import { answers, fails, fakePool } from "./fake-pool";

/** A NotifyOwner that remembers whom it told of what. */
function notices() {
  const told: unknown[][] = [];
  return { told, notify: (to: string | null, change: object) => void told.push([to, change]) };
}

describe("requestPasswordReset", () => {
  it.each([
    ["an account", answers({})],
    ["no account (LEGACY)", fails("UserNotFoundException")],
    ["an account without a verified email", fails("InvalidParameterException", "Cannot reset password for the user as there is no registered/verified email")],
  ])("resolves alike for %s", async (_case, outcome) => {
    const { pool } = fakePool({ forgotPassword: [outcome] });
    await expect(requestPasswordReset({ cognito: pool }, { email: "ann@example.com" })).resolves.toBeUndefined();
  });
});

describe("resetPassword", () => {
  it("ends every session once the new password is set", async () => {
    const { pool, calls } = fakePool({ confirmForgotPassword: [answers()], adminUserGlobalSignOut: [answers()] });
    const owner = notices();
    await resetPassword({ cognito: pool, notify: owner.notify }, { email: "ann@example.com", code: "123456", password: "N3w-Passw0rd!" });
    expect(owner.told).toEqual([["ann@example.com", { kind: "password_changed", signedOut: true }]]);
    expect(calls).toEqual([
      { action: "confirmForgotPassword", args: ["ann@example.com", "123456", "N3w-Passw0rd!"] },
      { action: "adminUserGlobalSignOut", args: ["ann@example.com"] },
    ]);
  });

  it("says so when the password changed but the sessions could not be ended", async () => {
    const { pool } = fakePool({ confirmForgotPassword: [answers()], adminUserGlobalSignOut: [fails("InternalErrorException", "", 500)] });
    const owner = notices();
    await expect(resetPassword({ cognito: pool, notify: owner.notify }, { email: "ann@example.com", code: "123456", password: "N3w-Passw0rd!" })).rejects.toMatchObject({ name: "Failure", code: "sessions_not_ended" });
    // The notice says what happened: the sign-out failed (issue 21).
    expect(owner.told).toEqual([["ann@example.com", { kind: "password_changed", signedOut: false }]]);
  });

  it.each([
    ["a wrong code", fails("CodeMismatchException")],
    ["an unknown email (LEGACY)", fails("UserNotFoundException")],
    ["an unconfirmed account", fails("UserNotConfirmedException")],
    ["no verified email", fails("InvalidParameterException", "Cannot reset password for the user as there is no registered/verified email")],
  ])("gives %s the same invalid_code and signs nobody out", async (_case, outcome) => {
    const { pool, calls } = fakePool({ confirmForgotPassword: [outcome] });
    const owner = notices();
    await expect(resetPassword({ cognito: pool, notify: owner.notify }, { email: "ann@example.com", code: "123456", password: "N3w-Passw0rd!" })).rejects.toMatchObject({ name: "Failure", code: "invalid_code" });
    expect(calls.map((call) => call.action)).toEqual(["confirmForgotPassword"]);
    expect(owner.told).toEqual([]);
  });
});
