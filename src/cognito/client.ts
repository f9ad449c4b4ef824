import { AwsClient } from "aws4fetch";
import { isFailure } from "../failures";
import { isJsonObject, parseJson } from "../json";
import { awsErrorType, exchange, unusableAnswer, withRetries, type RequestScope, type Upstream } from "../upstream";
import { CognitoError, IDENTITY_PROVIDER } from "./errors";

interface CognitoClientOptions {
  endpoint: string;
  region: string;
  timeoutMs: number;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

interface CallOptions {
  /** SigV4-sign the call (Admin* actions). */
  signed?: boolean;
  /** Safe to send again after throttling or a 5xx: never for SignUp, which is not idempotent. */
  retry?: boolean;
}

/** The Cognito user pools JSON API: POST {endpoint} with X-Amz-Target. */
export class CognitoClient {
  readonly #endpoint: string;
  readonly #upstream: Upstream;
  readonly #signer: AwsClient;

  constructor(options: CognitoClientOptions) {
    this.#endpoint = options.endpoint;
    this.#upstream = { name: IDENTITY_PROVIDER, timeoutMs: options.timeoutMs };
    // retries: 0 because aws4fetch would otherwise retry every call, SignUp included.
    this.#signer = new AwsClient({ ...options.credentials, service: "cognito-idp", region: options.region, retries: 0 });
  }

  async call<T extends object>(scope: RequestScope, action: string, input: object, options: CallOptions = {}): Promise<T> {
    const once = () => this.#send<T>(scope, action, input, options.signed ?? false);
    return options.retry ? withRetries(scope, this.#upstream, once, isTransient) : once();
  }

  async #send<T extends object>(scope: RequestScope, action: string, input: object, signed: boolean): Promise<T> {
    const init: RequestInit = {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${action}` },
      body: JSON.stringify(input),
    };
    const { response, text, logCall } = signed
      ? await exchange(scope, this.#upstream, action, await this.#signer.sign(this.#endpoint, init))
      : await exchange(scope, this.#upstream, action, this.#endpoint, init);
    const body = parseJson(text);
    if (!response.ok) {
      const type = awsErrorType(response, body);
      logCall(type ?? "unknown");
      if (type) throw new CognitoError(type, messageOf(body), response.status);
      throw unusableAnswer(IDENTITY_PROVIDER, `${action} answered HTTP ${response.status} without a Cognito error`);
    }
    logCall();
    if (!isJsonObject(body)) throw unusableAnswer(IDENTITY_PROVIDER, `${action} answered HTTP ${response.status} with a body that is not a JSON object`);
    return body as T;
  }
}

function messageOf(body: unknown): string {
  if (!isJsonObject(body)) return "";
  const message = body.message ?? body.Message;
  return typeof message === "string" ? message : "";
}

const TRANSIENT_TYPES = new Set(["TooManyRequestsException", "InternalErrorException", "ThrottlingException", "ServiceUnavailable"]);

/** Worth another try: no connection, an unusable answer (a 5xx page), throttling or Cognito's own fault. A timeout is not: the budget is spent. */
function isTransient(error: unknown): boolean {
  if (isFailure(error, "upstream_unavailable", "upstream_error")) return true;
  return error instanceof CognitoError && (TRANSIENT_TYPES.has(error.type) || error.httpStatus >= 500);
}
