import { Problem, rateLimited } from "../errors";
import { ChallengeRequiredError } from "./user-pool";
import { CognitoError, isLockout, UpstreamTimeoutError, UpstreamUnavailableError } from "./errors";

/** Cognito sends no Retry-After; one second lets its token bucket refill a little. */
const THROTTLE_RETRY_AFTER_SECONDS = 1;

/** Per-route meaning of an error type, where the same type means different things (NotAuthorized...). */
export type ProblemOverrides = Partial<Record<string, () => Problem>>;

export const invalidCredentials = () =>
  new Problem(401, "invalid_credentials", { detail: "The email or password is incorrect." });

export const accountExists = () => new Problem(409, "account_exists", { detail: "An account with this email already exists." });

const misconfigured = (cause: unknown) =>
  new Problem(500, "misconfigured", { detail: "The service is misconfigured; the operator has been told.", cause });

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
]);

/** Messages that Cognito uses for a gateway's own misconfiguration rather than the user's input. */
const MISCONFIGURATION_MESSAGE = /secret hash|client secret|flow not enabled|not enabled for this client|client .* does not exist|not configured/i;

/** Turns an upstream failure into the problem the client sees; anything unknown becomes a generic 502. */
export function upstreamProblem(error: unknown, overrides: ProblemOverrides = {}): Problem {
  if (error instanceof Problem) return error;
  if (error instanceof UpstreamTimeoutError) {
    return new Problem(504, "upstream_timeout", { detail: "The identity provider did not answer in time.", cause: error });
  }
  if (error instanceof UpstreamUnavailableError) {
    return new Problem(503, "upstream_unavailable", {
      detail: "The identity provider cannot be reached.",
      headers: { "retry-after": "5" },
      cause: error,
    });
  }
  if (error instanceof ChallengeRequiredError) {
    return new Problem(403, "challenge_required", {
      detail: `Sign-in needs the ${error.challenge} step, which this API does not offer.`,
      cause: error,
    });
  }
  if (!(error instanceof CognitoError)) {
    return new Problem(502, "upstream_error", { detail: "The identity provider gave an unusable answer.", cause: error });
  }
  if (MISCONFIGURATION.has(error.type) || MISCONFIGURATION_MESSAGE.test(error.message)) return misconfigured(error);
  if (isLockout(error)) return withCause(rateLimited(60, "Too many failed sign-in attempts; retry later."), error);
  const override = overrides[error.type];
  if (override) return withCause(override(), error);
  return withCause(defaultProblem(error), error);
}

function withCause(problem: Problem, cause: CognitoError): Problem {
  return new Problem(problem.status, problem.code, { detail: problem.detail, errors: problem.errors, headers: problem.headers, cause });
}

function defaultProblem(error: CognitoError): Problem {
  switch (error.type) {
    case "TooManyRequestsException":
    case "LimitExceededException":
    case "TooManyFailedAttemptsException":
      return rateLimited(THROTTLE_RETRY_AFTER_SECONDS, "The identity provider is throttling requests; retry later.");
    case "UsernameExistsException":
    case "AliasExistsException":
      return accountExists();
    case "UserNotConfirmedException":
      return new Problem(403, "account_not_confirmed", { detail: "The account's email address has not been confirmed." });
    case "PasswordResetRequiredException":
      return new Problem(403, "password_reset_required", { detail: "The password must be reset before signing in." });
    case "ForbiddenException":
      return new Problem(403, "forbidden", { detail: "The identity provider refused this request." });
    case "InvalidPasswordException":
      return new Problem(400, "weak_password", { detail: passwordPolicyMessage(error.message) });
    case "PasswordHistoryPolicyViolationException":
      return new Problem(400, "weak_password", { detail: "The password was used recently; choose another." });
    case "CodeMismatchException":
      return new Problem(400, "invalid_code", { detail: "The code is not valid." });
    case "ExpiredCodeException":
      return new Problem(400, "expired_code", { detail: "The code has expired; request a new one." });
    case "UserLambdaValidationException":
      return new Problem(400, "invalid_request", { detail: "The request was rejected by the user pool's validation rules." });
    case "InvalidParameterException":
      return new Problem(400, "invalid_request", { detail: "The identity provider rejected a parameter of this request." });
    case "NotAuthorizedException":
    case "UserNotFoundException":
      return invalidCredentials();
    default:
      return new Problem(502, "upstream_error", { detail: "The identity provider failed to complete the request." });
  }
}

/**
 * Cognito's policy message ("Password did not conform with policy: Password must have uppercase characters")
 * is meant for users; anything else it says under this type is not passed on.
 */
function passwordPolicyMessage(message: string): string {
  const policy = /^Password did not conform with policy: [\w ,.'-]{1,200}$/.exec(message.trim());
  return policy ? policy[0] : "The password does not meet the user pool's password policy.";
}
