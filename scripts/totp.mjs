// `node scripts/totp.mjs SECRET`: the 6-digit code an authenticator app shows now for a TOTP secret
// (RFC 6238: HMAC-SHA1, 30-second steps), so docs/auth.md's MFA examples run without a phone.
// A development tool: it prints the code for a secret you pasted, nothing more.
import { createHmac } from "node:crypto";
import { pathToFileURL } from "node:url";

/** RFC 4648 base32 (the alphabet of TOTP secrets), padding and case ignored. */
function base32Decode(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bytes = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text.replace(/=+$/, "").toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((buffer >>> bits) & 0xff);
    }
  }
  return Buffer.from(bytes);
}

/** The code for the 30-second step that holds `atMs` (RFC 4226 dynamic truncation). */
export function totp(secret, atMs = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 1000 / 30)));
  const mac = createHmac("sha1", base32Decode(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String(mac.readUInt32BE(offset) % 2 ** 31 % 1_000_000).padStart(6, "0");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const secret = process.argv[2];
  if (!secret) {
    console.error('usage: node scripts/totp.mjs SECRET   (the "secret" that POST /platform/mfa/totp/setup answered)');
    process.exit(2);
  }
  try {
    console.log(totp(secret));
  } catch (error) {
    console.error(`scripts/totp.mjs: ${error.message}`);
    process.exit(2);
  }
}
