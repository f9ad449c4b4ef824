import type { Context } from "hono";
import type { FundingConfig } from "../config";
import { Failure } from "../failures";
import type { ConfigVariables } from "./config";

export interface MoneyVariables {
  fundingConfig: FundingConfig;
  /** The request's Idempotency-Key (after takeIdempotencyKey). */
  idempotencyKey: string;
}

/** A create's input, for hc<AppType>: `{ header: { "idempotency-key": key } }`. */
export type IdempotencyKeyInput = { in: { header: { "idempotency-key": string } } };

/** For the funding and trading routes: the limits of MAX_TRANSFER_AMOUNT (a 503 naming it when it is not an amount). */
export function giveFundingConfig(c: Context<{ Variables: Pick<MoneyVariables, "fundingConfig"> & ConfigVariables }>): void {
  c.set("fundingConfig", c.get("root").funding());
}

/** The printable ASCII an Idempotency-Key may hold: a UUID, or any client's own token of up to 255 characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Every POST that moves money or creates something: 400 idempotency_key_required without a usable key. */
export function takeIdempotencyKey(c: Context<{ Variables: Pick<MoneyVariables, "idempotencyKey"> }>): void {
  const key = c.req.header("idempotency-key");
  if (key === undefined || !IDEMPOTENCY_KEY.test(key)) throw new Failure("idempotency_key_required");
  c.set("idempotencyKey", key);
}
