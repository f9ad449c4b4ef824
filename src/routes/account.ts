import type { Context } from "hono";
import type { AuthVariables } from "../middleware/require-auth";
import { requestActor } from "./actor";
import { Hono } from "hono/tiny";
import { limitGuessesOfUser, limitMailOfUser, limitMailToNewAddress } from "../middleware/rate-limit";
import { requireRecentSignIn } from "../middleware/recent-sign-in";
import { requireAuth } from "../middleware/require-auth";
import { validJson } from "../middleware/validate";
import { CodeOnly, EmailChange, StepUp } from "../schemas/requests";
import { changeEmail, deleteLogin, sendEmailVerificationCode, verifyEmail } from "../services/account";
import { EMAIL_CODE_SENT, NEW_EMAIL_CODE_SENT } from "./answers";
import type { PlatformEnv } from "./env";
import { ownerNotifier } from "./notices";
import { stepUp } from "./step-up";

/** A stolen or long-refreshed token must not move the account's email: the sign-in must be this recent. */
const EMAIL_CHANGE_SIGN_IN_MAX_AGE_SECONDS = 15 * 60;

/**
 * The brokerage where the deployment has it (the Broker API's settings and D1), else undefined: a
 * verified email change keeps the Broker API in step, and works the same without it.
 */
function brokerIfConfigured(c: Context<PlatformEnv & { Variables: AuthVariables }>) {
  const root = c.get("root");
  if (!root.brokerageConfigured) return undefined;
  const brokerage = { stores: root.brokerage().stores, broker: c.get("clients").broker, now: root.now };
  return { brokerage, actor: requestActor(c) };
}

/** The signed-in user's email (prove it, change it) and the end of the account. */
export const accountRoutes = new Hono<PlatformEnv>()
  .post("/email/verify/send", requireAuth, limitMailOfUser, async (c) => {
    await sendEmailVerificationCode(c.get("cognito"), c.get("user"));
    return c.json(EMAIL_CODE_SENT, 202);
  })
  .post("/email/verify", requireAuth, validJson(CodeOnly), limitGuessesOfUser("email_code"), async (c) => {
    const records = brokerIfConfigured(c);
    await verifyEmail(c.get("cognito"), c.get("user"), c.req.valid("json").code, records);
    return c.body(null, 204);
  })
  .post(
    "/email/change",
    requireAuth,
    requireRecentSignIn(EMAIL_CHANGE_SIGN_IN_MAX_AGE_SECONDS),
    validJson(EmailChange),
    limitMailToNewAddress,
    async (c) => {
      const { email, password, code } = c.req.valid("json");
      await changeEmail(c.get("cognito"), c.get("user"), email, stepUp(c, { password, code }), ownerNotifier(c));
      return c.json(NEW_EMAIL_CODE_SENT, 202);
    },
  )
  .delete("/me", requireAuth, validJson(StepUp), async (c) => {
    // No D1 binding: this deployment keeps no brokerage accounts.
    const stores = c.get("root").storesIfBound;
    const records = stores ? { stores, actor: requestActor(c) } : undefined;
    await deleteLogin(c.get("cognito"), c.get("user"), stepUp(c, c.req.valid("json")), ownerNotifier(c), records);
    return c.body(null, 204);
  });
