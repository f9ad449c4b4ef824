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

interface Entry<Claims> extends VerifiedToken<Claims> {
  token: string;
}

export class VerifiedTokens<Claims> {
  /**
   * By signature: a lookup hashes the token's string, and each request's header is a new string, so
   * the key is the signature alone, a third of an access token. A hit still needs the whole token equal.
   */
  readonly #entries: BoundedMap<string, Entry<Claims>>;
  /** The last token looked up and its signature, whose hash a `set` of the same token reuses. */
  #lastToken = "";
  #lastSignature = "";

  constructor(maxEntries: number) {
    this.#entries = new BoundedMap(maxEntries);
  }

  /** The entry for `token` while `nowSeconds` is before its expiry. */
  get(token: string, nowSeconds: number): VerifiedToken<Claims> | undefined {
    const signature = signatureOf(token);
    this.#lastToken = token;
    this.#lastSignature = signature;
    const entry = this.#entries.get(signature);
    if (entry === undefined || entry.token !== token) return undefined;
    if (nowSeconds < entry.exp) return entry;
    this.#entries.delete(signature);
    return undefined;
  }

  set(token: string, entry: VerifiedToken<Claims>): void {
    this.#entries.set(token === this.#lastToken ? this.#lastSignature : signatureOf(token), { ...entry, token });
  }

  get size(): number {
    return this.#entries.size;
  }
}

const signatureOf = (token: string): string => token.slice(token.lastIndexOf(".") + 1);
