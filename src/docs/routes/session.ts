import { ANY, BODY, COGNITO, EXAMPLE, PLATFORM, REFRESHED_EXAMPLE, SIGN_IN, TOKEN, TOKENS_EXAMPLE, type RouterDocs } from "../route-docs";
import { Credentials, Logout, MfaLogin, Refresh } from "../../schemas/requests";
import { MfaRequiredResponse, ProfileResponse, RefreshedTokensResponse, TokensResponse } from "../../schemas/responses";
import type { sessionRoutes } from "../../routes/session";

export const sessionDocs: RouterDocs<typeof sessionRoutes> = {
  "/login": {
    $post: {
      operationId: "logIn",
      summary: "Sign in with email and password; a user with TOTP on then sends the app's code to /login/mfa",
      body: { schema: Credentials, required: true, example: { email: EXAMPLE.email, password: EXAMPLE.password } },
      responses: {
        200: { description: "Signed in", body: { schema: TokensResponse, example: TOKENS_EXAMPLE } },
        202: {
          description: "The password is right and TOTP is on: send a code with this session to POST /platform/login/mfa (within about three minutes)",
          body: { schema: MfaRequiredResponse, example: { status: "mfa_required", mfa: "totp", session: EXAMPLE.mfaSession } },
        },
      },
      // challenge_required: another step (a pool that requires MFA answers MFA_SETUP to a user without it).
      problems: [...PLATFORM, ...BODY, ...COGNITO, "invalid_credentials", ...SIGN_IN, ...ANY],
    },
  },
  "/login/mfa": {
    $post: {
      operationId: "logInMfa",
      summary: "The TOTP step of a log-in: the session from POST /platform/login and the authenticator app's current code",
      body: { schema: MfaLogin, required: true, example: { email: EXAMPLE.email, session: EXAMPLE.mfaSession, code: EXAMPLE.totpCode } },
      responses: { 200: { description: "Signed in", body: { schema: TokensResponse, example: TOKENS_EXAMPLE } } },
      problems: [...PLATFORM, ...BODY, ...COGNITO, "invalid_mfa_code", "mfa_session_expired", ...SIGN_IN, ...ANY],
    },
  },
  "/me": {
    $get: {
      operationId: "me",
      summary: "The signed-in user; email, its verification and MFA factors from Cognito, cached for a minute per access token",
      auth: true,
      query: { fresh: { description: "true skips the one-minute cache", enum: ["true", "false"] } },
      responses: {
        200: {
          description: "The user",
          body: {
            schema: ProfileResponse,
            example: {
              sub: EXAMPLE.sub,
              email: EXAMPLE.email,
              email_verified: true,
              username: EXAMPLE.sub,
              groups: [],
              token_expires_at: "2026-11-26T07:00:00.000Z",
              mfa: ["totp"],
            },
          },
        },
      },
      problems: [...PLATFORM, "validation_failed", ...TOKEN, ...COGNITO, "account_not_confirmed", "password_reset_required", ...ANY],
    },
  },
  "/refresh": {
    $post: {
      operationId: "refresh",
      summary: "New access and ID tokens for a refresh token",
      body: { schema: Refresh, required: true, example: { refresh_token: EXAMPLE.refreshToken, cognito_user_id: EXAMPLE.sub } },
      responses: { 200: { description: "New tokens", body: { schema: RefreshedTokensResponse, example: REFRESHED_EXAMPLE } } },
      problems: [...PLATFORM, ...BODY, ...COGNITO, "invalid_refresh_token", ...SIGN_IN, ...ANY],
    },
  },
  "/logout": {
    $post: {
      operationId: "logOut",
      summary: "Sign out everywhere (GlobalSignOut), and revoke the given refresh token, best effort",
      auth: true,
      body: { schema: Logout, required: false, example: { refresh_token: EXAMPLE.refreshToken } },
      responses: { 204: { description: "Signed out" } },
      problems: [...PLATFORM, ...BODY, ...TOKEN, ...COGNITO, "account_not_confirmed", "password_reset_required", ...ANY],
    },
  },
};
