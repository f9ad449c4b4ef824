/**
 * Security notices: when who controls an account changes (its email, its password, its second factor),
 * where its mail goes changes (the brokerage account's address or phone of record) or the account
 * ends, the address it had before the change is told, so that an owner whose token was
 * stolen learns of it. Plain text with no link (nothing in it acts), and never a password, code,
 * token or secret: only what changed, when, and from which client address.
 */
import { maskEmail } from "../log";
import type { PlainEmail, Ses } from "../ses/client";

type SecurityChange =
  | { kind: "email_changed"; newEmail: string }
  | { kind: "password_changed"; signedOut: boolean }
  | { kind: "contact_changed" }
  | { kind: "totp_enabled" }
  | { kind: "totp_disabled" }
  | { kind: "account_deleted" };

/** A notice, addressed to the account's email before the change. */
type SecurityNotice = PlainEmail;

/** Where a change was asked from: the request's time and its CF-Connecting-IP as given. */
interface ChangeOrigin {
  at: Date;
  clientAddress: string | undefined;
}

/** In the request's log line: what became of its notice. `no_address`: the account has no email to tell. */
type NoticeOutcome = "sent" | "failed" | "not_configured" | "no_address";

/** What a flow calls once its change has happened, with the account's email from before it. */
export type NotifyOwner = (to: string | null, change: SecurityChange) => void;

const RESET_ADVICE = 'If it was not you, reset your password at once with "Forgot password" and this email address, then contact support.';

function wordingOf(change: SecurityChange): { subject: string; what: string; ifNotYou: string } {
  switch (change.kind) {
    case "email_changed":
      return {
        subject: "Your account's email address is being changed",
        what:
          `A change of your account's email address to ${maskEmail(change.newEmail)} was asked for. ` +
          "It takes effect once the code sent to that address is entered; until then, this address stays the account's.",
        ifNotYou: RESET_ADVICE,
      };
    case "password_changed":
      return {
        subject: "Your password was changed",
        what: change.signedOut
          ? "The password of your account was changed, and every session of the account was signed out."
          : "The password of your account was changed, but signing out its other sessions failed: a device that was signed in may still be.",
        ifNotYou: RESET_ADVICE,
      };
    case "contact_changed":
      return {
        subject: "Your brokerage account's address or phone was changed",
        what: "The postal address or phone number of record of your brokerage account was changed: statements and confirmations now go by it.",
        ifNotYou: RESET_ADVICE,
      };
    case "totp_enabled":
      return {
        subject: "An authenticator app was turned on for your account",
        what: "An authenticator app (TOTP) was turned on for your account: signing in now needs a code from it.",
        ifNotYou: RESET_ADVICE,
      };
    case "totp_disabled":
      return {
        subject: "The authenticator app was turned off for your account",
        what: "The authenticator app (TOTP) was turned off for your account: signing in no longer needs a code from it.",
        ifNotYou: RESET_ADVICE,
      };
    case "account_deleted":
      return { subject: "Your account was deleted", what: "Your account was deleted.", ifNotYou: "If it was not you, contact support at once." };
  }
}

/** The notice for `change`, to `to` (the address before the change). */
export function securityNotice(to: string, change: SecurityChange, origin: ChangeOrigin): SecurityNotice {
  const wording = wordingOf(change);
  const text = [
    wording.what,
    "",
    `When: ${origin.at.toISOString().replace(/\.\d{3}Z$/, "Z")} (UTC)`,
    `From the address: ${origin.clientAddress ?? "unknown"}`,
    "",
    "If this was you, there is nothing to do.",
    wording.ifNotYou,
    "",
  ].join("\n");
  return { to, subject: wording.subject, text };
}

/** Sends the notice; never throws, so a notice that cannot go out never fails the change it reports. */
export async function sendSecurityNotice(ses: Pick<Ses, "sendEmail"> | undefined, notice: SecurityNotice): Promise<NoticeOutcome> {
  if (!ses) return "not_configured";
  try {
    await ses.sendEmail(notice);
    return "sent";
  } catch {
    // Why is in the request's log line: the SendEmail call's status and error type.
    return "failed";
  }
}
