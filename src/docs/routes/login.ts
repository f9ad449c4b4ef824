import { ANY, BODY, COGNITO, EXAMPLE, PLATFORM, SIGNED_IN, STEP_UP, type RouterDocs } from "../route-docs";
import { CodeOnly, EmailChange, StepUp } from "../../schemas/requests";
import { AcceptedResponse } from "../../schemas/responses";
import type { loginRoutes } from "../../routes/login";
import { EMAIL_CODE_SENT, NEW_EMAIL_CODE_SENT } from "../../routes/answers";

export const loginDocs: RouterDocs<typeof loginRoutes> = {
  "/email/verify/send": {
    $post: {
      operationId: "sendEmailVerificationCode",
      summary: "Email a verification code to the signed-in user's address",
      auth: true,
      responses: { 202: { description: "A code was sent", body: { schema: AcceptedResponse, example: EMAIL_CODE_SENT } } },
      problems: [...PLATFORM, ...BODY, ...SIGNED_IN, ...COGNITO, ...ANY],
    },
  },
  "/email/verify": {
    $post: {
      operationId: "verifyEmail",
      summary: "Verify the email with the code sent to it (after /email/change: the new address replaces the old one)",
      auth: true,
      body: { schema: CodeOnly, required: true, example: { code: "123456" } },
      responses: { 204: { description: "Verified: GET /platform/me shows email_verified true" } },
      // account_exists: the new address was taken by another account meanwhile.
      problems: [...PLATFORM, ...BODY, ...SIGNED_IN, ...COGNITO, "invalid_code", "expired_code", "account_exists", ...ANY],
    },
  },
  "/email/change": {
    $post: {
      operationId: "changeEmail",
      summary: "Send a code to a new address; the current one stays the one that logs in until the code is verified. The same answer whether or not the address is taken. Needs the password (and the TOTP code when on) and a sign-in from the last 15 minutes",
      auth: true,
      body: { schema: EmailChange, required: true, example: { email: "ann.new@example.com", password: EXAMPLE.password, code: EXAMPLE.totpCode } },
      responses: { 202: { description: "A code was sent if the address is free", body: { schema: AcceptedResponse, example: NEW_EMAIL_CODE_SENT } } },
      problems: [...PLATFORM, ...BODY, ...SIGNED_IN, "recent_sign_in_required", ...COGNITO, ...STEP_UP, ...ANY],
    },
  },
  "/me": {
    $delete: {
      operationId: "deleteAccount",
      summary: "Delete the account: the password, and the authenticator code when TOTP is on, prove it is the user. Refused (after the password) while the user's brokerage account is not closed or an opening is in flight; an opening after it is refused",
      auth: true,
      body: { schema: StepUp, required: true, example: { password: EXAMPLE.password, code: EXAMPLE.totpCode } },
      responses: { 204: { description: "Deleted: log-in answers 401 and the email can sign up again" } },
      problems: [...PLATFORM, ...BODY, ...SIGNED_IN, ...COGNITO, ...STEP_UP, "brokerage_account_open", ...ANY],
    },
  },
};
