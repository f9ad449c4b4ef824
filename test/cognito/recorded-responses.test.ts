// Real Cognito behaviour, replayed from recorded responses where cognito-local differs or cannot fail.
import { describe, expect, it } from "vitest";
import { adminGetUserResult, authenticationResult, emptyResult, RECORDED, signUpResult, USER_SUB } from "../fixtures/cognito";
import type { Reply } from "../support/fake-upstream";
import { retriesWithoutPause } from "../support/timeouts";
import { apiWith, jsonInit, problemOf, scenario, STRONG_PASSWORD, uniqueEmail, withoutRequestId } from "../support/worker";

retriesWithoutPause();

async function call(path: string, replies: Record<string, Reply[]>, vars: Record<string, string> = {}) {
  const upstream = await scenario(replies);
  // A new email each time keeps clear of the per-email rate limit.
  const email = uniqueEmail();
  const res = await apiWith({ ...upstream.vars, ...vars }, path, jsonInit({ email, password: STRONG_PASSWORD }));
  return { res, email, calls: await upstream.calls() };
}

/** The answer must never carry what Cognito said: its type names, messages, ARNs. */
function expectNothingUpstream(body: Record<string, unknown>, reply: Reply) {
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/Exception|arn:aws|amazonaws/);
  const message = (reply.body as { message?: string }).message;
  if (message && !message.startsWith("Password did not conform")) expect(text).not.toContain(message);
}

describe("log-in against real Cognito's answers", () => {
  const cases: [string, Reply, number, string][] = [
    ["wrong password", RECORDED.wrongPassword, 401, "invalid_credentials"],
    ["unknown email", RECORDED.unknownUser, 401, "invalid_credentials"],
    ["unconfirmed account", RECORDED.unconfirmed, 403, "account_not_confirmed"],
    ["password reset required", RECORDED.resetRequired, 403, "password_reset_required"],
    ["Cognito's lockout", RECORDED.attemptsExceeded, 429, "rate_limited"],
    ["client secret hash rejected", RECORDED.secretHash, 503, "misconfigured"],
    ["auth flow not enabled", RECORDED.flowNotEnabled, 503, "misconfigured"],
    ["app client missing", RECORDED.poolNotFound, 503, "misconfigured"],
    ["an error type nobody knows yet", RECORDED.unknownType, 502, "upstream_error"],
  ];
  for (const [name, reply, status, code] of cases) {
    it(`${name} -> ${status} ${code}`, async () => {
      const { res } = await call("/platform/login", { InitiateAuth: [reply] });
      expect(res.status).toBe(status);
      const problem = await problemOf(res);
      expect(problem).toMatchObject({ status, code });
      expectNothingUpstream(problem, reply);
    });
  }

  it("gives a wrong password and an unknown email the identical body", async () => {
    const strip = async (res: Response) => {
      const { request_id, ...rest } = await problemOf(res);
      return rest;
    };
    const wrong = await strip((await call("/platform/login", { InitiateAuth: [RECORDED.wrongPassword] })).res);
    const unknown = await strip((await call("/platform/login", { InitiateAuth: [RECORDED.unknownUser] })).res);
    expect(wrong).toEqual(unknown);
  });

  it("returns the tokens with expires_in and token_type from Cognito", async () => {
    const { res, email, calls } = await call("/platform/login", { InitiateAuth: [authenticationResult()] });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ cognito_user_id: USER_SUB, expires_in: 3600, token_type: "Bearer" });
    expect(calls).toEqual([
      {
        action: "InitiateAuth",
        signed: false,
        body: { AuthFlow: "USER_PASSWORD_AUTH", ClientId: expect.any(String), AuthParameters: { USERNAME: email, PASSWORD: STRONG_PASSWORD } },
        headers: expect.objectContaining({
          "content-type": "application/x-amz-json-1.1",
          "x-amz-target": "AWSCognitoIdentityProviderService.InitiateAuth",
        }),
        path: "/",
      },
    ]);
  });

  it("retries throttling with backoff, then answers 429 with Retry-After", async () => {
    const { res, calls } = await call("/platform/login", { InitiateAuth: [RECORDED.throttled] });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(calls).toHaveLength(3);
  });

  it("succeeds when throttling clears on a retry", async () => {
    const { res, calls } = await call("/platform/login", { InitiateAuth: [RECORDED.throttled, authenticationResult()] });
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(2);
  });

  it("maps Cognito's internal error to 502 after retrying", async () => {
    const { res, calls } = await call("/platform/login", { InitiateAuth: [RECORDED.internal] });
    expect(res.status).toBe(502);
    expect((await problemOf(res)).code).toBe("upstream_error");
    expect(calls).toHaveLength(3);
  });

  it("names a challenge it cannot complete in a 403", async () => {
    const challenge: Reply = { status: 200, body: { ChallengeName: "NEW_PASSWORD_REQUIRED", Session: "opaque", ChallengeParameters: {} } };
    const { res } = await call("/platform/login", { InitiateAuth: [challenge] });
    expect(res.status).toBe(403);
    const problem = await problemOf(res);
    expect(problem.code).toBe("challenge_required");
    expect(problem.detail).toContain("NEW_PASSWORD_REQUIRED");
  });

  it("adds SECRET_HASH when the app client has a secret", async () => {
    const { res, email, calls } = await call("/platform/login", { InitiateAuth: [authenticationResult()] }, { COGNITO_USER_CLIENT_SECRET: "s3cr3t-value" });
    expect(res.status).toBe(200);
    const params = (calls[0]!.body as { AuthParameters: Record<string, string>; ClientId: string }).AuthParameters;
    const clientId = (calls[0]!.body as { ClientId: string }).ClientId;
    expect(params.SECRET_HASH).toBe(await hmacBase64("s3cr3t-value", email + clientId));
  });
});

