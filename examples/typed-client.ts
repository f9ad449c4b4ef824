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

/**
 * Starts setting up an authenticator app: the password proves it is the user (a stolen access token
 * alone cannot), and an account whose TOTP is on must turn it off first (the step up then asks for
 * its code, 403 step_up_required naming `code`).
 */
export async function startTotpSetup(accessToken: string, password: string): Promise<string> {
  const headers = { authorization: `Bearer ${accessToken}` };
  try {
    const { otpauth_uri } = await parseResponse(api.platform.mfa.totp.setup.$post({ json: { password } }, { headers }));
    return `Scan ${otpauth_uri}, then send a code to /platform/mfa/totp/enable`;
  } catch (error) {
    if (!(error instanceof DetailedError)) throw error;
    const problem: ProblemBody = error.detail.data;
    if (problem.code === "invalid_credentials") return "Wrong password";
    if (problem.code === "step_up_required" || problem.code === "totp_already_enabled") return "An authenticator is already set up: turn it off first";
    throw new Error(`${problem.title} (${problem.code}, request ${problem.request_id})`);
  }
}

/**
 * Deposits from a linked bank into the user's brokerage account. The Idempotency-Key is made once
 * per deposit the user asks for and sent again on every retry of it: a retry after a lost answer
 * then replays the first transfer (Idempotency-Replayed: true) instead of moving the money twice.
 */
export async function deposit(accessToken: string, bankLinkId: string, amount: string, idempotencyKey: string): Promise<string> {
  const headers = { authorization: `Bearer ${accessToken}` };
  try {
    const transfer = await parseResponse(
      api.platform.accounts.me.transfers.$post({ json: { bank_link_id: bankLinkId, amount, direction: "INCOMING" }, header: { "idempotency-key": idempotencyKey } }, { headers }),
    );
    return `Transfer ${transfer.id} is ${transfer.status}`;
  } catch (error) {
    if (!(error instanceof DetailedError)) throw error;
    const problem: ProblemBody = error.detail.data;
    if (problem.code === "request_in_progress") return "The first try is still running: retry with the same key";
    if (problem.code === "bank_link_not_found") return "Link the bank account first";
    throw new Error(`${problem.title} (${problem.code}, request ${problem.request_id})`);
  }
}
