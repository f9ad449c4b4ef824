import { Hono } from "hono/tiny";
import { limitGuessesOfUser } from "../middleware/rate-limit";
import { requireAuth } from "../middleware/require-auth";
import { validJson } from "../middleware/validate";
import { PasswordAndTotp, PasswordOnly, TotpCodeOnly } from "../schemas/requests";
import { disableTotp, enableTotp, setUpTotp } from "../services/mfa";
import type { PlatformEnv } from "./env";
import { ownerNotifier } from "./notices";

/** Authenticator-app (TOTP) MFA for the signed-in user: the password for a secret, a code to turn it on, password and code to turn it off. */
export const mfaRoutes = new Hono<PlatformEnv>()
  .post("/mfa/totp/setup", requireAuth, validJson(PasswordOnly), limitGuessesOfUser("password"), async (c) => {
    const setup = await setUpTotp(c.get("cognito"), c.get("user"), c.req.valid("json").password, c.get("config").totpIssuer);
    return c.json(setup, 200);
  })
  .post("/mfa/totp/enable", requireAuth, validJson(TotpCodeOnly), limitGuessesOfUser("totp"), async (c) => {
    await enableTotp(c.get("cognito"), c.get("user"), c.req.valid("json").code, ownerNotifier(c));
    return c.body(null, 204);
  })
  .delete("/mfa/totp", requireAuth, validJson(PasswordAndTotp), limitGuessesOfUser("password"), async (c) => {
    const { password, code } = c.req.valid("json");
    await disableTotp(c.get("cognito"), c.get("user"), password, code, ownerNotifier(c));
    return c.body(null, 204);
  });
