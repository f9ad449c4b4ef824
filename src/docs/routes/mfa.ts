import { ANY, BODY, COGNITO, EXAMPLE, PLATFORM, SIGNED_IN, STEP_UP, type RouterDocs } from "../route-docs";
import { StepUp, TotpCodeOnly } from "../../schemas/requests";
import { TotpSetupResponse } from "../../schemas/responses";
import type { mfaRoutes } from "../../routes/mfa";

const SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSW";

export const mfaDocs: RouterDocs<typeof mfaRoutes> = {
  "/mfa/totp/setup": {
    $post: {
      operationId: "setUpTotp",
      summary: "A new authenticator-app secret and its otpauth:// URI (render it as a QR code, or open /mfa/qr#<URL-encoded otpauth_uri>), after the step up (the password) and only while TOTP is off; TOTP is on only after /enable",
      auth: true,
      body: { schema: StepUp, required: true, example: { password: EXAMPLE.password } },
      responses: {
        200: {
          description: "The secret, pending until a code of it is sent to /mfa/totp/enable",
          body: {
            schema: TotpSetupResponse,
            example: { secret: SECRET, otpauth_uri: `otpauth://totp/Edge%20Auth:ann%40example.com?secret=${SECRET}&issuer=Edge%20Auth` },
          },
        },
      },
      // totp_already_enabled: a second association for a user with TOTP on is never made (services/mfa.ts).
      problems: [...PLATFORM, ...BODY, ...SIGNED_IN, ...COGNITO, ...STEP_UP, "totp_already_enabled", ...ANY],
    },
  },
  "/mfa/totp/enable": {
    $post: {
      operationId: "enableTotp",
      summary: "Turn TOTP on with a code the app shows for the new secret; log-in then asks for a code",
      auth: true,
      body: { schema: TotpCodeOnly, required: true, example: { code: EXAMPLE.totpCode } },
      responses: { 204: { description: "TOTP is on and preferred" } },
      problems: [...PLATFORM, ...BODY, ...SIGNED_IN, ...COGNITO, "invalid_code", "expired_code", ...ANY],
    },
  },
  "/mfa/totp": {
    $delete: {
      operationId: "disableTotp",
      summary: "Turn TOTP off: the password and a current code prove it is the user",
      auth: true,
      body: { schema: StepUp, required: true, example: { password: EXAMPLE.password, code: EXAMPLE.totpCode } },
      responses: { 204: { description: "TOTP is off" } },
      problems: [...PLATFORM, ...BODY, ...SIGNED_IN, ...COGNITO, ...STEP_UP, ...ANY],
    },
  },
};
