const encoder = new TextEncoder();

/**
 * SECRET_HASH = base64(HMAC-SHA256(client secret, username + client id)).
 * Returns a function that imports the key once and reuses it for every call.
 */
export function secretHasher(clientId: string, clientSecret: string): (username: string) => Promise<string> {
  let key: Promise<CryptoKey> | undefined;
  return async (username) => {
    key ??= crypto.subtle.importKey("raw", encoder.encode(clientSecret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    const mac = await crypto.subtle.sign("HMAC", await key, encoder.encode(username + clientId));
    return btoa(String.fromCharCode(...new Uint8Array(mac)));
  };
}
