import { describe, expect, it } from "vitest";
import { decimalOfJsonNumber, parseWithDecimalNumbers } from "../../src/json-numbers";

describe("a JSON number's source text as a decimal string", () => {
  it.each([
    ["187.1200000001", "187.1200000001"],
    ["1e-7", "0.0000001"],
    ["1E-7", "0.0000001"],
    ["1.5e-7", "0.00000015"],
    ["125.91", "125.91"],
    ["125.60", "125.60"],
    ["5589631", "5589631"],
    ["0", "0"],
    ["0.5", "0.5"],
    ["-12.5", "-12.5"],
    ["-1e-7", "-0.0000001"],
    ["1.5E+3", "1500"],
    ["1e2", "100"],
    ["12.5e-1", "1.25"],
    ["-0", "0"],
    ["-0.0", "0.0"],
    ["9007199254740993", "9007199254740993"],
  ])("%s -> %s", (source, decimal) => {
    expect(decimalOfJsonNumber(source)).toBe(decimal);
  });

  it.each(["01", "1.", ".5", "+1", "1e", "NaN", "1e101", ""])("%s is refused", (source) => {
    expect(decimalOfJsonNumber(source)).toBeUndefined();
  });
});

describe("parseWithDecimalNumbers (JSON.parse's source text access, in workerd)", () => {
  it("keeps every number's digits, nested, in arrays, with strings and literals untouched", () => {
    const parsed = parseWithDecimalNumbers('{"p":187.1200000001,"tiny":1e-7,"n":[1,-2,9007199254740993],"s":"1.10","b":true,"z":null,"o":{"v":1.50}}');
    expect(parsed).toEqual({ p: "187.1200000001", tiny: "0.0000001", n: ["1", "-2", "9007199254740993"], s: "1.10", b: true, z: null, o: { v: "1.50" } });
  });

  it("throws on text that is not JSON", () => {
    expect(() => parseWithDecimalNumbers("<html>")).toThrow(SyntaxError);
  });
});
