// The request bodies of bank links, transfers, orders and positions. Messages name the rule, never
// the value sent: a body carries a bank account number, and a problem body repeats messages.
import * as z from "zod/mini";
import { compareDecimals } from "../decimal";
import { money, price, quantity } from "./decimal";
import { StepUpFields } from "./requests";

const text = (field: string, max: number) =>
  z.string({ error: `${field} must be a string` }).check(
    z.trim(),
    z.minLength(1, { error: `${field} must not be empty` }),
    z.maxLength(max, { error: `${field} must be at most ${max} characters` }),
  );

/** A body of exactly these fields: an unknown one is named (as a key, never a value). */
export function strictBody<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  return z.strictObject(shape, {
    error: (issue) => (issue.code === "unrecognized_keys" ? `unknown field: ${issue.keys.join(", ")}` : "body must be a JSON object"),
  });
}

const ABA_WEIGHTS = [3, 7, 1, 3, 7, 1, 3, 7, 1];

/**
 * An ABA routing number: nine digits whose weighted sum (3, 7, 1, repeated) is a multiple of ten,
 * beginning with a Federal Reserve routing symbol (00-12, 21-32, 61-72) or 80 (traveller's cheques).
 */
export function isRoutingNumber(number: string): boolean {
  if (!/^\d{9}$/.test(number)) return false;
  const prefix = Number(number.slice(0, 2));
  if (!(prefix <= 12 || (prefix >= 21 && prefix <= 32) || (prefix >= 61 && prefix <= 72) || prefix === 80)) return false;
  const sum = [...number].reduce((total, digit, index) => total + Number(digit) * ABA_WEIGHTS[index]!, 0);
  return sum % 10 === 0;
}

/** Bank details typed in by the user: the Broker API checks the account with the bank. */
export const BankDetails = strictBody({
  account_owner_name: text("account_owner_name", 100),
  bank_account_type: z.enum(["CHECKING", "SAVINGS"], { error: "bank_account_type must be CHECKING or SAVINGS" }),
  // An ACH account number (the DFI account number) is at most 17 characters.
  bank_account_number: z.string({ error: "bank_account_number must be a string" }).check(
    z.regex(/^[0-9A-Za-z]{4,17}$/, { error: "bank_account_number must be 4 to 17 letters or digits" }),
  ),
  bank_routing_number: z.string({ error: "bank_routing_number must be a string" }).check(
    z.refine(isRoutingNumber, { error: "bank_routing_number must be a valid 9-digit ABA routing number" }),
  ),
  nickname: z.optional(text("nickname", 50)),
});
export type BankDetails = z.output<typeof BankDetails>;

/** What Plaid Link gave the browser: a public token (single use, 30 minutes) and the account chosen. */
export const PlaidBankLink = strictBody({
  plaid_public_token: z.string({ error: "plaid_public_token must be a string" }).check(
    z.regex(/^public-[\w-]{1,200}$/, { error: "plaid_public_token must be a public token from Plaid Link (public-...)" }),
  ),
  plaid_account_id: z.string({ error: "plaid_account_id must be a string" }).check(
    z.regex(/^[\w-]{1,100}$/, { error: "plaid_account_id must be the account id from Plaid Link's metadata" }),
  ),
});
export type PlaidBankLink = z.output<typeof PlaidBankLink>;

/** Either body of POST /bank-links, told apart by `plaid_public_token` (so each gets its own field errors). */
export const BankLinkRequest = z.union([BankDetails, PlaidBankLink]);
export type BankLinkRequest = z.output<typeof BankLinkRequest>;

export function bankLinkSchemaFor(body: unknown): typeof BankDetails | typeof PlaidBankLink {
  return typeof body === "object" && body !== null && "plaid_public_token" in body ? PlaidBankLink : BankDetails;
}

/** The step up alone (schemas/requests.ts StepUpFields), for removing a bank link. */
export const MoneyStepUp = strictBody(StepUpFields);

/** A transfer's body; `amount` at most `maxAmount` (MAX_TRANSFER_AMOUNT). */
export function transferRequest(maxAmount: string) {
  return strictBody({
    bank_link_id: z.string({ error: "bank_link_id must be a string" }).check(z.uuid({ error: "bank_link_id must be a bank link id" })),
    amount: money("amount", maxAmount),
    direction: z.enum(["INCOMING", "OUTGOING"], { error: "direction must be INCOMING or OUTGOING" }),
    ...StepUpFields,
  });
}

/** A transfer as its flow takes it: the body without its step up, which the route hands over as a check. */
export type TransferRequest = Omit<z.output<ReturnType<typeof transferRequest>>, keyof typeof StepUpFields>;

const ORDER_TYPES = ["market", "limit", "stop", "stop_limit", "trailing_stop"] as const;

