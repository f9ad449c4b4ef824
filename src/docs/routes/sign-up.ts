import { ANY, BODY, COGNITO, EXAMPLE, PLATFORM, SIGN_IN, TOKENS_EXAMPLE, type RouterDocs } from "../route-docs";
import { ConfirmSignUp, Credentials, EmailOnly } from "../../schemas/requests";
import { AcceptedResponse, ConfirmationRequiredResponse, TokensResponse } from "../../schemas/responses";
import { CODE_SENT } from "../../routes/answers";
import type { signUpRoutes } from "../../routes/sign-up";

export const signUpDocs: RouterDocs<typeof signUpRoutes> = {
  "/signup": {
    $post: {
      operationId: "signUp",
      summary: "Create an account, confirm it and sign in; called again with the same password it completes a half-finished sign-up",
      body: { schema: Credentials, required: true, example: { email: EXAMPLE.email, password: EXAMPLE.password } },
      responses: {
        201: { description: "Signed up and signed in", body: { schema: TokensResponse, example: TOKENS_EXAMPLE } },
        202: {
          description: "With AUTO_CONFIRM=false: a confirmation code was sent",
          body: {
            schema: ConfirmationRequiredResponse,
            example: { status: "confirmation_required", code_delivery: { medium: "EMAIL", destination: "a***@example.com" } },
          },
        },
      },
      // invalid_credentials: the first log-in after confirming, if the password changed in between.
      problems: [...PLATFORM, ...BODY, ...COGNITO, "weak_password", "account_exists", "invalid_credentials", ...SIGN_IN, ...ANY],
    },
  },
  "/confirm": {
    $post: {
      operationId: "confirmSignUp",
      summary: "Confirm a sign-up with the emailed code; a wrong code, an unknown email and a confirmed account answer alike",
      body: { schema: ConfirmSignUp, required: true, example: { email: EXAMPLE.email, code: "123456" } },
      responses: { 204: { description: "Confirmed" } },
      // account_exists: Cognito's AliasExists, the email already confirmed on another account.
      problems: [...PLATFORM, ...BODY, ...COGNITO, "invalid_code", "expired_code", "account_exists", ...ANY],
    },
  },
  "/confirm/resend": {
    $post: {
      operationId: "resendConfirmationCode",
      summary: "Send the confirmation code again; the same answer whether or not the email has an account",
      body: { schema: EmailOnly, required: true, example: { email: EXAMPLE.email } },
      responses: { 202: { description: "A code was sent if the account is pending", body: { schema: AcceptedResponse, example: CODE_SENT } } },
      problems: [...PLATFORM, ...BODY, ...COGNITO, ...ANY],
    },
  },
};
