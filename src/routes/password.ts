import { Hono } from "hono/tiny";
import { limitGuesses, limitMail } from "../middleware/rate-limit";
import { validJson } from "../middleware/validate";
import { EmailOnly, ResetPassword } from "../schemas/requests";
import { requestPasswordReset, resetPassword } from "../services/password";
import { CODE_SENT } from "./answers";
import type { PlatformEnv } from "./env";

/** A forgotten password: a code by mail, then a new password with it. Neither tells whether an email has an account. */
export const passwordRoutes = new Hono<PlatformEnv>()
  .post("/password/forgot", validJson(EmailOnly), limitMail, async (c) => {
    await requestPasswordReset(c.var.cognito, c.req.valid("json").email);
    return c.json(CODE_SENT, 202);
  })
  .post("/password/reset", validJson(ResetPassword), limitGuesses("code"), async (c) => {
    const { email, code, password } = c.req.valid("json");
    await resetPassword(c.var.cognito, email, code, password);
    return c.body(null, 204);
  });
