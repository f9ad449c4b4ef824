import { AwsClient } from "aws4fetch";
import { isJsonObject, parseJson } from "../json";
import { CognitoError, UpstreamBadResponseError, UpstreamTimeoutError, UpstreamUnavailableError } from "./errors";

/** One upstream call, as the request log reports it. */
export interface UpstreamCall {
  action: string;
  status: number | "timeout" | "unreachable";
  errorType?: string;
  ms: number;
}

/** What one incoming request lends to its upstream calls: its time budget, its call log and its clearance. */
export interface RequestScope {
  /** When the request's time for all its upstream work, retries included, runs out (ms since the epoch). */
  budgetEndsAt: number;
  calls: UpstreamCall[];
  /** Settles before the first call may go out; rejects when the request must not call upstream (rate limits). */
  clearance: Promise<void>;
}

export interface CognitoClientOptions {
  endpoint: string;
  region: string;
  timeoutMs: number;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface CallOptions {
  /** SigV4-sign the call (Admin* actions). */
  signed?: boolean;
  /** Safe to send again after throttling or a 5xx: never for SignUp, which is not idempotent. */
  retry?: boolean;
}

const MAX_ATTEMPTS = 3;
const BACKOFF_BASE_MS = 100;

/** The Cognito user pools JSON API: POST {endpoint} with X-Amz-Target. */
export class CognitoClient {
  readonly #options: CognitoClientOptions;
  readonly #signer: AwsClient;

  constructor(options: CognitoClientOptions) {
    this.#options = options;
    // retries: 0 because aws4fetch would otherwise retry every call, SignUp included.
    this.#signer = new AwsClient({ ...options.credentials, service: "cognito-idp", region: options.region, retries: 0 });
  }

  async call<T extends object>(scope: RequestScope, action: string, input: object, options: CallOptions = {}): Promise<T> {
    await scope.clearance;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#send<T>(scope, action, input, options.signed ?? false);
      } catch (error) {
        if (!options.retry || attempt >= MAX_ATTEMPTS || !isTransient(error)) throw error;
        const pause = jitteredBackoff(attempt);
        if (Date.now() + pause >= scope.budgetEndsAt) throw new UpstreamTimeoutError(`no time left to retry ${action}`, { cause: error });
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    }
  }

  async #send<T extends object>(scope: RequestScope, action: string, input: object, signed: boolean): Promise<T> {
    const started = Date.now();
    const record = (status: UpstreamCall["status"], errorType?: string) =>
      scope.calls.push({ action, status, ...(errorType ? { errorType } : {}), ms: Date.now() - started });

    // One timer per call: the call's own limit, or what is left of the request's budget if less.
    const timeoutMs = Math.min(this.#options.timeoutMs, scope.budgetEndsAt - started);
    const init: RequestInit = {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(input),
    };

    if (timeoutMs <= 0) {
      record("timeout");
      throw new UpstreamTimeoutError(`no time left for ${action}`);
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    let text: string;
    try {
      const request = signed ? await this.#signer.sign(this.#options.endpoint, init) : new Request(this.#options.endpoint, init);
      response = await fetch(request, { signal: timeout });
      text = await response.text();
    } catch (error) {
      if (timeout.aborted) {
        record("timeout");
        throw new UpstreamTimeoutError(`${action} timed out`, { cause: error });
      }
      record("unreachable");
      throw new UpstreamUnavailableError(`${action} could not reach Cognito`, { cause: error });
    }

    const body = parseJson(text);
    if (!response.ok) {
      const type = errorType(response, body);
      record(response.status, type ?? "unknown");
      if (type) throw new CognitoError(type, messageOf(body), response.status);
      throw new UpstreamBadResponseError(`${action} answered HTTP ${response.status} without a Cognito error`);
    }
    record(response.status);
    if (!isJsonObject(body)) {
      throw new UpstreamBadResponseError(`${action} answered HTTP ${response.status} with a body that is not a JSON object`);
    }
    return body as T;
  }
}

/** "com.amazonaws...#NotAuthorizedException" -> "NotAuthorizedException"; the header wins when present. */
function errorType(response: Response, body: unknown): string | undefined {
  const raw = response.headers.get("x-amzn-errortype") ?? (isJsonObject(body) && typeof body.__type === "string" ? body.__type : undefined);
  const type = raw?.split(":")[0]?.split("#").pop()?.trim();
  return type && /^\w{1,100}$/.test(type) ? type : undefined;
}

function messageOf(body: unknown): string {
  if (!isJsonObject(body)) return "";
  const message = body.message ?? body.Message;
  return typeof message === "string" ? message : "";
}

const TRANSIENT_TYPES = new Set(["TooManyRequestsException", "InternalErrorException", "ThrottlingException", "ServiceUnavailable"]);

function isTransient(error: unknown): boolean {
  if (error instanceof UpstreamUnavailableError || error instanceof UpstreamBadResponseError) return true;
  return error instanceof CognitoError && (TRANSIENT_TYPES.has(error.type) || error.httpStatus >= 500);
}

/** Full jitter: spreads retries of many clients so they do not arrive together. */
function jitteredBackoff(attempt: number): number {
  return Math.random() * BACKOFF_BASE_MS * 2 ** attempt;
}
