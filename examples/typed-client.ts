import { DetailedError, hc, parseResponse } from "hono/client";
import type { AppType, ProblemBody } from "../src/index";

const api = hc<AppType>("http://127.0.0.1:8787");

/** Signs up, then asks the API who the user is; an error answer is read as a typed problem. */
export async function signUpAndGreet(email: string, password: string): Promise<string> {
  try {
    const session = await parseResponse(api.platform.signup.$post({ json: { email, password } }));
    // 202 instead of tokens where the deployment has AUTO_CONFIRM=false: a code was emailed.
    if ("code_delivery" in session) return `Enter the code sent to ${session.code_delivery.destination}`;
    const authorization = `Bearer ${session.access_token}`;
    const me = await parseResponse(api.platform.me.$get({ query: {} }, { headers: { authorization } }));
    return `Signed up as ${me.email}`;
  } catch (error) {
    if (!(error instanceof DetailedError)) throw error; // no answer at all
    const problem: ProblemBody = error.detail.data; // every error answer is an RFC 9457 problem
    switch (problem.code) {
      case "account_exists":
        return "This email already has an account: log in instead";
      case "validation_failed":
        return (problem.errors ?? []).map(({ field, message }) => `${field}: ${message}`).join("; ");
      case "weak_password":
        return problem.detail; // the user pool's password policy, meant for the user
      default:
        throw new Error(`${problem.title} (${problem.code}, request ${problem.request_id})`);
    }
  }
}
