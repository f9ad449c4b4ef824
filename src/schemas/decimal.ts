// Amounts, quantities and prices in request bodies: decimal strings of the canonical spelling
// (src/decimal.ts), positive, within their places and, for a transfer, the maximum.
import * as z from "zod/mini";
import { compareDecimals, isDecimal, MONEY_PLACES, scaled } from "../decimal";

/**
 * A positive decimal string of at most `places` decimal places and, when given, at most `max`,
 * for the field `field` (named in the messages, the value never is).
 */
function positiveDecimal(field: string, places: number, example: string, max?: string) {
  const shape = `${field} must be a positive decimal string with at most ${places} decimal places, e.g. "${example}"`;
  return z.string({ error: `${field} must be a decimal string, e.g. "${example}"` }).check(
    z.refine((text) => isDecimal(text, places), { error: shape, abort: true }),
    z.refine((text) => scaled(text) > 0n, { error: shape, abort: true }),
    ...(max === undefined ? [] : [z.refine<string>((text) => compareDecimals(text, max) <= 0, { error: `${field} must be at most ${max}` })]),
  );
}

/** Fractional share quantities: at most 9 places (the Broker API's limit). */
export const QUANTITY_PLACES = 9;
/** Limit and stop prices: at most 4 places (sub-dollar prices go to hundredths of a cent). */
export const PRICE_PLACES = 4;


export const money = (field: string, max?: string) => positiveDecimal(field, MONEY_PLACES, "100.00", max);
export const quantity = (field: string) => positiveDecimal(field, QUANTITY_PLACES, "0.5");
export const price = (field: string) => positiveDecimal(field, PRICE_PLACES, "190.25");
