// The Cognito login of the signed-in user: its email (prove it, change it) and its end. ("Account" is the brokerage account: services/brokerage.ts.)
import type { SignedInActor, SignedInUser } from "../auth/signed-in-user";
import type { UserPool } from "../cognito/user-pool";
import type { LoginDeps } from "../deps";
import { withCognitoFailures, WITH_ACCESS_TOKEN } from "./cognito-errors";
import { audited } from "./audit";
import { followEmailChange, holdForLoginDeletion, verifiedEmailOf } from "./brokerage";
import type { NotifyOwner } from "./notices";
import { forgetProfiles, userProfile } from "./profile";
import type { Proof } from "./step-up";

/** GetUserAttributeVerificationCode: a code to the current email. */
export async function sendEmailVerificationCode({ cognito }: Pick<LoginDeps, "cognito">, { user }: SignedInActor): Promise<void> {
  await withCognitoFailures(cognito.sendEmailVerificationCode(user.accessToken), WITH_ACCESS_TOKEN);
}

/**
 * VerifyUserAttribute: the email is verified (a pending new address becomes the email). Where the
 * user has a brokerage account, the Broker API's contact follows (best effort: never fails this).
 */
export async function verifyEmail(deps: Pick<LoginDeps, "cognito" | "brokerage">, actor: SignedInActor, { code }: { code: string }): Promise<void> {
  const { user } = actor;
  try {
    await withCognitoFailures(deps.cognito.verifyEmail(user.accessToken, code), WITH_ACCESS_TOKEN);
  } finally {
    forgetProfiles({ sub: user.sub });
  }
  // Without the brokerage (its settings or D1), there is no Broker contact to keep in step.
  const brokerage = deps.brokerage;
  if (brokerage) await followEmailChange(brokerage, actor, verifiedEmailOf(deps, actor));
}

/**
 * UpdateUserAttributes: a code to the new address, once the password (and the TOTP code when on)
 * proves it is the user asking: whoever controls the email controls the account through a reset. An
 * address that another account has resolves the same way (Cognito sends nothing then), so this
 * cannot tell anyone which emails have accounts.
 */
export async function changeEmail(
  { cognito, stepUp, notify }: Pick<LoginDeps, "cognito" | "stepUp" | "notify">,
  { user }: SignedInActor,
  { email, proof }: { email: string; proof: Proof },
): Promise<void> {
  await stepUp(proof)();
  const { email: current } = await userProfile(cognito, user, false);
  try {
    await withCognitoFailures(cognito.changeEmail(user.accessToken, email), { ...WITH_ACCESS_TOKEN, AliasExistsException: "done", UsernameExistsException: "done" });
  } finally {
    forgetProfiles({ sub: user.sub });
  }
  // Told at the request, to the address that still receives resets: the earliest warning an owner gets.
  notify(current, { kind: "email_changed", newEmail: email });
}

/**
 * DeleteUser, with the access token of a sign-in that just proved the password (and TOTP code). Where
 * the deployment keeps brokerage accounts (a D1 database), not while the user's is open, checked
 * after the step up under the lease an opening takes (services/brokerage.ts holdForLoginDeletion), so
 * that no opening can make a Broker account for a login being deleted; and with an audit row.
 */
export async function deleteLogin(
  { cognito, stepUp, notify, storesIfBound: stores, now }: Pick<LoginDeps, "cognito" | "stepUp" | "notify" | "storesIfBound" | "now">,
  actor: SignedInActor,
  { proof }: { proof: Proof },
): Promise<void> {
  const { user } = actor;
  // No D1 binding: this deployment keeps no brokerage accounts, and no audit trail.
  if (!stores) return deleteCognitoUser(cognito, user, (await stepUp(proof)()).accessToken, notify);
  await audited(stores.audit, actor, "login.delete", async () => {
    const { accessToken } = await stepUp(proof)();
    const release = await holdForLoginDeletion(stores.accounts, user.sub, now());
    try {
      await deleteCognitoUser(cognito, user, accessToken, notify);
    } catch (error) {
      await release();
      throw error;
    }
  });
}

async function deleteCognitoUser(pool: Pick<UserPool, "getUser" | "deleteUser">, user: SignedInUser, accessToken: string, notify: NotifyOwner): Promise<void> {
  // Read while the user still exists.
  const { email } = await userProfile(pool, user, false);
  try {
    await withCognitoFailures(pool.deleteUser(accessToken), WITH_ACCESS_TOKEN);
  } finally {
    forgetProfiles({ sub: user.sub });
  }
  notify(email, { kind: "account_deleted" });
}
