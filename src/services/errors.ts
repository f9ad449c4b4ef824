/**
 * What went wrong in an account flow, in the user's terms. Services throw these; the error handler
 * gives each one its problem, so the same failure always gets the same answer.
 */

/** Wrong password or unknown email: the two must be indistinguishable. */
export class InvalidCredentialsError extends Error {
  override name = "InvalidCredentialsError";
}

export class AccountExistsError extends Error {
  override name = "AccountExistsError";
}

export class AccountNotConfirmedError extends Error {
  override name = "AccountNotConfirmedError";
}

export class PasswordResetRequiredError extends Error {
  override name = "PasswordResetRequiredError";
}

export class WeakPasswordError extends Error {
  override name = "WeakPasswordError";
  /** The pool's policy sentence, meant for users; absent when Cognito said something else. */
  readonly policy?: string;

  constructor(policy: string | undefined, options?: ErrorOptions) {
    super("The password does not meet the policy", options);
    this.policy = policy;
  }
}

/** A wrong code, or a code for an email that has no account, or none pending: indistinguishable. */
export class InvalidCodeError extends Error {
  override name = "InvalidCodeError";
}

/** The TOTP code of a sign-in step is wrong or too old. */
export class InvalidMfaCodeError extends Error {
  override name = "InvalidMfaCodeError";
}

/** The challenge session of a sign-in has expired, was used, or is not the email's. */
export class MfaSessionExpiredError extends Error {
  override name = "MfaSessionExpiredError";
}

/** TOTP is on for the account, and the request did not send a code. */
export class MfaCodeRequiredError extends Error {
  override name = "MfaCodeRequiredError";
}

export class ExpiredCodeError extends Error {
  override name = "ExpiredCodeError";
}

export class InvalidRefreshTokenError extends Error {
  override name = "InvalidRefreshTokenError";
}

/** The access token verifies locally, but Cognito has ended its session (log-out, deleted user). */
export class SessionRevokedError extends Error {
  override name = "SessionRevokedError";
}

/** The password changed, but signing the user out everywhere failed: old refresh tokens may still work. */
export class SessionsNotEndedError extends Error {
  override name = "SessionsNotEndedError";
}
