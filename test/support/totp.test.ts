import { describe, expect, it } from "vitest";
import { base32Decode, totp, wrongTotp } from "./totp";

// RFC 6238 appendix B, SHA-1 rows: the secret "12345678901234567890", codes cut to 6 digits.
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

describe("the tests' TOTP", () => {
  it("decodes base32", () => {
    expect(new TextDecoder().decode(base32Decode(RFC_SECRET))).toBe("12345678901234567890");
  });

  it("gives RFC 6238's codes", async () => {
    expect(await totp(RFC_SECRET, 59_000)).toBe("287082");
    expect(await totp(RFC_SECRET, 1_111_111_109_000)).toBe("081804");
    expect(await totp(RFC_SECRET, 1_234_567_890_000)).toBe("005924");
    expect(await totp(RFC_SECRET, 20_000_000_000_000)).toBe("353130");
  });

  it("finds a code that no step around now accepts", async () => {
    const wrong = await wrongTotp(RFC_SECRET);
    for (const shift of [-30_000, 0, 30_000]) expect(wrong).not.toBe(await totp(RFC_SECRET, Date.now() + shift));
  });
});
