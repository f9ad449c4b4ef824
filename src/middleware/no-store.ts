/** Token and identity responses must never sit in a browser or proxy cache (RFC 6749 section 5.1). */
export function setNoStore(headers: Headers): void {
  headers.set("cache-control", "no-store");
  headers.set("pragma", "no-cache");
}
