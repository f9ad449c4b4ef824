import type { Context } from "hono";
import type { CognitoVariables } from "../middleware/cognito";
import { clientAddress, type AddressLimitVariables } from "../middleware/rate-limit";
import type { AuthVariables } from "../middleware/require-auth";
import type { Proof, StepUpCheck } from "../services/step-up";
import type { ConfigVariables } from "../middleware/config";

type StepUpEnv = { Bindings: Env; Variables: AuthVariables & CognitoVariables & AddressLimitVariables & ConfigVariables };

/**
 * The step up of every stepped-up route outside the brokerage (the money flows take theirs from Deps:
 * both are root.ts stepUp, services/step-up.ts), from the password and code of its body
 * (schemas/requests.ts StepUpFields, both optional so that a missing one is the 403 naming it). The
 * flow calls it where its policy says; a password sent counts as a password guess of the user's.
 * Here, not in middleware: middleware never calls a service.
 */
export function stepUp<E extends StepUpEnv>(c: Context<E>, proof: Proof): StepUpCheck {
  const context = c as unknown as Context<StepUpEnv>;
  return context.get("root").stepUp({ pool: context.get("cognito"), user: context.get("user"), address: clientAddress(context) }, proof);
}
