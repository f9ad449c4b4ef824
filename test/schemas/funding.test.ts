// The funding and trading bodies: routing numbers by their checksum, the two bank-link bodies, the rules across an order's fields.
import { describe, expect, it } from "vitest";
import { BankDetails, bankLinkSchemaFor, isRoutingNumber, OrderRequest, PlaidBankLink, transferRequest } from "../../src/schemas/funding";

const errorsOf = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  result.error?.issues.map((issue) => ({ field: issue.path.join("."), message: issue.message })) ?? [];

const BANK = { account_owner_name: "Ann Lee", bank_account_type: "CHECKING", bank_account_number: "123456789abc", bank_routing_number: "121000358", nickname: "Checking" };

describe("routing numbers", () => {
  it.each(["121000358", "011000015", "021000021", "322271627"])("takes %s", (number) => {
    expect(isRoutingNumber(number)).toBe(true);
  });

  it("checks the weighted sum: one digit off is refused", () => {
    expect(isRoutingNumber("121000358")).toBe(true);
    expect(isRoutingNumber("121000359")).toBe(false);
    expect(isRoutingNumber("211000358")).toBe(false); // digits swapped
  });

  it("refuses other lengths, non-digits and unassigned prefixes", () => {
    for (const number of ["12100035", "1210003580", "12100035a", " 121000358", "000000000".replace(/^00/, "13"), "400000000"]) expect(isRoutingNumber(number)).toBe(false);
  });
});

describe("bank-link bodies", () => {
  it("takes the bank details, and names each bad field without repeating its value", () => {
    expect(BankDetails.safeParse(BANK).success).toBe(true);
    const result = BankDetails.safeParse({ ...BANK, bank_routing_number: "121000359", bank_account_number: "12-34", bank_account_type: "BROKERAGE" });
    expect(errorsOf(result)).toEqual([
      { field: "bank_account_type", message: "bank_account_type must be CHECKING or SAVINGS" },
      { field: "bank_account_number", message: "bank_account_number must be 4 to 17 letters or digits" },
      { field: "bank_routing_number", message: "bank_routing_number must be a valid 9-digit ABA routing number" },
    ]);
  });

  it("tells the two bodies apart by plaid_public_token, so each has its own errors", () => {
    expect(bankLinkSchemaFor({ plaid_public_token: "x" })).toBe(PlaidBankLink);
    expect(bankLinkSchemaFor(BANK)).toBe(BankDetails);
    expect(errorsOf(PlaidBankLink.safeParse({ plaid_public_token: "public-sandbox-1", plaid_account_id: "acc_1", bank_account_number: "1234" }))).toEqual([
      { field: "", message: "unknown field: bank_account_number" },
    ]);
  });
});

describe("transfers", () => {
  it("bounds the amount by the configured maximum", () => {
    const body = { bank_link_id: "15ef9978-cb1e-4872-9565-bd0a720b8b76", amount: "1000.00", direction: "INCOMING" };
    expect(transferRequest("50000.00").safeParse(body).success).toBe(true);
    expect(errorsOf(transferRequest("500.00").safeParse(body))).toEqual([{ field: "amount", message: "amount must be at most 500.00" }]);
  });
});

describe("orders", () => {
  const market = { symbol: "aapl", side: "buy", type: "market", time_in_force: "day" };

  it("takes a market order by quantity or by notional, the symbol upper-cased", () => {
    expect(OrderRequest.parse({ ...market, qty: "0.5" })).toEqual({ ...market, symbol: "AAPL", qty: "0.5" });
    expect(OrderRequest.parse({ ...market, notional: "500.00" })).toEqual({ ...market, symbol: "AAPL", notional: "500.00" });
  });

  it("wants exactly one of qty and notional, notional only for market day orders", () => {
    expect(errorsOf(OrderRequest.safeParse(market))).toEqual([{ field: "qty", message: "send exactly one of qty and notional" }]);
    expect(errorsOf(OrderRequest.safeParse({ ...market, qty: "1", notional: "5" }))).toEqual([{ field: "qty", message: "send exactly one of qty and notional" }]);
    expect(errorsOf(OrderRequest.safeParse({ ...market, time_in_force: "gtc", notional: "5" }))).toEqual([
      { field: "notional", message: "notional is only for market orders with time_in_force day" },
    ]);
  });

  it("wants the prices a type needs, and no others", () => {
    expect(errorsOf(OrderRequest.safeParse({ ...market, type: "stop_limit", qty: "1" }))).toEqual([
      { field: "limit_price", message: "limit_price is required for a stop_limit order" },
      { field: "stop_price", message: "stop_price is required for a stop_limit order" },
    ]);
    expect(errorsOf(OrderRequest.safeParse({ ...market, qty: "1", limit_price: "10" }))).toEqual([{ field: "limit_price", message: "limit_price is not allowed for a market order" }]);
    expect(OrderRequest.safeParse({ ...market, type: "limit", qty: "1", limit_price: "190.25" }).success).toBe(true);
  });

  it("refuses quantities past 9 places and numbers", () => {
    expect(errorsOf(OrderRequest.safeParse({ ...market, qty: "0.0000000001" }))).toEqual([
      { field: "qty", message: 'qty must be a positive decimal string with at most 9 decimal places, e.g. "0.5"' },
    ]);
    expect(OrderRequest.safeParse({ ...market, qty: 1 }).success).toBe(false);
  });
});
