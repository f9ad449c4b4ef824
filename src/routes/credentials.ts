import { Hono } from "hono/tiny";
import { maskEmail } from "../log";
import { limitPerEmail, limitPerIp } from "../middleware/rate-limit";
import { jsonBody } from "../middleware/validate";
import { Credentials } from "../schemas/auth";
import { signIn, signUp } from "../services/account";
import type { AppEnv } from "../types";
import type { CodeDelivery } from "../cognito/user-pool";

/** Sign-up and log-in: the tutorial's two credential routes. */
export const credentials = new Hono<AppEnv>()
  .post("/signup", limitPerIp, jsonBody(Credentials), async (c) => {
    const { email, password } = c.req.valid("json");
    c.set("email", email);
    const outcome = await signUp(c.var.pool, c.var.upstream, email, password, c.var.config.autoConfirm);
    if (outcome.kind === "code_sent") {
      return c.json({ status: "confirmation_required" as const, code_delivery: deliveryOf(outcome.delivery) }, 202);
    }
    return c.json(outcome.tokens, 201);
  })
  .post("/login", limitPerIp, jsonBody(Credentials), limitPerEmail, async (c) => {
    const { email, password } = c.req.valid("json");
    return c.json(await signIn(c.var.pool, c.var.upstream, email, password), 200);
  });

/** Real Cognito already masks the destination; the emulator does not, so mask it here too. */
function deliveryOf(delivery: CodeDelivery | undefined) {
  return { medium: delivery?.DeliveryMedium ?? "EMAIL", destination: delivery?.Destination ? maskEmail(delivery.Destination) : null };
}
