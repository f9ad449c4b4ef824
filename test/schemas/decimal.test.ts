// Amounts, quantities and prices at their edges: strings only, canonical, positive, within places and the maximum.
import { describe, expect, it } from "vitest";
import { compareDecimals, DEFAULT_MAX_TRANSFER_AMOUNT, isDecimal, scaled } from "../../src/decimal";
import { money, price, quantity } from "../../src/schemas/decimal";

const messagesOf = (result: { success: boolean; error?: { issues: { message: string }[] } }) => result.error?.issues.map((issue) => issue.message) ?? [];

describe("money", () => {
  const amount = money("amount", DEFAULT_MAX_TRANSFER_AMOUNT);
  const shape = 'amount must be a positive decimal string with at most 2 decimal places, e.g. "100.00"';

  it.each(["100.00", "100", "0.01", "1.5", "49999.99", "50000.00", "50000"])("takes %j as it is", (text) => {
    expect(amount.safeParse(text)).toEqual({ success: true, data: text });
  });

  it.each([
    ["0.001", shape],
    ["100.005", shape],
    ["1e3", shape],
    ["-1", shape],
    ["0", shape],
    ["0.00", shape],
    [" 1", shape],
    ["1 ", shape],
    ["01.5", shape],
    [".5", shape],
    ["5.", shape],
    ["+5", shape],
    ["1,000.00", shape],
    ["", shape],
    ["NaN", shape],
    ["Infinity", shape],
    ["0x10", shape],
    ["50000.01", "amount must be at most 50000.00"],
    ["1000000000", "amount must be at most 50000.00"],
  ])("refuses %j: %s", (text, message) => {
    expect(messagesOf(amount.safeParse(text))).toEqual([message]);
  });

  it("refuses numbers: an amount is a string", () => {
    expect(messagesOf(amount.safeParse(100))).toEqual(['amount must be a decimal string, e.g. "100.00"']);
    expect(messagesOf(amount.safeParse(0.1))).toEqual(['amount must be a decimal string, e.g. "100.00"']);
  });

  it("has no maximum unless given one", () => {
    expect(money("notional").safeParse("1000000.00").success).toBe(true);
  });
});

describe("quantities and prices", () => {
  it("takes up to 9 places for a quantity, 4 for a price", () => {
    expect(quantity("qty").safeParse("0.000000001").success).toBe(true);
    expect(messagesOf(quantity("qty").safeParse("0.0000000001"))).toEqual(['qty must be a positive decimal string with at most 9 decimal places, e.g. "0.5"']);
    expect(price("limit_price").safeParse("0.1234").success).toBe(true);
    expect(price("limit_price").safeParse("0.12345").success).toBe(false);
  });
});

describe("comparison", () => {
  it("compares exactly, at places where floats are wrong", () => {
    expect(compareDecimals("0.3", "0.1")).toBe(1);
    // 0.1 + 0.2 > 0.3 in floats; scaled, the sum is exactly 0.3.
    expect(scaled("0.1") + scaled("0.2")).toBe(scaled("0.3"));
    expect(compareDecimals("100.00", "100")).toBe(0);
    expect(compareDecimals("100.0", "100.01")).toBe(-1);
    expect(compareDecimals("9007199254740993", "9007199254740992")).toBe(1);
    expect(compareDecimals("-5.25", "0")).toBe(-1);
  });

  it("reads the Broker API's spellings and nothing else", () => {
    expect(scaled("1000")).toBe(1000n * 10n ** 9n);
    expect(() => scaled("1e3")).toThrow(RangeError);
    expect(() => scaled("0.0000000001")).toThrow(RangeError);
    expect(isDecimal("1.00", 2)).toBe(true);
    expect(isDecimal("1.000", 2)).toBe(false);
  });
});
