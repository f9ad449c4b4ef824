import { Hono } from "hono/tiny";
import { limitGuesses } from "../middleware/rate-limit";
import { requireAuth } from "../middleware/require-auth";
import { validJson, validQuery } from "../middleware/validate";
import { Credentials, Logout, MeQuery, MfaLogin, Refresh } from "../schemas/requests";
import type { ProfileResponse } from "../schemas/responses";
import { forgetProfiles, userProfile } from "../services/profile";
import { completeMfaLogIn, logIn, logOut, refresh } from "../services/sign-in";
import type { PlatformEnv } from "./env";
import type * as z from "zod/mini";

/** A session: log in (with a TOTP step when it is on), who am I, new tokens, log out. */
export const sessionRoutes = new Hono<PlatformEnv>()
  .post("/login", validJson(Credentials), limitGuesses("password"), async (c) => {
    const { email, password } = c.req.valid("json");
    const outcome = await logIn(c.get("cognito"), c.get("challengeSeal"), email, password);
    if (outcome.kind === "mfa_required") return c.json({ status: "mfa_required" as const, mfa: "totp" as const, session: outcome.challengeSession }, 202);
    return c.json(outcome.tokens, 200);
  })
  .post("/login/mfa", validJson(MfaLogin), limitGuesses("totp"), async (c) => {
    const { email, session, code } = c.req.valid("json");
    return c.json(await completeMfaLogIn(c.get("cognito"), c.get("challengeSeal"), email, session, code), 200);
  })
  .get("/me", requireAuth, validQuery(MeQuery), async (c) => {
    const claims = c.get("auth");
    const profile = await userProfile(c.get("cognito"), c.get("user"), c.req.valid("query").fresh === "true");
    const answer: z.infer<typeof ProfileResponse> = {
      sub: claims.sub,
      email: profile.email,
      email_verified: profile.emailVerified,
      username: c.get("user").username,
      groups: claims.groups,
      token_expires_at: new Date(claims.exp * 1000).toISOString(),
      mfa: profile.mfa,
    };
    return c.json(answer, 200);
  })
  .post("/refresh", validJson(Refresh), async (c) => {
    const { refresh_token, cognito_user_id } = c.req.valid("json");
    return c.json(await refresh(c.get("cognito"), refresh_token, cognito_user_id), 200);
  })
  .post("/logout", requireAuth, validJson(Logout), async (c) => {
    await logOut(c.get("cognito"), c.get("user").accessToken, c.req.valid("json").refresh_token);
    forgetProfiles({ sub: c.get("user").sub });
    return c.body(null, 204);
  });
