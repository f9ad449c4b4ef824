import { Hono } from "hono/tiny";
import { validJson } from "../middleware/validate";
import { StepUp, TotpCodeOnly } from "../schemas/requests";
import { disableTotp, enableTotp, setUpTotp } from "../services/mfa";
import { signedInActor } from "./actor";
import type { PlatformEnv } from "./env";
import { rules } from "./rules";

/** Authenticator-app (TOTP) MFA for the signed-in user: the step up for a secret, a code to turn it on, the step up (password and code) to turn it off. */
export const mfaRoutes = new Hono<PlatformEnv>()
  .post("/mfa/totp/setup", ...rules({ limit: "none" }), validJson(StepUp), async (c) => {
    return c.json(await setUpTotp(c.get("loginDeps"), signedInActor(c), { proof: c.req.valid("json") }), 200);
  })
  .post("/mfa/totp/enable", ...rules({ limit: { guesses: "totp" }, body: validJson(TotpCodeOnly) }), async (c) => {
    await enableTotp(c.get("loginDeps"), signedInActor(c), c.req.valid("json"));
    return c.body(null, 204);
  })
  .delete("/mfa/totp", ...rules({ limit: "none" }), validJson(StepUp), async (c) => {
    await disableTotp(c.get("loginDeps"), signedInActor(c), { proof: c.req.valid("json") });
    return c.body(null, 204);
  });
