import { ANY, BODY, COGNITO, EXAMPLE, PLATFORM, SIGNED_IN, STEP_UP, type RouterDocs } from "../route-docs";
import { ChangePassword, EmailOnly, ResetPassword } from "../../schemas/requests";
import { AcceptedResponse } from "../../schemas/responses";
import { CODE_SENT } from "../../routes/answers";
import type { passwordRoutes } from "../../routes/password";

export const passwordDocs: RouterDocs<typeof passwordRoutes> = {
  "/password/forgot": {
    $post: {
      operationId: "forgotPassword",
      summary: "Email a password reset code; the same answer whether or not the email has an account",
      body: { schema: EmailOnly, required: true, example: { email: EXAMPLE.email } },
      responses: { 202: { description: "A code was sent if the account exists", body: { schema: AcceptedResponse, example: CODE_SENT } } },
      problems: [...PLATFORM, ...BODY, ...COGNITO, ...ANY],
    },
  },
  "/password/reset": {
    $post: {
      operationId: "resetPassword",
      summary: "Set a new password with the emailed code, then end every session of the account",
      body: { schema: ResetPassword, required: true, example: { email: EXAMPLE.email, code: "123456", password: "N3w-Horse-Battery!" } },
      responses: { 204: { description: "Password changed; every earlier refresh token is revoked" } },
      problems: [...PLATFORM, ...BODY, ...COGNITO, "invalid_code", "expired_code", "weak_password", "sessions_not_ended", ...ANY],
    },
  },
  "/password/change": {
    $post: {
      operationId: "changePassword",
      summary: "Change the signed-in user's password (with the TOTP code when on), then end every session of the account; a wrong current password counts as a guess",
      auth: true,
      body: { schema: ChangePassword, required: true, example: { current_password: EXAMPLE.password, new_password: "N3w-Horse-Battery!", code: EXAMPLE.totpCode } },
      responses: { 204: { description: "Password changed; every refresh token of the account is revoked (access tokens live until they expire)" } },
      problems: [...PLATFORM, ...BODY, ...SIGNED_IN, ...COGNITO, ...STEP_UP, "weak_password", "sessions_not_ended", ...ANY],
    },
  },
};
