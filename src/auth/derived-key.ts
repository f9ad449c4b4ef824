const encoder = new TextEncoder();

/** An HMAC-SHA256 key derived (HKDF) from a server secret for one purpose alone, named by `info`. */
export async function derivedHmacKey(secret: string, info: string, usages: ("sign" | "verify")[]): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey({ name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(info) }, material, { name: "HMAC", hash: "SHA-256", length: 256 }, false, usages);
}
