import { env } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { adminGetUserResult, cognitoError, RECORDED } from "../fixtures/cognito";
import type { Reply } from "../support/fake-upstream";
import { apiWith, emulatorCall, expectTokens, jsonInit, postJson, problemOf, scenario, STRONG_PASSWORD, uniqueEmail, visibleAnswer } from "../support/worker";
import { INVALID_CODE } from "../support/answers";

const emulator = env as unknown as Record<string, string>;

/** The emulator's fixed code (CODE in the global setup): it prints codes instead of emailing them. */
const CODE = "123456";

const codeSent = (): Reply => ({
  status: 200,
  body: { CodeDeliveryDetails: { AttributeName: "email", DeliveryMedium: "EMAIL", Destination: "a***@e***" } },
});

describe("POST /platform/signup", () => {
  it("creates, confirms and signs in a new user", async () => {
    const email = uniqueEmail();
    const body = await expectTokens(await postJson("/platform/signup", { email, password: STRONG_PASSWORD }), 201);
    expect(decodeJwt(body.id_token as string).email).toBe(email);
  });

  it("normalises the email so the account is found however it is typed", async () => {
    const email = uniqueEmail("Mixed");
    await expectTokens(await postJson("/platform/signup", { email: `  ${email.toUpperCase()} `, password: STRONG_PASSWORD }), 201);
    await expectTokens(await postJson("/platform/login", { email: email.toLowerCase(), password: STRONG_PASSWORD }), 200);
  });

  it("answers 409 for an email that already has an account, whatever the password", async () => {
    const email = uniqueEmail();
    await expectTokens(await postJson("/platform/signup", { email, password: STRONG_PASSWORD }), 201);
    for (const password of [STRONG_PASSWORD, "Other-Passw0rd!"]) {
      const res = await postJson("/platform/signup", { email, password });
      expect(res.status).toBe(409);
      expect(await problemOf(res)).toMatchObject({ code: "account_exists", status: 409 });
    }
  });

  it("completes a sign-up that stopped before confirmation when called again with the same password", async () => {
    const email = uniqueEmail("stuck");
    // The tutorial's failure mode: SignUp went through, AdminConfirmSignUp never happened.
    await emulatorCall("SignUp", { ClientId: emulator.COGNITO_USER_CLIENT_ID, Username: email, Password: STRONG_PASSWORD });
    const stuck = await postJson("/platform/login", { email, password: STRONG_PASSWORD });
    expect((await problemOf(stuck)).code).toBe("account_not_confirmed");

    const intruder = await postJson("/platform/signup", { email, password: "Intrud3r-Pass!" });
    expect(intruder.status).toBe(409);
    // The other password neither confirmed the account nor took it over.
    expect((await problemOf(await postJson("/platform/login", { email, password: STRONG_PASSWORD }))).code).toBe("account_not_confirmed");

    await expectTokens(await postJson("/platform/signup", { email, password: STRONG_PASSWORD }), 201);
    await expectTokens(await postJson("/platform/login", { email, password: STRONG_PASSWORD }), 200);
  });

  it("gives one account for concurrent sign-ups of one email with one password", async () => {
    const email = uniqueEmail("race");
    const results = await Promise.all(Array.from({ length: 8 }, () => postJson("/platform/signup", { email, password: STRONG_PASSWORD })));
    const statuses = results.map((res) => res.status);
    expect(statuses.every((status) => status === 201 || status === 409)).toBe(true);
    expect(statuses).toContain(201);
    await expectTokens(await postJson("/platform/login", { email, password: STRONG_PASSWORD }), 200);
  });

  it("loses nothing when many people sign up at once", async () => {
    const emails = Array.from({ length: 20 }, () => uniqueEmail("crowd"));
    const signUps = await Promise.all(emails.map((email) => postJson("/platform/signup", { email, password: STRONG_PASSWORD })));
    expect(signUps.map((res) => res.status)).toEqual(emails.map(() => 201));
    const logins = await Promise.all(emails.map((email) => postJson("/platform/login", { email, password: STRONG_PASSWORD })));
    expect(logins.map((res) => res.status)).toEqual(emails.map(() => 200));
  });

  it("lets only the first caller's password in when concurrent sign-ups use different passwords", async () => {
    const email = uniqueEmail("race");
    const passwords = Array.from({ length: 8 }, (_, i) => `Racer-${i}-Passw0rd!`);
    const results = await Promise.all(passwords.map((password) => postJson("/platform/signup", { email, password })));
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(1);
    expect(statuses.filter((status) => status === 409)).toHaveLength(passwords.length - 1);
    const winner = passwords[statuses.indexOf(201)];
    const logins = await Promise.all(passwords.map((password) => postJson("/platform/login", { email, password })));
    expect(logins.map((res, i) => (passwords[i] === winner ? res.status === 200 : res.status === 401))).toEqual(passwords.map(() => true));
  });
});

describe("sign-up with an emailed code (AUTO_CONFIRM=false)", () => {
  const noAutoConfirm = { AUTO_CONFIRM: "false" };

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
      AdminGetUser: [adminGetUserResult("UNCONFIRMED")],
      InitiateAuth: [RECORDED.unconfirmed],
      ResendConfirmationCode: [codeSent()],
    });
    const again = await apiWith({ ...noAutoConfirm, ...upstream.vars }, "/platform/signup", jsonInit({ email: uniqueEmail(), password: STRONG_PASSWORD }));
    expect(again.status).toBe(202);
    expect((await upstream.calls()).map((call) => call.action)).toEqual(["SignUp", "AdminGetUser", "InitiateAuth", "ResendConfirmationCode"]);
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

  it("answers a wrong code identically for unknown, unconfirmed and confirmed accounts, whatever PreventUserExistenceErrors is", async () => {
    const replies: [string, Reply][] = [
      ["unconfirmed account, wrong code", RECORDED.codeMismatch],
      ["unknown email, PreventUserExistenceErrors ENABLED", RECORDED.codeMismatch],
      ["unknown email, LEGACY", RECORDED.unknownUser],
      ["confirmed account, any code", RECORDED.alreadyConfirmed],
    ];
    const answers = [];
    for (const [, reply] of replies) {
      const upstream = await scenario({ ConfirmSignUp: [reply] });
      answers.push(await visibleAnswer(await apiWith(upstream.vars, "/platform/confirm", jsonInit({ email: uniqueEmail(), code: CODE }))));
    }
    expect(answers[0]).toMatchObject({ status: 400, headers: { "content-type": "application/problem+json" } });
    expect(JSON.parse(answers[0]!.body)).toEqual(INVALID_CODE);
    for (const answer of answers.slice(1)) expect(answer).toEqual(answers[0]);
  });

  // cognito-local confirms an already-confirmed account again with the right code; real Cognito refuses (the test above).
  it("answers the emulator's unknown email and wrong codes alike", async () => {
    const confirmed = uniqueEmail("done");
    await expectTokens(await postJson("/platform/signup", { email: confirmed, password: STRONG_PASSWORD }), 201);
    const pending = uniqueEmail("pending");
    await emulatorCall("SignUp", { ClientId: emulator.COGNITO_USER_CLIENT_ID, Username: pending, Password: STRONG_PASSWORD });
    const answers = [];
    for (const [email, code] of [[pending, "999999"], [uniqueEmail("ghost"), CODE], [confirmed, "999999"]]) {
      answers.push(await visibleAnswer(await postJson("/platform/confirm", { email, code })));
    }
    expect(answers[0]!.status).toBe(400);
    for (const answer of answers.slice(1)) expect(answer).toEqual(answers[0]);
  });
});
