import { describe, expect, it, vi } from "vitest";
import { confirmSignUp, signUp } from "../../src/services/sign-up";
import type { UserPool } from "../../src/cognito/user-pool";
import { answers, authenticated, fails, fakePool } from "./fake-pool";

const EMAIL = "ann@example.com";
const PASSWORD = "Corr3ct-Horse!";

function policy(autoConfirm = true) {
  return { autoConfirm, countPasswordGuess: vi.fn(async () => undefined) };
}

/** The sign-up's dependencies: the pool, AUTO_CONFIRM, the password-guess count. */
function depsOf(pool: UserPool, { autoConfirm, countPasswordGuess }: { autoConfirm: boolean; countPasswordGuess: () => Promise<void> }) {
  return { cognito: pool, config: { autoConfirm, totpIssuer: "test" }, countPasswordGuess };
}

describe("signUp", () => {
  it("creates, confirms and signs in a new account", async () => {
    const { pool, calls } = fakePool({
      signUp: [answers({ UserSub: "s", UserConfirmed: false })],
      adminConfirmSignUp: [answers()],
      passwordAuth: [answers(authenticated())],
    });
    const outcome = await signUp(depsOf(pool, policy()), { email: EMAIL, password: PASSWORD });
    expect(outcome.kind).toBe("signed_in");
    expect(calls.map((call) => call.action)).toEqual(["signUp", "adminConfirmSignUp", "passwordAuth"]);
  });

  it("leaves the confirmation to the emailed code when auto-confirmation is off", async () => {
    const delivery = { DeliveryMedium: "EMAIL", Destination: "a***@e***" };
    const { pool } = fakePool({ signUp: [answers({ UserSub: "s", UserConfirmed: false, CodeDeliveryDetails: delivery })] });
    expect(await signUp(depsOf(pool, policy(false)), { email: EMAIL, password: PASSWORD })).toEqual({ kind: "code_sent", delivery: { medium: "EMAIL", destination: "a***@e***" } });
  });

  it("answers a confirmed account with account_exists without trying the password or counting a guess", async () => {
    const { pool, calls } = fakePool({ signUp: [fails("UsernameExistsException")], adminGetUserStatus: [answers("CONFIRMED")] });
    const limits = policy();
    await expect(signUp(depsOf(pool, limits), { email: EMAIL, password: PASSWORD })).rejects.toMatchObject({ name: "Failure", code: "account_exists" });
    expect(calls.map((call) => call.action)).toEqual(["signUp", "adminGetUserStatus"]);
    expect(limits.countPasswordGuess).not.toHaveBeenCalled();
  });

  it("resumes an unconfirmed account for the caller who knows its password, counting the guess", async () => {
    const { pool, calls } = fakePool({
      signUp: [fails("UsernameExistsException")],
      adminGetUserStatus: [answers("UNCONFIRMED")],
      passwordAuth: [fails("UserNotConfirmedException"), answers(authenticated())],
      adminConfirmSignUp: [answers()],
    });
    const limits = policy();
    expect((await signUp(depsOf(pool, limits), { email: EMAIL, password: PASSWORD })).kind).toBe("signed_in");
    expect(limits.countPasswordGuess).toHaveBeenCalledTimes(1);
    expect(calls.map((call) => call.action)).toEqual(["signUp", "adminGetUserStatus", "passwordAuth", "adminConfirmSignUp", "passwordAuth"]);
  });

  it("refuses anyone else with account_exists, leaving the account unconfirmed", async () => {
    const { pool, calls } = fakePool({
      signUp: [fails("UsernameExistsException")],
      adminGetUserStatus: [answers("UNCONFIRMED")],
      passwordAuth: [fails("NotAuthorizedException", "Incorrect username or password.")],
    });
    await expect(signUp(depsOf(pool, policy()), { email: EMAIL, password: "Other-Pass1!" })).rejects.toMatchObject({ name: "Failure", code: "account_exists" });
    expect(calls.map((call) => call.action)).not.toContain("adminConfirmSignUp");
  });

  it("stops before the password check when the guessing limit is reached", async () => {
    const { pool, calls } = fakePool({ signUp: [fails("UsernameExistsException")], adminGetUserStatus: [answers("UNCONFIRMED")] });
    const limited = new Error("limit reached");
    await expect(signUp(depsOf(pool, { autoConfirm: true, countPasswordGuess: async () => Promise.reject(limited) }), { email: EMAIL, password: PASSWORD })).rejects.toBe(limited);
    expect(calls.map((call) => call.action)).toEqual(["signUp", "adminGetUserStatus"]);
  });

  it("answers Cognito's throttling as a limit, whatever the flow", async () => {
    const { pool } = fakePool({ signUp: [fails("TooManyRequestsException", "Rate exceeded")] });
    await expect(signUp(depsOf(pool, policy()), { email: EMAIL, password: PASSWORD })).rejects.toMatchObject({ name: "Failure", code: "rate_limited", headers: { "retry-after": "1" } });
  });
});

describe("confirmSignUp", () => {
  it.each([
    ["a wrong code", fails("CodeMismatchException")],
    ["an unknown email (LEGACY)", fails("UserNotFoundException")],
    ["an account already confirmed", fails("NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")],
  ])("gives %s the same invalid_code", async (_case, outcome) => {
    const { pool } = fakePool({ confirmSignUp: [outcome] });
    await expect(confirmSignUp({ cognito: pool }, { email: EMAIL, code: "123456" })).rejects.toMatchObject({ name: "Failure", code: "invalid_code" });
  });
});
