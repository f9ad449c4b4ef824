/**
 * A Map of at most `maxEntries`, least recently used out first: what an isolate keeps per request
 * pattern (verified tokens, user profiles) stays bounded however many distinct keys arrive.
 * Map iteration order is insertion order, so re-inserting on use keeps it in recency order.
 */
export class BoundedMap<K, V> {
  readonly #maxEntries: number;
  readonly #entries = new Map<K, V>();

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** The value, now the most recently used. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  /** Sets the value; a new key past the bound evicts the least recently used one (replacing a key evicts nothing). */
  set(key: K, value: V): void {
    if (this.#maxEntries <= 0) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, value);
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  /** Drops every entry `matches` selects. */
  deleteWhere(matches: (value: V, key: K) => boolean): void {
    for (const [key, value] of this.#entries) if (matches(value, key)) this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }
}
