// Email ownership and the account's end, for the signed-in user.
import type { SignedInUser } from "../auth/signed-in-user";
import type { UserPool } from "../cognito/user-pool";
import { withCognitoFailures, WITH_ACCESS_TOKEN } from "./cognito-errors";
import type { Stores } from "../stores";
import { audited, type Actor } from "./audit";
import { followEmailChange, holdForLoginDeletion, verifiedEmailOf, type Brokerage } from "./brokerage";
import type { NotifyOwner } from "./notices";
import { forgetProfiles, userProfile } from "./profile";
import type { StepUpCheck } from "./step-up";

/** GetUserAttributeVerificationCode: a code to the current email. */
export async function sendEmailVerificationCode(pool: Pick<UserPool, "sendEmailVerificationCode">, user: SignedInUser): Promise<void> {
  await withCognitoFailures(pool.sendEmailVerificationCode(user.accessToken), WITH_ACCESS_TOKEN);
}

/**
 * VerifyUserAttribute: the email is verified (a pending new address becomes the email). Where the
 * user has a brokerage account, the Broker API's contact follows (best effort: never fails this).
 */
export async function verifyEmail(
  pool: Pick<UserPool, "verifyEmail" | "getUser">,
  user: SignedInUser,
  code: string,
  records?: { brokerage: Brokerage; actor: Actor },
): Promise<void> {
  try {
    await withCognitoFailures(pool.verifyEmail(user.accessToken, code), WITH_ACCESS_TOKEN);
  } finally {
    forgetProfiles({ sub: user.sub });
  }
  if (records) await followEmailChange(records.brokerage, records.actor, verifiedEmailOf(pool, user));
}

/**
 * UpdateUserAttributes: a code to the new address, once the password (and the TOTP code when on)
 * proves it is the user asking: whoever controls the email controls the account through a reset. An
 * address that another account has resolves the same way (Cognito sends nothing then), so this
 * cannot tell anyone which emails have accounts.
 */
export async function changeEmail(
  pool: Pick<UserPool, "getUser" | "changeEmail">,
  user: SignedInUser,
  email: string,
  stepUp: StepUpCheck,
  notify: NotifyOwner,
): Promise<void> {
  await stepUp();
  const { email: current } = await userProfile(pool, user, false);
  try {
    await withCognitoFailures(pool.changeEmail(user.accessToken, email), { ...WITH_ACCESS_TOKEN, AliasExistsException: "done", UsernameExistsException: "done" });
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
  pool: Pick<UserPool, "getUser" | "deleteUser">,
  user: SignedInUser,
  stepUp: StepUpCheck,
  notify: NotifyOwner,
  records?: { stores: Pick<Stores, "accounts" | "audit">; actor: Actor },
): Promise<void> {
  if (!records) return deleteCognitoUser(pool, user, (await stepUp()).accessToken, notify);
  const { stores, actor } = records;
  await audited(stores.audit, actor, "login.delete", async () => {
    const { accessToken } = await stepUp();
    const release = await holdForLoginDeletion(stores.accounts, user.sub, Date.now());
    try {
      await deleteCognitoUser(pool, user, accessToken, notify);
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
