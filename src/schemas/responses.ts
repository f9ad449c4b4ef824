// Response shapes: the one definition of each, for the OpenAPI document, and by its derived type for
// the flows, the error handler and hc<AppType>. Imported as types only by the Worker, so they cost
// nothing in its bundle.
import * as z from "zod/mini";
import { FAILURES, type FailureCode } from "../failures";

/** New tokens from a refresh: a new refresh token only when the app client rotates them. */
export const RefreshedTokensResponse = z.object({
  access_token: z.string(),
  id_token: z.string(),
  refresh_token: z.optional(z.string()),
  expires_in: z.number(),
  token_type: z.string(),
  cognito_user_id: z.string(),
});
export type RefreshedTokensResponse = z.output<typeof RefreshedTokensResponse>;

/** A new session, from sign-up or log-in: always with a refresh token. */
export const TokensResponse = z.extend(RefreshedTokensResponse, { refresh_token: z.string() });
export type TokensResponse = z.output<typeof TokensResponse>;

export const ProfileResponse = z.object({
  sub: z.string(),
  email: z.nullable(z.string()),
  email_verified: z.boolean(),
  username: z.string(),
  groups: z.array(z.string()),
  token_expires_at: z.string(),
  /** The second factors on for the account: "totp" (authenticator app), and "sms" or "email" set up outside this API. */
  mfa: z.array(z.enum(["totp", "sms", "email"])),
});
export type ProfileResponse = z.output<typeof ProfileResponse>;

export const MfaRequiredResponse = z.object({ status: z.literal("mfa_required"), mfa: z.literal("totp"), session: z.string() });

export const TotpSetupResponse = z.object({ secret: z.string(), otpauth_uri: z.string() });
export type TotpSetupResponse = z.output<typeof TotpSetupResponse>;

export const AcceptedResponse = z.object({ message: z.string() });

export const ConfirmationRequiredResponse = z.object({
  status: z.literal("confirmation_required"),
  code_delivery: z.object({ medium: z.string(), destination: z.nullable(z.string()) }),
});
export type ConfirmationRequiredResponse = z.output<typeof ConfirmationRequiredResponse>;

/** RFC 9457 problem details, as every error of this API is answered (see src/failures.ts). */
export const ProblemResponse = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  detail: z.string(),
  code: z.enum(Object.keys(FAILURES) as [FailureCode, ...FailureCode[]]),
  request_id: z.optional(z.string()),
  errors: z.optional(z.array(z.object({ field: z.string(), message: z.string() }))),
});
export type ProblemResponse = z.output<typeof ProblemResponse>;
