import type { BrokerConfig } from "../config";
import { isFailure } from "../failures";
import { keptFor } from "../isolate";
import { isJsonObject, parseJson } from "../json";
import { parseWithDecimalNumbers } from "../json-numbers";
import { exchange, openStream, secondsUntilReset, unusableAnswer, withRetries, type RequestScope, type Upstream } from "../upstream";
import { BROKER_API, BrokerError, fieldsNamedIn, refusalIn } from "./errors";

type Method = "GET" | "POST" | "PATCH" | "DELETE";

/**
 * `Authorization: Basic base64(key:secret)`, made once per isolate (keptFor the config object):
 * the key pair is read from the environment once, and no request rebuilds it.
 */
function basicAuthOf(config: BrokerConfig): string {
  return `Basic ${btoa(`${config.keyId}:${config.secret}`)}`;
}

/**
 * The Broker API's transport: Basic auth; REST calls with JSON in and out, each timed within the
 * request's budget (src/upstream.ts), retried only when the caller says repeating it is safe (reads:
 * a create or a change is never sent twice); and event streams, open for as long as their reader wants.
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

  /**
   * A read whose numbers are kept as decimal strings read from their source text (json-numbers.ts):
   * for answers that write amounts as JSON numbers (portfolio history), or may (activities).
   */
  async readDecimal(action: string, path: string): Promise<unknown> {
    const once = async () => (await this.#send(action, "GET", path, undefined, {}, decimalJson)).body;
    return withRetries(this.#scope, this.#upstream, once, isTransient);
  }

  /**
   * Where a GET answered with a redirect sends its reader (a document's pre-signed link): the
   * redirect is not followed, so the link is fetched without our key. No `Accept: application/json`
   * (a statement's download answers JSON for it). Anything but a redirect with a Location fails.
   */
  async redirectOf(action: string, path: string): Promise<URL> {
    const once = async () => {
      const init: RequestInit = { headers: { authorization: keptFor(this.#config, basicAuthOf) }, redirect: "manual" };
      const { response, text, logCall } = await exchange(this.#scope, this.#upstream, action, this.#config.url + path, init);
      const redirected = response.status >= 300 && response.status <= 399;
      if (!redirected && !response.ok) throw refusalOf(action, response, text, logCall);
      logCall();
      const location = redirected ? response.headers.get("location") : null;
      const link = location === null ? undefined : URL.parse(location, this.#config.url);
      if (!link || !/^https?:$/.test(link.protocol)) throw unusableAnswer(BROKER_API, `${action} gave no usable link`);
      return link;
    };
    return withRetries(this.#scope, this.#upstream, once, isTransient);
  }

  /**
   * A file behind a link the Broker API gave (redirectOf): the 2xx Response with its body unread,
   * for the caller to stream on. Sent without our key (the link carries its own signature); the
   * timeout bounds the wait for the headers. Never retried: the caller has not read a byte yet, but
   * a link's lifetime is short and unknown.
   */
  async file(action: string, link: URL): Promise<Response> {
    const { response, text, logCall } = await openStream(this.#scope, this.#upstream, action, new Request(link, { headers: { accept: "application/pdf" } }));
    logCall();
    if (text !== undefined) throw unusableAnswer(BROKER_API, `${action} answered HTTP ${response.status}`);
    return response;
  }

  /** A create with headers of its own (a transfer's Idempotency-Key), answered with the response's headers too; never retried here. */
  async create(action: string, path: string, body: object, headers: Record<string, string>): Promise<{ body: unknown; headers: Headers }> {
    return this.#send(action, "POST", path, body, headers);
  }

  /**
   * An event stream (broker-api.md section 7; `query` its cursor, e.g. `since_id`): the 2xx Response
   * with its body unread, for the caller to read and to end with `signal`. Never retried, and not
   * bounded by the request's budget: the client's timeout bounds only the wait for the headers. An
   * answer that is not 2xx fails as a REST call's does (a 429 with when to retry).
   */
  async stream(action: string, path: string, { signal, query }: { signal?: AbortSignal; query?: Record<string, string> } = {}): Promise<Response> {
    const headers = { authorization: keptFor(this.#config, basicAuthOf), accept: "text/event-stream" };
    const url = this.#config.url + path + (query ? `?${new URLSearchParams(query)}` : "");
    const { response, text, logCall } = await openStream(this.#scope, this.#upstream, action, new Request(url, { headers }), signal);
    if (text !== undefined) throw refusalOf(action, response, text, logCall);
    logCall();
    return response;
  }

  async #send(action: string, method: Method, path: string, body: object | undefined, own: Record<string, string>, parse: (text: string) => unknown = parseJson): Promise<{ body: unknown; headers: Headers }> {
    const headers: Record<string, string> = { ...own, authorization: keptFor(this.#config, basicAuthOf), accept: "application/json" };
    if (body) headers["content-type"] = "application/json";
    const init = { method, headers, body: body ? JSON.stringify(body) : undefined };
    const { response, text, logCall } = await exchange(this.#scope, this.#upstream, action, this.#config.url + path, init);
    if (!response.ok) throw refusalOf(action, response, text, logCall);
    logCall();
    return { body: text === "" ? undefined : parse(text), headers: response.headers };
  }
}

/** JSON with every number as its decimal string; what is not JSON is an unusable answer. */
function decimalJson(text: string): unknown {
  try {
    return parseWithDecimalNumbers(text);
  } catch (error) {
    throw unusableAnswer(BROKER_API, `an answer that is not JSON with numbers: ${String(error)}`);
  }
}

/** What an answer that is not 2xx means, logged with its error code: a BrokerError, or an unusable answer when it is not the Broker API speaking. */
function refusalOf(action: string, response: Response, text: string, logCall: (errorType?: string) => void): Error {
  const parsed = text === "" ? undefined : parseJson(text);
  const code = isJsonObject(parsed) && typeof parsed.code === "number" ? parsed.code : undefined;
  logCall(code === undefined ? "unknown" : String(code));
  // A 5xx page, a proxy's answer: not the Broker API speaking.
  if (response.status >= 500 && code === undefined) return unusableAnswer(BROKER_API, `${action} answered HTTP ${response.status} without a Broker API error`);
  // Some 400s and 403s are declared as a plain string body.
  const message = isJsonObject(parsed) && typeof parsed.message === "string" ? parsed.message : text;
  return new BrokerError(action, response.status, code, fieldsNamedIn(message), response.status === 429 ? secondsUntilReset(response) : undefined, refusalIn(message));
}

/** Worth another try for a read: no connection, an unusable answer (a 5xx page), or the Broker API's own fault. */
function isTransient(error: unknown): boolean {
  if (isFailure(error, "upstream_unavailable", "upstream_error")) return true;
  return error instanceof BrokerError && error.httpStatus >= 500;
}
