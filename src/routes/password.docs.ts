import { ANY, BODY, COGNITO, EXAMPLE, PLATFORM, type RouterDocs } from "../docs/route-docs";
import { EmailOnly, ResetPassword } from "../schemas/requests";
import { AcceptedResponse } from "../schemas/responses";
import { CODE_SENT } from "./answers";
import type { passwordRoutes } from "./password";

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
};