describe("sign-up against real Cognito's answers", () => {
  it("signs the admin confirmation with SigV4 and sends the password only to SignUp and InitiateAuth", async () => {
    const { res, email, calls } = await call("/platform/signup", {
      SignUp: [signUpResult()],
      AdminConfirmSignUp: [emptyResult()],
      InitiateAuth: [authenticationResult()],
    });
    expect(res.status).toBe(201);
    expect(calls.map((c) => [c.action, c.signed])).toEqual([
      ["SignUp", false],
      ["AdminConfirmSignUp", true],
      ["InitiateAuth", false],
    ]);
    expect(calls[1]!.body).toEqual({ UserPoolId: expect.any(String), Username: email });
  });

  it("passes on the pool's password policy message with 400", async () => {
    const { res } = await call("/platform/signup", { SignUp: [RECORDED.weakPassword] });
    expect(res.status).toBe(400);
    expect(await problemOf(res)).toMatchObject({
      code: "weak_password",
      detail: "Password did not conform with policy: Password must have uppercase characters",
    });
  });

  it("never sends SignUp twice, even when Cognito throttles it", async () => {
    const { res, calls } = await call("/platform/signup", { SignUp: [RECORDED.throttled] });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBeTruthy();
    expect(calls.map((c) => c.action)).toEqual(["SignUp"]);
  });

  it("answers 409 for a confirmed account without trying the password, right or wrong", async () => {
    const bodies = [];
    for (const InitiateAuth of [[authenticationResult()], [RECORDED.wrongPassword]]) {
      const { res, calls } = await call("/platform/signup", { SignUp: [RECORDED.usernameExists], AdminGetUser: [adminGetUserResult("CONFIRMED")], InitiateAuth });
      expect(res.status).toBe(409);
      expect(calls.map((c) => [c.action, c.signed])).toEqual([
        ["SignUp", false],
        ["AdminGetUser", true],
      ]);
      bodies.push(withoutRequestId(await res.json()));
    }
    expect(bodies[1]).toEqual(bodies[0]);
  });

  it("answers 409 for an unconfirmed account when the password does not match", async () => {
    const { res, calls } = await call("/platform/signup", {
      SignUp: [RECORDED.usernameExists],
      AdminGetUser: [adminGetUserResult("UNCONFIRMED")],
      InitiateAuth: [RECORDED.wrongPassword],
    });
    expect(res.status).toBe(409);
    expect(calls.map((c) => c.action)).toEqual(["SignUp", "AdminGetUser", "InitiateAuth"]);
  });

  it("completes a half-finished sign-up: account unconfirmed, password checks out", async () => {
    const { res, calls } = await call("/platform/signup", {
      SignUp: [RECORDED.usernameExists],
      AdminGetUser: [adminGetUserResult("UNCONFIRMED")],
      InitiateAuth: [RECORDED.unconfirmed, authenticationResult()],
      AdminConfirmSignUp: [emptyResult()],
    });
    expect(res.status).toBe(201);
    expect(calls.map((c) => c.action)).toEqual(["SignUp", "AdminGetUser", "InitiateAuth", "AdminConfirmSignUp", "InitiateAuth"]);
  });

  it("treats a confirmation that a concurrent sign-up already made as done", async () => {
    const { res } = await call("/platform/signup", {
      SignUp: [RECORDED.usernameExists],
      AdminGetUser: [adminGetUserResult("UNCONFIRMED")],
      InitiateAuth: [RECORDED.unconfirmed, authenticationResult()],
      AdminConfirmSignUp: [RECORDED.alreadyConfirmed],
    });
    expect(res.status).toBe(201);
  });

  it("answers a failed confirmation with a retryable error, and a retry completes it", async () => {
    const first = await call("/platform/signup", { SignUp: [signUpResult()], AdminConfirmSignUp: [RECORDED.internal] });
    expect(first.res.status).toBe(502);
    const retry = await call("/platform/signup", {
      SignUp: [RECORDED.usernameExists],
      AdminGetUser: [adminGetUserResult("UNCONFIRMED")],
      InitiateAuth: [RECORDED.unconfirmed, authenticationResult()],
      AdminConfirmSignUp: [emptyResult()],
    });
    expect(retry.res.status).toBe(201);
  });

  const cases: [string, Record<string, Reply[]>, number, string][] = [
    ["IAM key rejected", { SignUp: [signUpResult()], AdminConfirmSignUp: [RECORDED.badSignature] }, 503, "misconfigured"],
    ["IAM policy missing", { SignUp: [signUpResult()], AdminConfirmSignUp: [RECORDED.accessDenied] }, 503, "misconfigured"],
    ["email could not be delivered", { SignUp: [RECORDED.codeDelivery] }, 502, "upstream_error"],
    ["pre-sign-up Lambda refused", { SignUp: [RECORDED.lambdaValidation] }, 400, "invalid_request"],
    ["a parameter rejected", { SignUp: [RECORDED.invalidParameter] }, 400, "invalid_request"],
    ["Cognito's attempt limit", { SignUp: [RECORDED.limitExceeded] }, 429, "rate_limited"],
  ];
  for (const [name, replies, status, code] of cases) {
    it(`${name} -> ${status} ${code}`, async () => {
      const { res } = await call("/platform/signup", replies);
      expect(res.status).toBe(status);
      const problem = await problemOf(res);
      expect(problem.code).toBe(code);
      for (const list of Object.values(replies)) for (const reply of list) if (reply.status !== 200) expectNothingUpstream(problem, reply);
    });
  }
});

async function hmacBase64(secret: string, message: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(message));
  return btoa(String.fromCharCode(...new Uint8Array(mac)));
}
