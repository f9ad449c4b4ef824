// Plaid's three calls of a processor-token bank link (broker-api.md section 17), and the removal of
// its Item, over plain fetch: Plaid's own SDK is axios-based and does not run on Workers. The access
// token and the processor token are returned to the caller and nowhere else: never in an error or a
// log line. The access token leaves only sealed (sealAccessToken), so that the Item can be removed
// later: Plaid removes an Item by its access token alone.
import * as z from "zod/mini";
import type { PlaidConfig } from "../config";
import { isFailure } from "../failures";
import { keptFor } from "../isolate";
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
const ItemRemoveAnswer = z.object({ request_id: z.optional(z.string()) });

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
  /** `/item/public_token/exchange`: the item's access token, and its id. */
  exchangePublicToken(publicToken: string): Promise<{ accessToken: string; itemId: string }>;
  /** `/processor/token/create` for Alpaca, for one account of the item. */
  processorToken(accessToken: string, accountId: string): Promise<string>;
  /** The access token sealed for keeping: only this client (its secret) opens it. */
  sealAccessToken(accessToken: string): Promise<string>;
  /** `/item/remove` of the Item whose sealed access token this is; an Item Plaid no longer has counts as removed. */
  removeItem(sealedAccessToken: string): Promise<void>;
}

const encoder = new TextEncoder();

/** AES-GCM, with a key derived (HKDF) from the Plaid secret for this purpose alone: one per config, so per isolate. */
async function sealingKey(config: PlaidConfig): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", encoder.encode(config.secret), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode("edge-auth-api plaid access token v1") },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));

/** Plaid's answer for an Item that is gone already (removed, or never this client's): nothing left to remove. */
const isGone = (error: unknown) => error instanceof PlaidError && (error.errorCode === "ITEM_NOT_FOUND" || error.errorCode === "INVALID_ACCESS_TOKEN");

export function openPlaid(config: PlaidConfig, scope: RequestScope, timeoutMs: number): PlaidClient {
  const upstream: Upstream = { name: PLAID, timeoutMs };

  async function call<T extends z.ZodMiniType>(action: string, path: string, body: object, answer: T): Promise<z.infer<T>> {
    const { response, text, logCall } = await exchange(scope, upstream, action, config.url + path, {
      method: "POST",
      // The credentials as headers (Plaid takes either): the body stays free of secrets.
      headers: { "content-type": "application/json", "plaid-client-id": config.clientId, "plaid-secret": config.secret, "plaid-version": PLAID_VERSION },
      body: JSON.stringify(body),
    });
    const parsed = parseJson(text);
    if (!response.ok) {
      const [errorType, errorCode] = [errorField(parsed, "error_type"), errorField(parsed, "error_code")];
      logCall(errorCode ?? "unknown");
      if (response.status >= 500 && errorType === undefined) throw unusableAnswer(PLAID, `${action} answered HTTP ${response.status} without a Plaid error`);
      throw new PlaidError(action, response.status, errorType, errorCode);
    }
    logCall();
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
      const { access_token, item_id } = await call("ItemPublicTokenExchange", "/item/public_token/exchange", { public_token: publicToken }, ExchangeAnswer);
      return { accessToken: access_token, itemId: item_id };
    },
    async processorToken(accessToken, accountId) {
      const body = { access_token: accessToken, account_id: accountId, processor: "alpaca" };
      return (await call("ProcessorTokenCreate", "/processor/token/create", body, ProcessorTokenAnswer)).processor_token;
    },
    async sealAccessToken(accessToken) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await keptFor(config, sealingKey), encoder.encode(accessToken));
      return `${toBase64(iv)}.${toBase64(new Uint8Array(sealed))}`;
    },
    // Retried like a link token: removing an Item twice removes it once.
    async removeItem(sealedAccessToken) {
      const [iv = "", sealed = ""] = sealedAccessToken.split(".");
      const opened = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv) }, await keptFor(config, sealingKey), fromBase64(sealed));
      const once = () => call("ItemRemove", "/item/remove", { access_token: new TextDecoder().decode(opened) }, ItemRemoveAnswer);
      try {
        await withRetries(scope, upstream, once, isTransient);
      } catch (error) {
        if (!isGone(error)) throw error;
      }
    },
  };
}
