// Every change of who controls the account tells the address it had before the change (issue 15),
// through SES as the tests script it; the password change's own notice is in password.test.ts.
import { describe, expect, it } from "vitest";
import { authenticationResult, challenge, emptyResult, getUserResult, RECORDED, verifySoftwareTokenResult } from "../fixtures/cognito";
import { accepted, SEND_EMAIL, sentEmail, sesVars } from "../fixtures/ses";
import type { Reply } from "../support/fake-upstream";
import { bearer, ownPool } from "../support/own-pool";
import { apiWith, jsonInit, STRONG_PASSWORD, uniqueEmail } from "../support/worker";

const OWNER = "ann@example.com";

/** Each flow: its request, Cognito's answers for it to succeed, and the notice's subject. */
const FLOWS: [name: string, path: string, init: (token: string) => RequestInit, replies: Record<string, Reply[]>, subject: string][] = [
  [
    "an email change",
    "/platform/email/change",
    (token) => jsonInit({ email: uniqueEmail("new"), password: STRONG_PASSWORD }, { headers: bearer(token) }),
    { InitiateAuth: [authenticationResult()], UpdateUserAttributes: [emptyResult()] },
    "Your account's email address is being changed",
  ],
  [
    "turning TOTP on",
    "/platform/mfa/totp/enable",
    (token) => jsonInit({ code: "123456" }, { headers: bearer(token) }),
    { VerifySoftwareToken: [verifySoftwareTokenResult()], SetUserMFAPreference: [emptyResult()] },
    "An authenticator app was turned on for your account",
  ],
  [
    "turning TOTP off",
    "/platform/mfa/totp",
    (token) => jsonInit({ password: STRONG_PASSWORD, code: "123456" }, { method: "DELETE", headers: bearer(token) }),
    { InitiateAuth: [challenge("SOFTWARE_TOKEN_MFA")], RespondToAuthChallenge: [authenticationResult()], SetUserMFAPreference: [emptyResult()] },
    "The authenticator app was turned off for your account",
  ],
  [
    "deleting the account",
    "/platform/me",
    (token) => jsonInit({ password: STRONG_PASSWORD }, { method: "DELETE", headers: bearer(token) }),
    { InitiateAuth: [authenticationResult()], DeleteUser: [emptyResult()] },
    "Your account was deleted",
  ],
  [
    "a password reset",
    "/platform/password/reset",
    () => jsonInit({ email: OWNER, code: "123456", password: "N3w-Horse-Battery!" }),
    { ConfirmForgotPassword: [emptyResult()], AdminUserGlobalSignOut: [emptyResult()] },
    "Your password was changed",
  ],
];

describe("security notices", () => {
  it.each(FLOWS)("%s mails the address from before it, once", async (_name, path, init, replies, subject) => {
    const pool = await ownPool({ GetUser: [getUserResult(OWNER)], [SEND_EMAIL]: [accepted()], ...replies });
    const res = await apiWith({ ...pool.upstream.vars, ...sesVars(pool.upstream.base) }, path, init(pool.token));
    expect(res.status).toBe(path === "/platform/email/change" ? 202 : 204);
    const sent = (await pool.upstream.calls()).filter((call) => call.action === SEND_EMAIL).map((call) => sentEmail(call.body));
    expect(sent).toEqual([expect.objectContaining({ to: [OWNER], subject })]);
    expect(sent[0]!.text).not.toMatch(/https?:|123456|Corr3ct|N3w-Horse/);
  });

  it.each(FLOWS.filter(([, path]) => path !== "/platform/mfa/totp/enable" && path !== "/platform/password/reset"))(
    "%s with a wrong password mails nobody",
    async (_name, path, init) => {
      const pool = await ownPool({ InitiateAuth: [RECORDED.wrongPassword], GetUser: [getUserResult(OWNER)], [SEND_EMAIL]: [accepted()] });
      const res = await apiWith({ ...pool.upstream.vars, ...sesVars(pool.upstream.base) }, path, init(pool.token));
      expect(res.status).toBe(401);
      expect((await pool.upstream.calls()).map((call) => call.action)).toEqual(["JWKS", "InitiateAuth"]);
    },
  );
});
