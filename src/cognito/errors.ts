/**
 * What Cognito said went wrong, as errors that say exactly what failed; no HTTP meaning here. Timeouts,
 * lost connections and unusable answers are the shared upstream failures (src/upstream.ts).
 */

/** Cognito, as failures name it. */
export const IDENTITY_PROVIDER = "The identity provider";

/** Cognito answered with an error: `type` is the name after `#` in `__type`, e.g. "NotAuthorizedException". */
export class CognitoError extends Error {
  override name = "CognitoError";
  readonly type: string;
  readonly httpStatus: number;

  constructor(type: string, message: string, httpStatus: number) {
    super(message);
    this.type = type;
    this.httpStatus = httpStatus;
  }
}

/** A sign-in that Cognito did not finish because it wants another step (MFA, new password...). */
export class ChallengeRequiredError extends Error {
  override name = "ChallengeRequiredError";
  readonly challenge: string;
  /** Cognito's Session, which RespondToAuthChallenge takes back with the answer. */
  readonly session?: string;

  constructor(challenge: string, session?: string) {
    super(`Cognito asked for the ${challenge} challenge`);
    this.challenge = challenge;
    this.session = session;
  }
}

export function isCognitoError(error: unknown, ...types: string[]): error is CognitoError {
  return error instanceof CognitoError && (types.length === 0 || types.includes(error.type));
}

/** Cognito's own lockout after repeated wrong passwords, sent as NotAuthorized "Password attempts exceeded". */
export function isLockout(error: unknown): boolean {
  return isCognitoError(error, "NotAuthorizedException") && /attempts exceeded/i.test(error.message);
}

/** Cognito's answer to confirming an account that is already confirmed, whatever the code. */
export function isAlreadyConfirmed(error: unknown): boolean {
  return isCognitoError(error, "NotAuthorizedException") && /current status is confirmed/i.test(error.message);
}

const THROTTLING = new Set(["TooManyRequestsException", "LimitExceededException", "TooManyFailedAttemptsException", "ThrottlingException"]);

/** Cognito's quotas or per-user attempt limits: the caller should come back later. */
export function isThrottling(error: unknown): boolean {
  return error instanceof CognitoError && THROTTLING.has(error.type);
}

const MISCONFIGURATION = new Set([
  "ResourceNotFoundException",
  "InvalidUserPoolConfigurationException",
  "InvalidSmsRoleAccessPolicyException",
  "InvalidSmsRoleTrustRelationshipException",
  "InvalidEmailRoleAccessPolicyException",
  "OperationNotEnabledException",
  "UnsupportedOperationException",
  "UnsupportedTokenTypeException",
  "UnauthorizedException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignature",
  "MissingAuthenticationToken",
  "AccessDeniedException",
  "ExpiredTokenException",
  "MissingCredentials",
  // TOTP is not enabled for the user pool.
  "SoftwareTokenMFANotFoundException",
]);

/** Messages that Cognito uses for a gateway's own misconfiguration rather than the user's input. */
const MISCONFIGURATION_MESSAGE = /secret hash|client secret|flow not enabled|not enabled for this client|client .* does not exist|not configured/i;

/** Cognito refused our own setup (pool, app client, IAM key, secret), not the user's input. */
export function isMisconfiguration(error: unknown): boolean {
  return error instanceof CognitoError && (MISCONFIGURATION.has(error.type) || MISCONFIGURATION_MESSAGE.test(error.message));
}
