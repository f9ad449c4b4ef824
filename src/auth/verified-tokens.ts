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
   * By the token's last KEY_LENGTH characters, all of them signature: a lookup hashes its key, and
   * each request's header is a new string, so a short key is hashed in a fraction of the time of the
   * whole signature (342 characters under RS256), which a token seen for the first time pays for
   * nothing. A hit still needs the whole token equal, so two tokens sharing an end only cost a verification.
   */
  readonly #entries: BoundedMap<string, Entry<Claims>>;

  constructor(maxEntries: number) {
    this.#entries = new BoundedMap(maxEntries);
  }

  /** The entry for `token` while `nowSeconds` is before its expiry. */
  get(token: string, nowSeconds: number): VerifiedToken<Claims> | undefined {
    const key = keyOf(token);
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.token !== token) return undefined;
    if (nowSeconds < entry.exp) return entry;
    this.#entries.delete(key);
    return undefined;
  }

  set(token: string, { claims, kid, exp }: VerifiedToken<Claims>): void {
    this.#entries.set(keyOf(token), { claims, kid, exp, token });
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** 24 base64url characters: 144 bits of an RSA signature, which no two tokens share by chance. */
const KEY_LENGTH = 24;

const keyOf = (token: string): string => token.slice(-KEY_LENGTH);
