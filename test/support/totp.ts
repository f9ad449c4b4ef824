// RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s steps), as authenticator apps compute it: the tests derive
// codes from the secret the API returns, as a user's phone would.

/** RFC 4648 base32 (the alphabet of TOTP secrets), padding and case ignored. */
export function base32Decode(text: string): Uint8Array {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bytes: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text.replace(/=+$/, "").toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    buffer = (buffer << 5) | value;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >>> bits) & 0xff);
    }
  }
  return new Uint8Array(bytes);
}

/** The code for the 30-second step that holds `atMs` (RFC 4226 dynamic truncation). */
export async function totp(secret: string, atMs = Date.now()): Promise<string> {
  const key = await crypto.subtle.importKey("raw", base32Decode(secret), { name: "HMAC", hash: "SHA-1" }, false, ["sign"]);
  const counter = new DataView(new ArrayBuffer(8));
  counter.setBigUint64(0, BigInt(Math.floor(atMs / 1000 / 30)));
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, counter.buffer));
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return String(binary % 1_000_000).padStart(6, "0");
}

/** A 6-digit code that is not the right one now, nor for the steps either side (which verifiers accept). */
export async function wrongTotp(secret: string): Promise<string> {
  const near = await Promise.all([-30_000, 0, 30_000].map((shift) => totp(secret, Date.now() + shift)));
  let code = "000000";
  while (near.includes(code)) code = String(Number(code) + 1).padStart(6, "0");
  return code;
}
