import { Hono } from "hono/tiny";
import { validJson } from "../middleware/validate";
import { CodeOnly, EmailChange, StepUp } from "../schemas/requests";
import { changeEmail, deleteLogin, sendEmailVerificationCode, verifyEmail } from "../services/login";
import { signedInActor } from "./actor";
import { EMAIL_CODE_SENT, NEW_EMAIL_CODE_SENT } from "./answers";
import type { PlatformEnv } from "./env";
import { rules } from "./rules";

/** A stolen or long-refreshed token must not move the account's email: the sign-in must be this recent. */
const EMAIL_CHANGE_SIGN_IN_MAX_AGE_SECONDS = 15 * 60;

/** The signed-in user's login (Cognito): its email (prove it, change it), and its end. Not the brokerage account: routes/brokerage.ts. */
export const loginRoutes = new Hono<PlatformEnv>()
  .post("/email/verify/send", ...rules({ limit: "mail" }), async (c) => {
    await sendEmailVerificationCode(c.get("loginDeps"), signedInActor(c));
    return c.json(EMAIL_CODE_SENT, 202);
  })
  .post("/email/verify", ...rules({ limit: { guesses: "email_code" }, body: validJson(CodeOnly) }), async (c) => {
    await verifyEmail(c.get("loginDeps"), signedInActor(c), c.req.valid("json"));
    return c.body(null, 204);
  })
  .post("/email/change", ...rules({ recentSignIn: EMAIL_CHANGE_SIGN_IN_MAX_AGE_SECONDS, limit: "mail to new address", body: validJson(EmailChange) }), async (c) => {
    const { email, password, code } = c.req.valid("json");
    await changeEmail(c.get("loginDeps"), signedInActor(c), { email, proof: { password, code } });
    return c.json(NEW_EMAIL_CODE_SENT, 202);
  })
  .delete("/me", ...rules({ limit: "none" }), validJson(StepUp), async (c) => {
    await deleteLogin(c.get("loginDeps"), signedInActor(c), { proof: c.req.valid("json") });
    return c.body(null, 204);
  });
