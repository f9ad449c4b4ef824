import { Hono } from "hono/tiny";
import { limitPerEmail, limitPerIp } from "../middleware/rate-limit";
import { jsonBody } from "../middleware/validate";
import { ConfirmSignUp, EmailOnly, ResetPassword } from "../schemas/auth";
import { confirmSignUp, requestPasswordReset, resendConfirmationCode, resetPassword } from "../services/recovery";
import type { AppEnv } from "../types";

const CODE_SENT = "If an account exists for this email, a code has been sent to it.";

/** Emailed codes: password reset and sign-up confirmation. Answers never tell whether an email has an account. */
export const recovery = new Hono<AppEnv>()
  .post("/password/forgot", limitPerIp, jsonBody(EmailOnly), limitPerEmail, async (c) => {
    await requestPasswordReset(c.var.pool, c.var.upstream, c.req.valid("json").email);
    return c.json({ message: CODE_SENT }, 202);
  })
  .post("/password/reset", limitPerIp, jsonBody(ResetPassword), limitPerEmail, async (c) => {
    const { email, code, password } = c.req.valid("json");
    await resetPassword(c.var.pool, c.var.upstream, email, code, password);
    return c.body(null, 204);
  })
  .post("/confirm", limitPerIp, jsonBody(ConfirmSignUp), limitPerEmail, async (c) => {
    const { email, code } = c.req.valid("json");
    await confirmSignUp(c.var.pool, c.var.upstream, email, code);
    return c.body(null, 204);
  })
  .post("/confirm/resend", limitPerIp, jsonBody(EmailOnly), limitPerEmail, async (c) => {
    await resendConfirmationCode(c.var.pool, c.var.upstream, c.req.valid("json").email);
    return c.json({ message: CODE_SENT }, 202);
  });
