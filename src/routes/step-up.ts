import type { Context } from "hono";
import type { Config } from "../config";
import { keptFor } from "../isolate";
import type { CognitoVariables } from "../middleware/cognito";
import { passwordGuessCounter, type AddressLimitVariables } from "../middleware/rate-limit";
import type { AuthVariables } from "../middleware/require-auth";
import { StepUpCodeStore } from "../stores/step-up-codes";
import { acceptedCodesIn, acceptedCodesInIsolate, codeKey, stepUpCheck, type AcceptedCodes, type Proof, type StepUpCheck } from "../services/step-up";

type StepUpEnv = { Bindings: Env; Variables: AuthVariables & CognitoVariables & AddressLimitVariables };

/** One HMAC key for codes per isolate, from the IAM secret (always set, unlike the Broker API's). */
const keyOf = (config: Config) => codeKey(config.awsCredentials.secretAccessKey);
const inIsolateOf = (config: Config) => acceptedCodesInIsolate(keptFor(config, keyOf));

/** D1 where it is bound; else (no brokerage) the isolate's memory, a weaker rule (README, "The step up"). */
function acceptedCodes(c: Context<StepUpEnv>): AcceptedCodes {
  const db = (c.env as { DB?: D1Database }).DB;
  const config = c.get("config");
  return db ? acceptedCodesIn(new StepUpCodeStore(db), keptFor(config, keyOf)) : keptFor(config, inIsolateOf);
}

/**
 * The step up of every stepped-up route (services/step-up.ts), from the password and code of its body
 * (schemas/requests.ts StepUpFields, both optional so that a missing one is the 403 naming it). The
 * flow calls it where its policy says; a password sent counts as a password guess of the user's.
 * Here, not in middleware: middleware never calls a service.
 */
export function stepUp<E extends StepUpEnv>(c: Context<E>, proof: Proof): StepUpCheck {
  const context = c as unknown as Context<StepUpEnv>;
  const user = context.get("user");
  return stepUpCheck(
    { pool: context.get("cognito"), user, countGuess: passwordGuessCounter(context, user.sub), codes: acceptedCodes(context), now: Date.now },
    proof,
  );
}
