/** A map that keeps its `limit` most recently used entries (0 keeps none); the least recently used is dropped first. */
export class RecentlyUsed<V> {
  readonly #entries = new Map<string, V>();

  constructor(readonly limit: number) {}

  get(key: string): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) return undefined;
    // Most recently used last: the first key is the one to drop.
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.limit) break;
      this.#entries.delete(oldest);
    }
  }

  /** The keys kept, least recently used first. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }
}
