import { Hono } from "hono/tiny";
import { limitGuessesOfUser } from "../middleware/rate-limit";
import { requireAuth } from "../middleware/require-auth";
import { validJson } from "../middleware/validate";
import { StepUp, TotpCodeOnly } from "../schemas/requests";
import { disableTotp, enableTotp, setUpTotp } from "../services/mfa";
import type { PlatformEnv } from "./env";
import { ownerNotifier } from "./notices";
import { stepUp } from "./step-up";

/** Authenticator-app (TOTP) MFA for the signed-in user: the step up for a secret, a code to turn it on, the step up (password and code) to turn it off. */
export const mfaRoutes = new Hono<PlatformEnv>()
  .post("/mfa/totp/setup", requireAuth, validJson(StepUp), async (c) => {
    const setup = await setUpTotp(c.get("cognito"), c.get("user"), stepUp(c, c.req.valid("json")), c.get("config").totpIssuer);
    return c.json(setup, 200);
  })
  .post("/mfa/totp/enable", requireAuth, validJson(TotpCodeOnly), limitGuessesOfUser("totp"), async (c) => {
    await enableTotp(c.get("cognito"), c.get("user"), c.req.valid("json").code, ownerNotifier(c));
    return c.body(null, 204);
  })
  .delete("/mfa/totp", requireAuth, validJson(StepUp), async (c) => {
    await disableTotp(c.get("cognito"), c.get("user"), stepUp(c, c.req.valid("json")), ownerNotifier(c));
    return c.body(null, 204);
  });
