import type { SignedInActor, SignedInUser } from "../auth/signed-in-user";
import type { UserPool } from "../cognito/user-pool";
import type { LoginDeps } from "../deps";
import { Failure } from "../failures";
import type { TotpSetupResponse } from "../schemas/responses";
import { withCognitoFailures, WITH_ACCESS_TOKEN } from "./cognito-errors";
import { forgetProfiles, userProfile } from "./profile";
import type { Proof } from "./step-up";

/**
 * A new TOTP secret, and the otpauth:// URI an authenticator app takes (Key Uri Format): labelled
 * "issuer:email", both parts percent-encoded. TOTP is on only after enableTotp checks a code.
 *
 * Only after the step up, and only while TOTP is off: AWS does not say whether a pending, unverified
 * association leaves a user who had TOTP on able to sign in with the password alone, so none is ever
 * made for such a user (the step up asks for the code, then 409; they turn it off first). Cognito's
 * own sign-in decides whether TOTP is on: its TOTP challenge is the answer, not a cached profile.
 */
export async function setUpTotp(
  { cognito, stepUp, config }: Pick<LoginDeps, "cognito" | "stepUp" | "config">,
  { user }: SignedInActor,
  { proof }: { proof: Proof },
): Promise<TotpSetupResponse> {
  const { totp } = await stepUp(proof)();
  if (totp) throw new Failure("totp_already_enabled");
  const issuer = config.totpIssuer;
  const [secret, profile] = await Promise.all([withCognitoFailures(cognito.associateSoftwareToken(user.accessToken), WITH_ACCESS_TOKEN), userProfile(cognito, user, false)]);
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(profile.email ?? user.sub)}`;
  return { secret, otpauth_uri: `otpauth://totp/${label}?secret=${secret}&issuer=${encodeURIComponent(issuer)}` };
}

/** VerifySoftwareToken with a code of the new secret, then TOTP on and preferred. */
export async function enableTotp({ cognito: pool, notify }: Pick<LoginDeps, "cognito" | "notify">, { user }: SignedInActor, { code }: { code: string }): Promise<void> {
  // Cognito answers a wrong code with EnableSoftwareTokenMFAException, cognito-local with CodeMismatch;
  // InvalidParameter: no secret is pending (setup was not called), so no code can be right.
  const status = await withCognitoFailures(pool.verifySoftwareToken(user.accessToken, code), {
    ...WITH_ACCESS_TOKEN,
    EnableSoftwareTokenMFAException: "invalid_code",
    InvalidParameterException: "invalid_code",
  });
  if (status !== "SUCCESS") throw new Failure("invalid_code");
  const { email } = await userProfile(pool, user, false);
  await setTotp(pool, user, true);
  notify(email, { kind: "totp_enabled" });
}

/** TOTP off, once the step up (the password and a current code) proves it is the user asking. */
export async function disableTotp({ cognito: pool, stepUp, notify }: Pick<LoginDeps, "cognito" | "stepUp" | "notify">, { user }: SignedInActor, { proof }: { proof: Proof }): Promise<void> {
  await stepUp(proof)();
  const { email } = await userProfile(pool, user, false);
  await setTotp(pool, user, false);
  notify(email, { kind: "totp_disabled" });
}

async function setTotp(pool: Pick<UserPool, "setSoftwareTokenMfa">, user: SignedInUser, enabled: boolean): Promise<void> {
  try {
    await withCognitoFailures(pool.setSoftwareTokenMfa(user.accessToken, enabled), WITH_ACCESS_TOKEN);
  } finally {
    forgetProfiles({ sub: user.sub });
  }
}
