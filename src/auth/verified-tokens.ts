/**
 * Access tokens that passed every check, kept per verifier so that a client sending the same token
 * on every call costs a Map lookup instead of an RSA verification. Bounded, least recently used out.
 */
import { BoundedMap } from "../bounded-map";

export interface VerifiedToken<Claims> {
  claims: Claims;
  /** The key that signed it: a token whose key the pool withdrew is verified afresh. */
  kid: string;
  /** Seconds since the epoch: the entry is dropped at the token's own expiry, not a moment later. */
  exp: number;
}

export class VerifiedTokens<Claims> {
  readonly #entries: BoundedMap<string, VerifiedToken<Claims>>;

  constructor(maxEntries: number) {
    this.#entries = new BoundedMap(maxEntries);
  }

  /** The entry for `token` while `nowSeconds` is before its expiry. */
  get(token: string, nowSeconds: number): VerifiedToken<Claims> | undefined {
    const entry = this.#entries.get(token);
    if (entry && nowSeconds >= entry.exp) this.#entries.delete(token);
    return entry && nowSeconds < entry.exp ? entry : undefined;
  }

  set(token: string, entry: VerifiedToken<Claims>): void {
    this.#entries.set(token, entry);
  }

  get size(): number {
    return this.#entries.size;
  }
}
