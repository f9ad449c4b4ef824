import { Hono } from "hono/tiny";
import { requireAuth } from "../auth/require-auth";
import { invalidFields } from "../errors";
import { limitPerIp } from "../middleware/rate-limit";
import { jsonBody, queryParams } from "../middleware/validate";
import { Logout, MeQuery, Refresh } from "../schemas/auth";
import { contactOf, forgetContact, logout, refresh } from "../services/session";
import type { ProfileResponse } from "../schemas/responses";
import type { AppEnv } from "../types";
import type * as z from "zod/mini";

/** The signed-in user's session: who they are, new tokens, sign-out. */
export const session = new Hono<AppEnv>()
  .get("/me", requireAuth, queryParams(MeQuery), async (c) => {
    const claims = c.var.auth;
    const contact = await contactOf(c.var.pool, c.var.upstream, claims.sub, c.var.accessToken, c.req.valid("query").fresh === "true");
    const profile: z.infer<typeof ProfileResponse> = {
      sub: claims.sub,
      email: contact.email,
      email_verified: contact.emailVerified,
      username: claims.username ?? claims.sub,
      groups: claims.groups,
      token_expires_at: new Date(claims.exp * 1000).toISOString(),
    };
    return c.json(profile, 200);
  })
  .post("/refresh", limitPerIp, jsonBody(Refresh), async (c) => {
    const body = c.req.valid("json");
    if (c.var.config.clientSecret && !body.cognito_user_id) {
      throw invalidFields([{ field: "cognito_user_id", message: "cognito_user_id is required: this app client has a secret" }]);
    }
    return c.json(await refresh(c.var.pool, c.var.upstream, body.refresh_token, body.cognito_user_id), 200);
  })
  .post("/logout", requireAuth, jsonBody(Logout), async (c) => {
    await logout(c.var.pool, c.var.upstream, c.var.accessToken, c.req.valid("json").refresh_token);
    forgetContact(c.var.auth.sub);
    return c.body(null, 204);
  });
