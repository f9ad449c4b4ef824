// The Market Data API writes prices and sizes as JSON numbers; this API answers them as decimal
// strings. A float cannot hold 187.1200000001 exactly, so each number is read from its source text,
// never through a double: JSON.parse's reviver gets that text as `context.source` (the TC39 "JSON.parse
// source text access" proposal, in V8 and so in workerd; test/market/json-numbers.test.ts holds it).

/** A JSON number literal (RFC 8259 section 6): sign, integer part, fraction, exponent. */
const JSON_NUMBER = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** The most an exponent may move the point: beyond it a price is not a price (and the string would be huge). */
const MAX_SHIFT = 100;

/**
 * A JSON number's source text as a plain decimal string, digit for digit: "187.1200000001" stays,
 * "1e-7" is "0.0000001", "1.5E+3" is "1500", "-12.50" stays. Undefined for what is not a JSON number
 * or moves the point too far.
 */
export function decimalOfJsonNumber(source: string): string | undefined {
  const match = JSON_NUMBER.exec(source);
  if (!match) return undefined;
  const [, sign, whole, fraction = "", exponentText = "0"] = match;
  const exponent = Number(exponentText);
  if (Math.abs(exponent) > MAX_SHIFT) return undefined;
  const digits = whole! + fraction;
  // Where the point falls among `digits`, after the exponent moves it.
  const point = whole!.length + exponent;
  const padded = point <= 0 ? "0".repeat(1 - point) + digits : point >= digits.length ? digits + "0".repeat(point - digits.length) : digits;
  const at = Math.max(point, 1);
  const integer = padded.slice(0, at).replace(/^0+(?=\d)/, "");
  const decimals = padded.slice(at);
  const text = decimals ? `${integer}.${decimals}` : integer;
  // -0 and -0.000 are zero: no sign.
  return sign && /[1-9]/.test(text) ? `-${text}` : text;
}

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

/**
 * JSON text parsed with every number as its decimal string (decimalOfJsonNumber). Throws a
 * SyntaxError for text that is not JSON, and a RangeError when the runtime does not give the
 * reviver the source text (never a silent float) or a number is out of range.
 */
export function parseWithDecimalNumbers(text: string): unknown {
  const reviver: Reviver = (_key, value, context) => {
    if (typeof value !== "number") return value;
    const source = context?.source;
    if (source === undefined) throw new RangeError("JSON.parse gave no source text for a number");
    const decimal = decimalOfJsonNumber(source);
    if (decimal === undefined) throw new RangeError("a JSON number out of range");
    return decimal;
  };
  return JSON.parse(text, reviver as Parameters<typeof JSON.parse>[1]);
}
