import type { BrokerConfig } from "../config";
import { isFailure } from "../failures";
import { keptFor } from "../isolate";
import { isJsonObject, parseJson } from "../json";
import { exchange, unusableAnswer, withRetries, type RequestScope, type Upstream } from "../upstream";
import { BROKER_API, BrokerError, fieldsNamedIn, refusalIn } from "./errors";

type Method = "GET" | "POST" | "PATCH" | "DELETE";

/**
 * `Authorization: Basic base64(key:secret)`, made once per isolate (keptFor the config object):
 * the key pair is read from the environment once, and no request rebuilds it.
 */
function basicAuthOf(config: BrokerConfig): string {
  return `Basic ${btoa(`${config.keyId}:${config.secret}`)}`;
}

/** Without X-RateLimit-Reset, a 429 is retried after what alpaca-py waits. */
const DEFAULT_RETRY_AFTER_SECONDS = 3;

/** Seconds until X-RateLimit-Reset (Unix seconds), at least 1 and at most a minute. */
function secondsUntilReset(response: Response, now = Date.now()): number {
  const reset = Number(response.headers.get("x-ratelimit-reset"));
  if (!Number.isFinite(reset) || reset <= 0) return DEFAULT_RETRY_AFTER_SECONDS;
  return Math.min(60, Math.max(1, Math.ceil(reset - now / 1000)));
}

/**
 * The Broker API's REST transport for one request: Basic auth, JSON in and out, each call timed
 * within the request's budget (src/upstream.ts), retried only when the caller says repeating it is
 * safe (reads: a create or a change is never sent twice).
 */
export class BrokerClient {
  readonly #config: BrokerConfig;
  readonly #scope: RequestScope;
  readonly #upstream: Upstream;

  constructor(config: BrokerConfig, scope: RequestScope, timeoutMs: number) {
    this.#config = config;
    this.#scope = scope;
    this.#upstream = { name: BROKER_API, timeoutMs };
  }

  /** `path` below the API's root, e.g. "/v1/accounts"; `action` names the call in the log. */
  async call(action: string, method: Method, path: string, body?: object): Promise<unknown> {
    const once = async () => (await this.#send(action, method, path, body, {})).body;
    return method === "GET" ? withRetries(this.#scope, this.#upstream, once, isTransient) : once();
  }

  /** A create with headers of its own (a transfer's Idempotency-Key), answered with the response's headers too; never retried here. */
  async create(action: string, path: string, body: object, headers: Record<string, string>): Promise<{ body: unknown; headers: Headers }> {
    return this.#send(action, "POST", path, body, headers);
  }

  async #send(action: string, method: Method, path: string, body: object | undefined, own: Record<string, string>): Promise<{ body: unknown; headers: Headers }> {
    const headers: Record<string, string> = { ...own, authorization: keptFor(this.#config, basicAuthOf), accept: "application/json" };
    if (body) headers["content-type"] = "application/json";
    const request = new Request(this.#config.url + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
    const { response, text, record } = await exchange(this.#scope, this.#upstream, action, request);
    const parsed = text === "" ? undefined : parseJson(text);
    if (!response.ok) {
      const code = isJsonObject(parsed) && typeof parsed.code === "number" ? parsed.code : undefined;
      record(code === undefined ? "unknown" : String(code));
      // A 5xx page, a proxy's answer: not the Broker API speaking.
      if (response.status >= 500 && code === undefined) throw unusableAnswer(BROKER_API, `${action} answered HTTP ${response.status} without a Broker API error`);
      // Some 400s and 403s are declared as a plain string body.
      const message = isJsonObject(parsed) && typeof parsed.message === "string" ? parsed.message : text;
      throw new BrokerError(action, response.status, code, fieldsNamedIn(message), response.status === 429 ? secondsUntilReset(response) : undefined, refusalIn(message));
    }
    record();
    return { body: parsed, headers: response.headers };
  }
}

/** Worth another try for a read: no connection, an unusable answer (a 5xx page), or the Broker API's own fault. */
function isTransient(error: unknown): boolean {
  if (isFailure(error, "upstream_unavailable", "upstream_error")) return true;
  return error instanceof BrokerError && error.httpStatus >= 500;
}
