// The step up: one proof that the signed-in user is the one asking, for every movement of money out,
// every change of who controls the account or where its mail goes, and removing a bank link (docs/auth.md,
// "The step up"). Each such flow builds its check from the proof it was sent with Deps.stepUp and
// calls it where its policy says; only root.ts stepUp makes one, so no entry point can wire it differently.
import { derivedHmacKey } from "../auth/derived-key";
import type { SignedInUser } from "../auth/signed-in-user";
import { BoundedMap } from "../bounded-map";
import type { UserPool } from "../cognito/user-pool";
import { Failure } from "../failures";
import type { StepUpCodeStore } from "../stores/step-up-codes";
import { missingProof, reauthenticate, type Reauthenticated } from "./sign-in";

/** Runs the step up: resolves once it is proved, with the fresh sign-in; throws what the user is told otherwise. */
export type StepUpCheck = () => Promise<Reauthenticated>;

/** What the request sent: `password` under the name its route gives it (`current_password` for a password change). */
export interface Proof {
  password?: string;
  code?: string;
  passwordField?: string;
}

/** TOTP's time step (RFC 6238), as Cognito's authenticator codes use it. */
const STEP_MS = 30_000;

/**
 * How many steps an accepted code is remembered: Cognito accepts the code of the current step and of
 * each adjacent one, so a code accepted in step s is a code of s-1, s or s+1, which Cognito may accept
 * until step s+2; one more step for our clock and Cognito's to differ.
 */
const REMEMBERED_STEPS = 3;

/** The codes a step up has accepted: `accept` is true for the first request with a code, false for every other in its window. */
export interface AcceptedCodes {
  accept(sub: string, code: string, now: number): Promise<boolean>;
}

const encoder = new TextEncoder();

/** The HMAC key for codes, derived (HKDF) from a server secret for this use alone; one per isolate. */
export function codeKey(secret: string): Promise<CryptoKey> {
  return derivedHmacKey(secret, "edge-auth-api step-up code v1", ["sign"]);
}

/** Of the user and the code, so that one user's row says nothing about another's code. */
async function codeMac(key: Promise<CryptoKey>, sub: string, code: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await key, encoder.encode(`${sub.length}:${sub}:${code}`));
  return [...new Uint8Array(mac)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** Accepted codes in D1 (stores/step-up-codes.ts): of two concurrent requests with one code, exactly one is accepted. */
export function acceptedCodesIn(store: StepUpCodeStore, key: Promise<CryptoKey>): AcceptedCodes {
  return {
    async accept(sub, code, now) {
      const step = Math.floor(now / STEP_MS);
      return store.accept(sub, await codeMac(key, sub, code), step, step - REMEMBERED_STEPS);
    },
  };
}

/**
 * Without D1 (a deployment that keeps no brokerage): the isolate's own memory, bounded. The rule then
 * holds within one isolate only; two requests that reach different isolates can both pass (docs/auth.md).
 */
export function acceptedCodesInIsolate(key: Promise<CryptoKey>): AcceptedCodes {
  const accepted = new BoundedMap<string, number>(10_000);
  return {
    async accept(sub, code, now) {
      const step = Math.floor(now / STEP_MS);
      const id = `${sub}|${await codeMac(key, sub, code)}`;
      // No await between the look-up and the set: of two requests in this isolate, one sets first.
      const at = accepted.get(id);
      if (at !== undefined && at >= step - REMEMBERED_STEPS) return false;
      accepted.set(id, step);
      return true;
    },
  };
}

/** What a step up works with: Cognito, the signed-in user, the guess counter, the accepted codes, the clock. */
export interface StepUpDesk {
  pool: Pick<UserPool, "passwordAuth" | "answerSoftwareTokenChallenge">;
  user: SignedInUser;
  countGuess: () => Promise<void>;
  codes: AcceptedCodes;
  now: () => number;
}

/**
 * The step up: a missing password is 403 step_up_required naming it, before anything is counted or
 * asked; a password sent counts as a password guess of the user's; Cognito signs in as the token's own
 * user (a missing code with TOTP on: 403 naming `code`; wrong ones 401); and a code is accepted once.
 */
export function stepUpCheck(desk: StepUpDesk, proof: Proof): StepUpCheck {
  return async () => {
    const { password, code, passwordField = "password" } = proof;
    if (password === undefined) throw missingProof(passwordField, "password");
    await desk.countGuess();
    const proved = await reauthenticate(desk.pool, desk.user, { password, code });
    if (proved.totp && !(await desk.codes.accept(desk.user.sub, code!, desk.now()))) {
      throw new Failure("invalid_mfa_code", { detail: "This code has already been used; wait for the authenticator's next code." });
    }
    return proved;
  };
}
