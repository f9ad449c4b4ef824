import { Hono } from "hono/tiny";
import { limitGuesses } from "../middleware/rate-limit";
import { validJson, validQuery } from "../middleware/validate";
import { Credentials, Logout, MeQuery, MfaLogin, Refresh } from "../schemas/requests";
import { me } from "../services/profile";
import { completeMfaLogIn, logIn, logOut, refresh } from "../services/sign-in";
import { signedInActor } from "./actor";
import type { PlatformEnv } from "./env";
import { rules } from "./rules";

/** A session: log in (with a TOTP step when it is on), who am I, new tokens, log out. */
export const sessionRoutes = new Hono<PlatformEnv>()
  .post("/login", validJson(Credentials), limitGuesses("password"), async (c) => {
    const outcome = await logIn(c.get("loginDeps"), c.req.valid("json"));
    if (outcome.kind === "mfa_required") return c.json({ status: "mfa_required" as const, mfa: "totp" as const, session: outcome.challengeSession }, 202);
    return c.json(outcome.tokens, 200);
  })
  .post("/login/mfa", validJson(MfaLogin), limitGuesses("totp"), async (c) => {
    return c.json(await completeMfaLogIn(c.get("loginDeps"), c.req.valid("json")), 200);
  })
  .get("/me", ...rules({ limit: "none" }), validQuery(MeQuery), async (c) => {
    return c.json(await me(c.get("loginDeps"), signedInActor(c), { fresh: c.req.valid("query").fresh === "true", claims: c.get("auth") }), 200);
  })
  .post("/refresh", validJson(Refresh), async (c) => {
    const { refresh_token, cognito_user_id } = c.req.valid("json");
    return c.json(await refresh(c.get("loginDeps"), { refreshToken: refresh_token, sub: cognito_user_id }), 200);
  })
  .post("/logout", ...rules({ limit: "none" }), validJson(Logout), async (c) => {
    await logOut(c.get("loginDeps"), signedInActor(c), { refreshToken: c.req.valid("json").refresh_token });
    return c.body(null, 204);
  });
