import { describe, expect, it, vi } from "vitest";
import { confirmSignUp, signUp } from "../../src/services/sign-up";
import { answers, authenticated, fails, fakePool } from "./fake-pool";

const EMAIL = "ann@example.com";
const PASSWORD = "Corr3ct-Horse!";

function policy(autoConfirm = true) {
  return { autoConfirm, countPasswordGuess: vi.fn(async () => undefined) };
}

describe("signUp", () => {
  it("creates, confirms and signs in a new account", async () => {
    const { pool, calls } = fakePool({
      signUp: [answers({ UserSub: "s", UserConfirmed: false })],
      adminConfirmSignUp: [answers()],
      passwordAuth: [answers(authenticated())],
    });
    const outcome = await signUp(pool, EMAIL, PASSWORD, policy());
    expect(outcome.kind).toBe("signed_in");
    expect(calls.map((call) => call.action)).toEqual(["signUp", "adminConfirmSignUp", "passwordAuth"]);
  });

  it("leaves the confirmation to the emailed code when auto-confirmation is off", async () => {
    const delivery = { DeliveryMedium: "EMAIL", Destination: "a***@e***" };
    const { pool } = fakePool({ signUp: [answers({ UserSub: "s", UserConfirmed: false, CodeDeliveryDetails: delivery })] });
    expect(await signUp(pool, EMAIL, PASSWORD, policy(false))).toEqual({ kind: "code_sent", delivery: { medium: "EMAIL", destination: "a***@e***" } });
  });

  it("answers a confirmed account with account_exists without trying the password or counting a guess", async () => {
    const { pool, calls } = fakePool({ signUp: [fails("UsernameExistsException")], adminGetUserStatus: [answers("CONFIRMED")] });
    const limits = policy();
    await expect(signUp(pool, EMAIL, PASSWORD, limits)).rejects.toMatchObject({ name: "Failure", code: "account_exists" });
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
    expect((await signUp(pool, EMAIL, PASSWORD, limits)).kind).toBe("signed_in");
    expect(limits.countPasswordGuess).toHaveBeenCalledTimes(1);
    expect(calls.map((call) => call.action)).toEqual(["signUp", "adminGetUserStatus", "passwordAuth", "adminConfirmSignUp", "passwordAuth"]);
  });

  it("refuses anyone else with account_exists, leaving the account unconfirmed", async () => {
    const { pool, calls } = fakePool({
      signUp: [fails("UsernameExistsException")],
      adminGetUserStatus: [answers("UNCONFIRMED")],
      passwordAuth: [fails("NotAuthorizedException", "Incorrect username or password.")],
    });
    await expect(signUp(pool, EMAIL, "Other-Pass1!", policy())).rejects.toMatchObject({ name: "Failure", code: "account_exists" });
    expect(calls.map((call) => call.action)).not.toContain("adminConfirmSignUp");
  });

  it("stops before the password check when the guessing limit is reached", async () => {
    const { pool, calls } = fakePool({ signUp: [fails("UsernameExistsException")], adminGetUserStatus: [answers("UNCONFIRMED")] });
    const limited = new Error("limit reached");
    await expect(signUp(pool, EMAIL, PASSWORD, { autoConfirm: true, countPasswordGuess: async () => Promise.reject(limited) })).rejects.toBe(limited);
    expect(calls.map((call) => call.action)).toEqual(["signUp", "adminGetUserStatus"]);
  });

  it("answers Cognito's throttling as a limit, whatever the flow", async () => {
    const { pool } = fakePool({ signUp: [fails("TooManyRequestsException", "Rate exceeded")] });
    await expect(signUp(pool, EMAIL, PASSWORD, policy())).rejects.toMatchObject({ name: "Failure", code: "rate_limited", headers: { "retry-after": "1" } });
  });
});

describe("confirmSignUp", () => {
  it.each([
    ["a wrong code", fails("CodeMismatchException")],
    ["an unknown email (LEGACY)", fails("UserNotFoundException")],
    ["an account already confirmed", fails("NotAuthorizedException", "User cannot be confirmed. Current status is CONFIRMED")],
  ])("gives %s the same invalid_code", async (_case, outcome) => {
    const { pool } = fakePool({ confirmSignUp: [outcome] });
    await expect(confirmSignUp(pool, EMAIL, "123456")).rejects.toMatchObject({ name: "Failure", code: "invalid_code" });
  });
});