/** The rules across an order's fields, each reported at the field at fault. */
function orderRules(order: { type: string; time_in_force: string; qty?: string; notional?: string; limit_price?: string; stop_price?: string; trail_price?: string; trail_percent?: string; extended_hours?: boolean }) {
  const problems: { path: string; message: string }[] = [];
  if ((order.qty === undefined) === (order.notional === undefined)) problems.push({ path: "qty", message: "send exactly one of qty and notional" });
  if (order.notional !== undefined && !(order.type === "market" && order.time_in_force === "day")) {
    problems.push({ path: "notional", message: "notional is only for market orders with time_in_force day" });
  }
  const needsLimit = order.type === "limit" || order.type === "stop_limit";
  const needsStop = order.type === "stop" || order.type === "stop_limit";
  if (needsLimit !== (order.limit_price !== undefined)) problems.push({ path: "limit_price", message: `limit_price is ${needsLimit ? "required" : "not allowed"} for a ${order.type} order` });
  if (needsStop !== (order.stop_price !== undefined)) problems.push({ path: "stop_price", message: `stop_price is ${needsStop ? "required" : "not allowed"} for a ${order.type} order` });
  // A trailing stop trails by a price or a percentage, and lives a day or until cancelled (broker-api.md section 14).
  const trails = (order.trail_price !== undefined ? 1 : 0) + (order.trail_percent !== undefined ? 1 : 0);
  if (order.type === "trailing_stop") {
    if (trails !== 1) problems.push({ path: "trail_price", message: "send exactly one of trail_price and trail_percent for a trailing_stop order" });
    if (order.time_in_force !== "day" && order.time_in_force !== "gtc") problems.push({ path: "time_in_force", message: "a trailing_stop order's time_in_force is day or gtc" });
  } else if (trails) problems.push({ path: order.trail_price !== undefined ? "trail_price" : "trail_percent", message: "trail_price and trail_percent are only for trailing_stop orders" });
  if (order.extended_hours && !(order.type === "limit" && order.time_in_force === "day")) {
    problems.push({ path: "extended_hours", message: "extended_hours is only for limit orders with time_in_force day" });
  }
  return problems;
}

/** Ticker symbols as the Broker API lists them: upper case, with "." or "/" for classes and pairs. */
export const TickerSymbol = z.string({ error: "symbol must be a string" }).check(
  z.trim(),
  z.toUpperCase(),
  z.regex(/^[A-Z][A-Z0-9./]{0,14}$/, { error: "symbol must be a ticker symbol, e.g. AAPL" }),
);

const TIME_IN_FORCE = z.enum(["day", "gtc", "ioc", "fok", "opg", "cls"], { error: "time_in_force must be day, gtc, ioc, fok, opg or cls" });
/** A trailing stop's percentage: above 0 and below 100 ("1.0": a sell's stop trails 1% below the high). */
const trailPercent = price("trail_percent").check(z.refine((text) => compareDecimals(text, "100") < 0, { error: "trail_percent must be below 100" }));

export const OrderRequest = strictBody({
    symbol: TickerSymbol,
    side: z.enum(["buy", "sell"], { error: "side must be buy or sell" }),
    type: z.enum(ORDER_TYPES, { error: "type must be market, limit, stop, stop_limit or trailing_stop" }),
    time_in_force: TIME_IN_FORCE,
    qty: z.optional(quantity("qty")),
    notional: z.optional(money("notional")),
    limit_price: z.optional(price("limit_price")),
    stop_price: z.optional(price("stop_price")),
    trail_price: z.optional(price("trail_price")),
    trail_percent: z.optional(trailPercent),
    extended_hours: z.optional(z.boolean({ error: "extended_hours must be true or false" })),
}).check(
  z.superRefine((order, ctx) => {
    for (const { path, message } of orderRules(order)) ctx.issues.push({ code: "custom", path: [path], message, input: order });
  }),
);

/**
 * PATCH /orders/{id}: what a replace may change (broker-api.md section 14), at least one of them; the
 * rest is the order's own. A replace's qty is whole shares; `trail` is a trailing stop's new
 * trail_price or trail_percent, whichever it has.
 */
export const ReplaceOrderRequest = strictBody({
  qty: z.optional(quantity("qty").check(z.regex(/^\d+$/, { error: "qty of a replace must be a whole number of shares" }))),
  time_in_force: z.optional(TIME_IN_FORCE),
  limit_price: z.optional(price("limit_price")),
  stop_price: z.optional(price("stop_price")),
  trail: z.optional(price("trail")),
}).check(
  z.refine((change) => Object.values(change).some((value) => value !== undefined), { error: "send at least one of qty, time_in_force, limit_price, stop_price and trail", path: ["qty"] }),
);
export type ReplaceOrderRequest = z.output<typeof ReplaceOrderRequest>;

export type OrderRequest = z.output<typeof OrderRequest>;

/** Where a page of a list begins: the `next_cursor` of the page before. */
const Cursor = z.optional(z.string({ error: "cursor must be a string" }).check(z.regex(/^[\w:.-]{1,200}$/, { error: "cursor is not a cursor of this list" })));

/** GET lists with only a cursor. */
export const CursorQuery = strictBody({ cursor: Cursor });

/** GET /orders?status=&cursor= */
export const OrderListQuery = strictBody({
  status: z.optional(z.enum(["open", "closed", "all"], { error: "status must be open, closed or all" })),
  cursor: Cursor,
});
