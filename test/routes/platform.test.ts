import { decodeJwt } from "jose";
import { describe, expect, it } from "vitest";
import { api, apiWith, emulatorCall, jsonInit, postJson, problemOf, STRONG_PASSWORD, uniqueEmail } from "../support/worker";
import { env } from "cloudflare:workers";

const emulator = env as unknown as Record<string, string>;

async function expectTokens(res: Response, status: number) {
  expect(res.status).toBe(status);
  expect(res.headers.get("cache-control")).toContain("no-store");
  const body = (await res.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(["access_token", "cognito_user_id", "expires_in", "id_token", "refresh_token", "token_type"]);
  expect(body.token_type).toBe("Bearer");
  expect(body.expires_in).toBeGreaterThan(0);
  const claims = decodeJwt(body.access_token as string);
  expect(body.cognito_user_id).toBe(claims.sub);
  expect(body.cognito_user_id).toMatch(/^[0-9a-f-]{36}$/);
  return body;
}

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

describe("POST /platform/login", () => {
  it("returns the tokens and the user's id", async () => {
    const email = uniqueEmail();
    const signedUp = await expectTokens(await postJson("/platform/signup", { email, password: STRONG_PASSWORD }), 201);
    const loggedIn = await expectTokens(await postJson("/platform/login", { email, password: STRONG_PASSWORD }), 200);
    expect(loggedIn.cognito_user_id).toBe(signedUp.cognito_user_id);
  });

  it("answers a wrong password and an unknown email with the identical 401", async () => {
    const email = uniqueEmail();
    await postJson("/platform/signup", { email, password: STRONG_PASSWORD });
    const wrong = await postJson("/platform/login", { email, password: "Wrong-Passw0rd!" });
    const unknown = await postJson("/platform/login", { email: uniqueEmail("ghost"), password: STRONG_PASSWORD });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    const strip = ({ request_id, ...rest }: Record<string, unknown>) => rest;
    const [wrongBody, unknownBody] = [strip(await problemOf(wrong)), strip(await problemOf(unknown))];
    expect(wrongBody).toEqual(unknownBody);
    expect(wrongBody).toMatchObject({ code: "invalid_credentials", status: 401, title: "Invalid credentials" });
  });
});

describe("request validation", () => {
  for (const path of ["/platform/signup", "/platform/login"]) {
    it(`${path}: lists every invalid field in a 400 problem`, async () => {
      const res = await postJson(path, { email: "not-an-email", password: "x".repeat(257) });
      expect(res.status).toBe(400);
      const problem = await problemOf(res);
      expect(problem.code).toBe("validation_failed");
      expect(problem.errors).toEqual([
        { field: "email", message: "email must be a valid email address" },
        { field: "password", message: "password must be at most 256 characters" },
      ]);
    });

    it(`${path}: names missing fields`, async () => {
      const problem = await problemOf(await postJson(path, {}));
      expect((problem.errors as { field: string }[]).map((error) => error.field)).toEqual(["email", "password"]);
    });

    it(`${path}: rejects a body that is not an object`, async () => {
      for (const body of [[], "text", 42, null]) {
        const res = await postJson(path, body);
        expect(res.status).toBe(400);
        expect((await problemOf(res)).code).toBe("validation_failed");
      }
    });

    it(`${path}: answers malformed JSON with 400`, async () => {
      const res = await api(path, { method: "POST", headers: { "content-type": "application/json" }, body: '{"email": ' });
      expect(res.status).toBe(400);
      expect((await problemOf(res)).code).toBe("malformed_json");
    });

    it(`${path}: answers a non-JSON content type with 415`, async () => {
      const res = await api(path, { method: "POST", headers: { "content-type": "text/plain" }, body: "email=a@b.co" });
      expect(res.status).toBe(415);
      expect((await problemOf(res)).code).toBe("unsupported_media_type");
    });

    it(`${path}: answers a 1 MiB body with 413 without reading it whole`, async () => {
      const res = await api(path, jsonInit({ email: "a@example.com", password: "p".repeat(1024 * 1024) }));
      expect(res.status).toBe(413);
      expect((await problemOf(res)).code).toBe("payload_too_large");
    });
  }

  it("answers a wrong method with 405 and the allowed ones", async () => {
    const res = await api("/platform/login");
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect((await problemOf(res)).code).toBe("method_not_allowed");
  });
});

describe("configuration", () => {
  it("answers 503 naming the missing variables but never a value", async () => {
    const res = await apiWith({ USER_POOL_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }, "/platform/login", jsonInit({ email: "a@example.com", password: STRONG_PASSWORD }));
    expect(res.status).toBe(503);
    const problem = await problemOf(res);
    expect(problem.code).toBe("not_configured");
    expect(problem.detail).toContain("USER_POOL_ID");
    expect(problem.detail).toContain("AWS_SECRET_ACCESS_KEY");
    expect(JSON.stringify(problem)).not.toContain(emulator.COGNITO_USER_CLIENT_ID!);
  });

  it("answers 503 for a malformed value, naming only the variable", async () => {
    const res = await apiWith({ COGNITO_REGION_NAME: "not a region" }, "/platform/login", jsonInit({ email: "a@example.com", password: STRONG_PASSWORD }));
    expect(res.status).toBe(503);
    const problem = await problemOf(res);
    expect(problem.detail).toContain("COGNITO_REGION_NAME");
    expect(problem.detail).not.toContain("not a region");
  });
});
