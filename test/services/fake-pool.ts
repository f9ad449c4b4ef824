// A user pool for the services' unit tests: each action answers from a script, and every call is recorded.
import { CognitoError } from "../../src/cognito/errors";
import type { AuthenticationResult, UserPool } from "../../src/cognito/user-pool";
import { fakeJwt, USER_SUB } from "../fixtures/cognito";

type Actions = Omit<UserPool, never>;
type ActionName = { [K in keyof Actions]: Actions[K] extends (...args: never[]) => unknown ? K : never }[keyof Actions];

/** What an action does when called: resolve with a value, or throw. */
export type Outcome = { value: unknown } | { error: Error };

export const answers = (value: unknown = {}): Outcome => ({ value });
export const fails = (type: string, message = "", httpStatus = 400): Outcome => ({ error: new CognitoError(type, message, httpStatus) });

export function authenticated(): AuthenticationResult {
  return {
    AccessToken: fakeJwt({ sub: USER_SUB, token_use: "access", exp: Math.floor(Date.now() / 1000) + 3600 }),
    IdToken: fakeJwt({ sub: USER_SUB, token_use: "id" }),
    RefreshToken: "opaque-refresh-token",
    ExpiresIn: 3600,
    TokenType: "Bearer",
  };
}

export interface FakePool {
  pool: UserPool;
  /** Actions called, in order, with their arguments. */
  calls: { action: ActionName; args: unknown[] }[];
}

/** Each action's outcomes in order; the last one repeats. An action without a script fails the test. */
export function fakePool(script: Partial<Record<ActionName, Outcome[]>>): FakePool {
  const calls: FakePool["calls"] = [];
  const pool = new Proxy({} as UserPool, {
    get: (_target, action: ActionName | "hasClientSecret") => {
      // The one property: an app client without a secret, as the emulator's.
      if (action === "hasClientSecret") return false;
      return async (...args: unknown[]) => {
      const outcomes = script[action];
      if (!outcomes) throw new Error(`unexpected call: ${String(action)}`);
      const outcome = outcomes[Math.min(calls.filter((call) => call.action === action).length, outcomes.length - 1)]!;
      calls.push({ action, args });
      if ("error" in outcome) throw outcome.error;
      return outcome.value;
      };
    },
  });
  return { pool, calls };
}
