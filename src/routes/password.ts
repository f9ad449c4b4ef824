import { Hono } from "hono/tiny";
import { limitGuesses, limitMail } from "../middleware/rate-limit";
import { validJson } from "../middleware/validate";
import { ChangePassword, EmailOnly, ResetPassword } from "../schemas/requests";
import { changePassword, requestPasswordReset, resetPassword } from "../services/password";
import { signedInActor } from "./actor";
import { CODE_SENT } from "./answers";
import type { PlatformEnv } from "./env";
import { rules } from "./rules";

/**
 * A forgotten password: a code by mail, then a new password with it; neither tells whether an email
 * has an account. And a known one changed by the signed-in user (with the TOTP code when on). Both
 * end every session.
 */
export const passwordRoutes = new Hono<PlatformEnv>()
  .post("/password/forgot", validJson(EmailOnly), limitMail, async (c) => {
    await requestPasswordReset(c.get("loginDeps"), c.req.valid("json"));
    return c.json(CODE_SENT, 202);
  })
  .post("/password/reset", validJson(ResetPassword), limitGuesses("reset_code"), async (c) => {
    await resetPassword(c.get("loginDeps"), c.req.valid("json"));
    return c.body(null, 204);
  })
  .post("/password/change", ...rules({ limit: "none" }), validJson(ChangePassword), async (c) => {
    const { current_password, new_password, code } = c.req.valid("json");
    const proof = { password: current_password, code, passwordField: "current_password" };
    await changePassword(c.get("loginDeps"), signedInActor(c), { proof, proposed: new_password });
    return c.body(null, 204);
  });
