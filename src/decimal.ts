// Decimal strings, never floats: the one accepted spelling of an amount, quantity or price, and an
// exact comparison (a BigInt scaled by 10^9, exact at every place this API allows). Plain functions
// for every layer: the request schemas (schemas/decimal.ts), the settings, the flows; and the one
// schema of a decimal as the Broker API writes it and this API answers it.
//
// The one accepted shape is the canonical one: digits, optionally a point and more digits. No sign,
// exponent, blank, leading zero ("01.5") or bare point (".5", "5."): each of those has a canonical
// spelling, and a value that reaches the Broker API, the audit trail and the idempotency fingerprint
// should be spelt one way only. Trailing zeros are kept as sent ("100.00" stays "100.00").
import * as z from "zod/mini";

const CANONICAL = /^(0|[1-9]\d{0,14})(\.\d+)?$/;
/** The Broker API's spellings: a sign, any digits, at most 9 places (the most `scaled` is exact for). */
const BROKER_SPELLING = /^(-?)(\d+)(?:\.(\d{1,9}))?$/;
const SCALE_PLACES = 9;
const SCALE = 10n ** BigInt(SCALE_PLACES);

/** Decimal places of a canonical decimal string. */
function placesOf(text: string): number {
  const point = text.indexOf(".");
  return point < 0 ? 0 : text.length - point - 1;
}

/** Whether `text` is a canonical decimal with at most `maxPlaces` places (≤ 9). */
export function isDecimal(text: string, maxPlaces: number): boolean {
  return CANONICAL.test(text) && placesOf(text) <= maxPlaces;
}

/**
 * A decimal string as a BigInt scaled by 10^9. Accepts the Broker API's spellings too ("1000",
 * "100.0", "-5.25"); throws on anything else, or on more than 9 places.
 */
export function scaled(text: string): bigint {
  const match = BROKER_SPELLING.exec(text);
  if (!match) throw new RangeError("not a decimal string of at most 9 places");
  const value = BigInt(match[2]!) * SCALE + BigInt((match[3] ?? "").padEnd(SCALE_PLACES, "0"));
  return match[1] ? -value : value;
}

/**
 * A decimal string as the Broker API writes amounts ("1000", "100.0", "-5.25") and this API answers
 * them, never a number: the one schema of both (broker/* reads with it, schemas/*-responses.ts
 * documents it). A longer one is an unusable answer (502), not a 500 later in `scaled`.
 */
export const Decimal = z.string().check(z.regex(BROKER_SPELLING));

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b`. */
export function compareDecimals(a: string, b: string): -1 | 0 | 1 {
  const [x, y] = [scaled(a), scaled(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Money: dollars and cents, at most 2 places. */
export const MONEY_PLACES = 2;

/** The most one transfer may move unless MAX_TRANSFER_AMOUNT says otherwise. */
export const DEFAULT_MAX_TRANSFER_AMOUNT = "50000.00";
