import { Hono } from "hono/tiny";
import { limitGuesses, limitMail } from "../middleware/rate-limit";
import { validJson } from "../middleware/validate";
import { ConfirmSignUp, Credentials, EmailOnly } from "../schemas/requests";
import { confirmSignUp, resendConfirmationCode, signUp } from "../services/sign-up";
import { CODE_SENT } from "./answers";
import type { PlatformEnv } from "./env";

/** Creating an account: the tutorial's sign-up, and the emailed-code confirmation when AUTO_CONFIRM=false. */
export const signUpRoutes = new Hono<PlatformEnv>()
  .post("/signup", validJson(Credentials), async (c) => {
    const outcome = await signUp(c.get("loginDeps"), c.req.valid("json"));
    if (outcome.kind === "code_sent") {
      return c.json({ status: "confirmation_required" as const, code_delivery: outcome.delivery }, 202);
    }
    return c.json(outcome.tokens, 201);
  })
  .post("/confirm", validJson(ConfirmSignUp), limitGuesses("confirmation_code"), async (c) => {
    await confirmSignUp(c.get("loginDeps"), c.req.valid("json"));
    return c.body(null, 204);
  })
  .post("/confirm/resend", validJson(EmailOnly), limitMail, async (c) => {
    await resendConfirmationCode(c.get("loginDeps"), c.req.valid("json"));
    return c.json(CODE_SENT, 202);
  });
