import { isCognitoError, isLockout, isMisconfiguration, isThrottling, type CognitoError } from "../cognito/errors";
import {
  AccountExistsError,
  AccountNotConfirmedError,
  ExpiredCodeError,
  InvalidCodeError,
  InvalidCredentialsError,
  PasswordResetRequiredError,
  SessionRevokedError,
  WeakPasswordError,
} from "./errors";

type Meaning = (error: CognitoError) => Error;

/** What Cognito's error types mean to a user in any flow; a flow overrides the types that mean something else there. */
const MEANINGS: Partial<Record<string, Meaning>> = {
  UsernameExistsException: (cause) => new AccountExistsError(undefined, { cause }),
  AliasExistsException: (cause) => new AccountExistsError(undefined, { cause }),
  UserNotConfirmedException: (cause) => new AccountNotConfirmedError(undefined, { cause }),
  PasswordResetRequiredException: (cause) => new PasswordResetRequiredError(undefined, { cause }),
  InvalidPasswordException: (cause) => new WeakPasswordError(policySentence(cause.message), { cause }),
  PasswordHistoryPolicyViolationException: (cause) => new WeakPasswordError("The password was used recently; choose another.", { cause }),
  CodeMismatchException: (cause) => new InvalidCodeError(undefined, { cause }),
  ExpiredCodeException: (cause) => new ExpiredCodeError(undefined, { cause }),
  NotAuthorizedException: (cause) => new InvalidCredentialsError(undefined, { cause }),
  UserNotFoundException: (cause) => new InvalidCredentialsError(undefined, { cause }),
};

/** A flow's own meaning for some error types: e.g. NotAuthorized is a bad code on reset, a revoked session on `me`. */
export type Overrides = Partial<Record<string, new (message?: string, options?: ErrorOptions) => Error>>;

/** For calls made with the user's access token: Cognito no longer honours it (signed out, user deleted). */
const SESSION_ENDED: Overrides = { NotAuthorizedException: SessionRevokedError, UserNotFoundException: SessionRevokedError };

/** A call made with the user's access token, its failure in the user's terms. */
export async function asUser<T>(call: Promise<T>, overrides?: Overrides): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw inUserTerms(error, { ...SESSION_ENDED, ...overrides });
  }
}

/**
 * A Cognito failure as the account flows speak of it. Our own misconfiguration, throttling and
 * Cognito's lockout keep their Cognito error whatever the flow (they mean the same everywhere), as
 * does anything that is not a Cognito error at all.
 */
export function inUserTerms(error: unknown, overrides: Overrides = {}): unknown {
  if (!isCognitoError(error) || isMisconfiguration(error) || isThrottling(error) || isLockout(error)) return error;
  const Override = overrides[error.type];
  if (Override) return new Override(undefined, { cause: error });
  return MEANINGS[error.type]?.(error) ?? error;
}

/**
 * Cognito's policy message ("Password did not conform with policy: Password must have uppercase characters")
 * is meant for users; anything else it says under this type is not passed on.
 */
function policySentence(message: string): string | undefined {
  return /^Password (did not conform with|does not conform to) policy: [\w ,.'-]{1,200}$/.exec(message.trim())?.[0];
}

/** The new password broke the pool's policy; cognito-local uses the same type for a wrong current password. */
export function isPolicyRefusal(error: unknown): boolean {
  return isCognitoError(error, "InvalidPasswordException", "PasswordHistoryPolicyViolationException") && /policy/i.test(error.message);
}

/**
 * A password check that failed on the password (or an unknown user): real Cognito says NotAuthorized or
 * UserNotFound, cognito-local InvalidPassword. Cognito's lockout and our misconfiguration are not.
 */
export function isWrongPassword(error: unknown): boolean {
  return (
    isCognitoError(error, "NotAuthorizedException", "UserNotFoundException", "InvalidPasswordException") &&
    !isLockout(error) &&
    !isMisconfiguration(error)
  );
}

/**
 * Errors that would tell a caller whether an email has an account (no user, no verified email,
 * already confirmed): the answer is the same as for an account that exists.
 */
const REVEALS_ACCOUNT = ["UserNotFoundException", "InvalidParameterException", "NotAuthorizedException"];

/** Runs a call whose errors could tell whether the email has an account: those count as done. */
export async function withoutRevealingAccount(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (isCognitoError(error, ...REVEALS_ACCOUNT) && !isLockout(error) && !isMisconfiguration(error)) return;
    throw inUserTerms(error);
  }
}
