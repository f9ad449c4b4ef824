/**
 * Access tokens that passed every check, kept per verifier so that a client sending the same token
 * on every call costs a Map lookup instead of an RSA verification. Bounded, least recently used out.
 */
export interface VerifiedToken<Claims> {
  claims: Claims;
  /** The key that signed it: a token whose key the pool withdrew is verified afresh. */
  kid: string;
  /** Seconds since the epoch: the entry is dropped at the token's own expiry, not a moment later. */
  exp: number;
}

export class VerifiedTokens<Claims> {
  readonly #maxEntries: number;
  readonly #entries = new Map<string, VerifiedToken<Claims>>();

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** The entry for `token` while `nowSeconds` is before its expiry. */
  get(token: string, nowSeconds: number): VerifiedToken<Claims> | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    this.#entries.delete(token);
    if (nowSeconds >= entry.exp) return undefined;
    this.#entries.set(token, entry); // re-inserted last: Map order is recency order
    return entry;
  }

  set(token: string, entry: VerifiedToken<Claims>): void {
    if (this.#maxEntries <= 0) return;
    this.#entries.delete(token);
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(token, entry);
  }

  get size(): number {
    return this.#entries.size;
  }
}
