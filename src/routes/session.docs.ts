import { ANY, BODY, COGNITO, EXAMPLE, PLATFORM, REFRESHED_EXAMPLE, SIGN_IN, TOKEN, TOKENS_EXAMPLE, type RouterDocs } from "../docs/route-docs";
import { Credentials, Logout, Refresh } from "../schemas/requests";
import { ProfileResponse, RefreshedTokensResponse, TokensResponse } from "../schemas/responses";
import type { sessionRoutes } from "./session";

export const sessionDocs: RouterDocs<typeof sessionRoutes> = {
  "/login": {
    $post: {
      operationId: "logIn",
      summary: "Sign in with email and password",
      body: { schema: Credentials, required: true, example: { email: EXAMPLE.email, password: EXAMPLE.password } },
      responses: { 200: { description: "Signed in", body: { schema: TokensResponse, example: TOKENS_EXAMPLE } } },
      problems: [...PLATFORM, ...BODY, ...COGNITO, "invalid_credentials", ...SIGN_IN, ...ANY],
    },
  },
  "/me": {
    $get: {
      operationId: "me",
      summary: "The signed-in user; email from Cognito, cached for a minute per access token",
      auth: true,
      query: { fresh: { description: "true skips the one-minute cache", enum: ["true", "false"] } },
      responses: {
        200: {
          description: "The user",
          body: {
            schema: ProfileResponse,
            example: { sub: EXAMPLE.sub, email: EXAMPLE.email, email_verified: false, username: EXAMPLE.sub, groups: [], token_expires_at: "2026-11-26T07:00:00.000Z" },
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
