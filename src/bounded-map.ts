/**
 * A Map of at most `maxEntries`, least recently used out first: what an isolate keeps per request
 * pattern (verified tokens, user profiles) stays bounded however many distinct keys arrive.
 *
 * Recency is a list through the entries, not the Map's insertion order: re-inserting a key on each
 * read leaves a deleted slot in that key's hash chain every time, so a key read over and over (one
 * client's token on every request) got slower with each read until V8 rebuilt the table (16 us a
 * read at 5,000 entries in bench/). A read here moves two links and leaves the Map alone.
 */
interface Entry<K, V> {
  key: K;
  value: V;
  older: Entry<K, V> | undefined;
  newer: Entry<K, V> | undefined;
}

export class BoundedMap<K, V> {
  readonly #maxEntries: number;
  readonly #entries = new Map<K, Entry<K, V>>();
  #oldest: Entry<K, V> | undefined;
  #newest: Entry<K, V> | undefined;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  /** The value, now the most recently used. */
  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#unlink(entry);
    this.#linkNewest(entry);
    return entry.value;
  }

  /** Sets the value; a new key past the bound evicts the least recently used one (replacing a key evicts nothing). */
  set(key: K, value: V): void {
    if (this.#maxEntries <= 0) return;
    const existing = this.#entries.get(key);
    if (existing !== undefined) {
      existing.value = value;
      this.#unlink(existing);
      this.#linkNewest(existing);
      return;
    }
    if (this.#entries.size >= this.#maxEntries && this.#oldest !== undefined) this.delete(this.#oldest.key);
    const entry: Entry<K, V> = { key, value, older: undefined, newer: undefined };
    this.#linkNewest(entry);
    this.#entries.set(key, entry);
  }

  delete(key: K): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#unlink(entry);
    this.#entries.delete(key);
  }

  /** Drops every entry `matches` selects. */
  deleteWhere(matches: (value: V, key: K) => boolean): void {
    for (const [key, entry] of this.#entries) if (matches(entry.value, key)) this.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  #unlink(entry: Entry<K, V>): void {
    if (entry.older) entry.older.newer = entry.newer;
    else this.#oldest = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.#newest = entry.older;
    entry.older = entry.newer = undefined;
  }

  #linkNewest(entry: Entry<K, V>): void {
    entry.older = this.#newest;
    if (this.#newest) this.#newest.newer = entry;
    else this.#oldest = entry;
    this.#newest = entry;
  }
}
