import { describe, expect, it } from "vitest";
import { cognitoError, emptyResult, RECORDED } from "../fixtures/cognito";
import type { Reply } from "../support/fake-upstream";
import { apiWith, jsonInit, postJson, problemOf, scenario, STRONG_PASSWORD, uniqueEmail } from "../support/worker";

/** The emulator's fixed code (CODE in the global setup): it prints codes instead of emailing them. */
const CODE = "123456";
const NEW_PASSWORD = "N3w-Passw0rd!";

const codeSent = (): Reply => ({
  status: 200,
  body: { CodeDeliveryDetails: { AttributeName: "email", DeliveryMedium: "EMAIL", Destination: "a***@e***" } },
});

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

  it("resets the password with the emailed code: the new one works, the old one no longer does", async () => {
    const email = await signedUpUser();
    expect((await postJson("/platform/password/forgot", { email })).status).toBe(202);
    const reset = await postJson("/platform/password/reset", { email, code: CODE, password: NEW_PASSWORD });
    expect(reset.status).toBe(204);
    expect((await postJson("/platform/login", { email, password: NEW_PASSWORD })).status).toBe(200);
    expect((await postJson("/platform/login", { email, password: STRONG_PASSWORD })).status).toBe(401);
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

describe("sign-up with an emailed code (AUTO_CONFIRM=false)", () => {
  const noAutoConfirm = { AUTO_CONFIRM: "false", AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined };

  it("answers 202, confirms with the code, then the user can log in", async () => {
    const email = uniqueEmail("code");
    const signUp = await apiWith(noAutoConfirm, "/platform/signup", jsonInit({ email, password: STRONG_PASSWORD }));
    expect(signUp.status).toBe(202);
    const body = (await signUp.json()) as { status: string; code_delivery: { medium: string; destination: string } };
    expect(body.status).toBe("confirmation_required");
    expect(body.code_delivery.medium).toBe("EMAIL");
    expect(body.code_delivery.destination).not.toBe(email);

    expect((await problemOf(await postJson("/platform/login", { email, password: STRONG_PASSWORD }))).code).toBe("account_not_confirmed");
    expect((await apiWith(noAutoConfirm, "/platform/confirm", jsonInit({ email, code: "999999" }))).status).toBe(400);
    expect((await apiWith(noAutoConfirm, "/platform/confirm", jsonInit({ email, code: CODE }))).status).toBe(204);
    expect((await postJson("/platform/login", { email, password: STRONG_PASSWORD })).status).toBe(200);
  });

  // cognito-local has no ResendConfirmationCode: these use Cognito's recorded answers.
  it("resends the code when the same sign-up is repeated before confirmation", async () => {
    const upstream = await scenario({
      SignUp: [RECORDED.usernameExists],
      InitiateAuth: [RECORDED.unconfirmed],
      ResendConfirmationCode: [codeSent()],
    });
    const again = await apiWith({ ...noAutoConfirm, ...upstream.vars }, "/platform/signup", jsonInit({ email: uniqueEmail(), password: STRONG_PASSWORD }));
    expect(again.status).toBe(202);
    expect((await upstream.calls()).map((call) => call.action)).toEqual(["SignUp", "InitiateAuth", "ResendConfirmationCode"]);
  });

  it("resend answers the same for a pending, an unknown and a confirmed email", async () => {
    const bodies = [];
    for (const reply of [codeSent(), RECORDED.unknownUser, cognitoError("InvalidParameterException", "User is already confirmed.")]) {
      const upstream = await scenario({ ResendConfirmationCode: [reply] });
      const res = await apiWith(upstream.vars, "/platform/confirm/resend", jsonInit({ email: uniqueEmail() }));
      expect(res.status).toBe(202);
      bodies.push(await res.json());
    }
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
  });

  it("confirming an account that is already confirmed is not an error", async () => {
    const upstream = await scenario({ ConfirmSignUp: [RECORDED.alreadyConfirmed] });
    const res = await apiWith(upstream.vars, "/platform/confirm", jsonInit({ email: uniqueEmail(), code: CODE }));
    expect(res.status).toBe(204);
  });

  it("needs no IAM key when sign-ups are confirmed by code", async () => {
    const upstream = await scenario({ ConfirmSignUp: [emptyResult()] });
    const res = await apiWith({ ...noAutoConfirm, ...upstream.vars }, "/platform/confirm", jsonInit({ email: uniqueEmail(), code: CODE }));
    expect(res.status).toBe(204);
    expect(await upstream.calls()).toHaveLength(1);
  });
});

