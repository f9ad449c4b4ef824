// Plaid's three calls of a processor-token bank link (broker-api.md section 8), over plain fetch:
// Plaid's own SDK is axios-based and does not run on Workers. The access token and the processor
// token are returned to the caller and nowhere else: never in an error, a log line or D1.
import * as z from "zod/mini";
import type { PlaidConfig } from "../config";
import { isFailure } from "../failures";
import { isJsonObject, parseJson } from "../json";
import { exchange, unusableAnswer, withRetries, type RequestScope, type Upstream } from "../upstream";

/** Plaid, as failures name it. */
export const PLAID = "Plaid";

/** The API version plaid-node pins: the shapes below are this version's. */
const PLAID_VERSION = "2020-09-14";

/**
 * Plaid answered with an error: its HTTP status, `error_type` and `error_code` (both fixed enums).
 * Its `error_message` and `display_message` are dropped: they are free text about the user's bank.
 */
export class PlaidError extends Error {
  override name = "PlaidError";
  readonly httpStatus: number;
  readonly errorType: string | undefined;
  readonly errorCode: string | undefined;

  constructor(action: string, httpStatus: number, errorType: string | undefined, errorCode: string | undefined) {
    super(`${action} answered HTTP ${httpStatus}, ${errorType ?? "no error_type"}/${errorCode ?? "no error_code"}`);
    this.httpStatus = httpStatus;
    this.errorType = errorType;
    this.errorCode = errorCode;
  }
}

const LinkTokenAnswer = z.object({ link_token: z.string().check(z.minLength(1)), expiration: z.string() });
const ExchangeAnswer = z.object({ access_token: z.string().check(z.minLength(1)), item_id: z.string() });
const ProcessorTokenAnswer = z.object({ processor_token: z.string().check(z.minLength(1)) });

export type LinkToken = z.infer<typeof LinkTokenAnswer>;

const errorField = (body: unknown, name: string) => (isJsonObject(body) && typeof body[name] === "string" ? (body[name] as string) : undefined);

/** Plaid's own fault or no connection: worth another try for a call that creates nothing lasting. */
function isTransient(error: unknown): boolean {
  return isFailure(error, "upstream_unavailable", "upstream_error") || (error instanceof PlaidError && error.httpStatus >= 500);
}

/** Plaid's API for one request: its calls share the request's budget, call log and clearance. */
export interface PlaidClient {
  /** `/link/token/create` for Plaid Link in the browser, for the user `clientUserId` (our `sub`). */
  linkToken(clientUserId: string): Promise<LinkToken>;
  /** `/item/public_token/exchange`: the item's access token. */
  exchangePublicToken(publicToken: string): Promise<string>;
  /** `/processor/token/create` for Alpaca, for one account of the item. */
  processorToken(accessToken: string, accountId: string): Promise<string>;
}

export function openPlaid(config: PlaidConfig, scope: RequestScope, timeoutMs: number): PlaidClient {
  const upstream: Upstream = { name: PLAID, timeoutMs };

  async function call<T extends z.ZodMiniType>(action: string, path: string, body: object, answer: T): Promise<z.infer<T>> {
    const request = new Request(config.url + path, {
      method: "POST",
      // The credentials as headers (Plaid takes either): the body stays free of secrets.
      headers: { "content-type": "application/json", "plaid-client-id": config.clientId, "plaid-secret": config.secret, "plaid-version": PLAID_VERSION },
      body: JSON.stringify(body),
    });
    const { response, text, record } = await exchange(scope, upstream, action, request);
    const parsed = parseJson(text);
    if (!response.ok) {
      const [errorType, errorCode] = [errorField(parsed, "error_type"), errorField(parsed, "error_code")];
      record(errorCode ?? "unknown");
      if (response.status >= 500 && errorType === undefined) throw unusableAnswer(PLAID, `${action} answered HTTP ${response.status} without a Plaid error`);
      throw new PlaidError(action, response.status, errorType, errorCode);
    }
    record();
    const read = answer.safeParse(parsed);
    if (!read.success) throw unusableAnswer(PLAID, `${action} answered a body that is not its documented shape`);
    return read.data;
  }

  return {
    // Retried: each try makes a new link token, which is harmless.
    async linkToken(clientUserId) {
      const body = { client_name: config.clientName, language: "en", country_codes: ["US"], user: { client_user_id: clientUserId }, products: ["auth"] };
      const once = () => call("LinkTokenCreate", "/link/token/create", body, LinkTokenAnswer);
      const { link_token, expiration } = await withRetries(scope, upstream, once, isTransient);
      return { link_token, expiration };
    },
    // The public token is single use: never retried.
    async exchangePublicToken(publicToken) {
      return (await call("ItemPublicTokenExchange", "/item/public_token/exchange", { public_token: publicToken }, ExchangeAnswer)).access_token;
    },
    async processorToken(accessToken, accountId) {
      const body = { access_token: accessToken, account_id: accountId, processor: "alpaca" };
      return (await call("ProcessorTokenCreate", "/processor/token/create", body, ProcessorTokenAnswer)).processor_token;
    },
  };
}
