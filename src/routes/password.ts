import { Hono } from "hono/tiny";
import { limitGuesses, limitMail } from "../middleware/rate-limit";
import { requireAuth } from "../middleware/require-auth";
import { validJson } from "../middleware/validate";
import { ChangePassword, EmailOnly, ResetPassword } from "../schemas/requests";
import { changePassword, requestPasswordReset, resetPassword } from "../services/password";
import { CODE_SENT } from "./answers";
import { ownerNotifier } from "./notices";
import { stepUp } from "./step-up";
import type { PlatformEnv } from "./env";

/**
 * A forgotten password: a code by mail, then a new password with it; neither tells whether an email
 * has an account. And a known one changed by the signed-in user (with the TOTP code when on). Both
 * end every session.
 */
export const passwordRoutes = new Hono<PlatformEnv>()
  .post("/password/forgot", validJson(EmailOnly), limitMail, async (c) => {
    await requestPasswordReset(c.get("cognito"), c.req.valid("json").email);
    return c.json(CODE_SENT, 202);
  })
  .post("/password/reset", validJson(ResetPassword), limitGuesses("reset_code"), async (c) => {
    const { email, code, password } = c.req.valid("json");
    await resetPassword(c.get("cognito"), email, code, password, ownerNotifier(c));
    return c.body(null, 204);
  })
  .post("/password/change", requireAuth, validJson(ChangePassword), async (c) => {
    const { current_password, new_password, code } = c.req.valid("json");
    const check = stepUp(c, { password: current_password, code, passwordField: "current_password" });
    await changePassword(c.get("cognito"), c.get("user"), check, { current: current_password, proposed: new_password }, ownerNotifier(c));
    return c.body(null, 204);
  });
