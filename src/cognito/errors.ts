/** Cognito answered with an error: `type` is the name after `#` in `__type`, e.g. "NotAuthorizedException". */
export class CognitoError extends Error {
  readonly type: string;
  readonly httpStatus: number;

  constructor(type: string, message: string, httpStatus: number) {
    super(message);
    this.name = "CognitoError";
    this.type = type;
    this.httpStatus = httpStatus;
  }
}

/** Cognito could not be reached: DNS, connection refused or reset. */
export class UpstreamUnavailableError extends Error {
  override name = "UpstreamUnavailableError";
}

/** Cognito did not answer within the call's timeout or the request's budget. */
export class UpstreamTimeoutError extends Error {
  override name = "UpstreamTimeoutError";
}

/** Cognito answered something that is not its API: a 5xx page, junk, or JSON of the wrong shape. */
export class UpstreamBadResponseError extends Error {
  override name = "UpstreamBadResponseError";
}

export function isCognitoError(error: unknown, ...types: string[]): error is CognitoError {
  return error instanceof CognitoError && (types.length === 0 || types.includes(error.type));
}

/** Cognito's own lockout after repeated wrong passwords, sent as NotAuthorized "Password attempts exceeded". */
export function isLockout(error: unknown): boolean {
  return isCognitoError(error, "NotAuthorizedException") && /attempts exceeded/i.test(error.message);
}
