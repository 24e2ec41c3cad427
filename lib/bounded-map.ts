/**
 * A map that holds at most about `max` entries, with constant-time inserts
 * and look-ups. Entries live in two generations: new ones go to the young
 * map; when it holds `max / 2`, it becomes the old map and the previous old
 * map is dropped whole. (Evicting one entry at a time from a single Map by
 * its first key is not constant-time in V8: deleted slots pile up in front
 * of the iterator until the table is rehashed.)
 */
export class BoundedMap<K, V> {
  readonly #half: number
  #young = new Map<K, V>()
  #old = new Map<K, V>()

  /** `max` 0 keeps nothing. */
  constructor(max: number) {
    this.#half = Math.max(0, Math.ceil(max / 2))
  }

  get(key: K): V | undefined {
    return this.#young.get(key) ?? this.#old.get(key)
  }

  set(key: K, value: V): void {
    if (this.#half === 0) return
    if (this.#young.size >= this.#half && !this.#young.has(key)) {
      this.#old = this.#young
      this.#young = new Map()
    }
    this.#old.delete(key)
    this.#young.set(key, value)
  }

  delete(key: K): void {
    this.#young.delete(key)
    this.#old.delete(key)
  }

  /** Deletes every entry whose value matches. Walks every entry: for rare events such as a revocation. */
  deleteWhere(match: (value: V) => boolean): void {
    for (const map of [this.#young, this.#old]) for (const [key, value] of map) if (match(value)) map.delete(key)
  }

  clear(): void {
    this.#young.clear()
    this.#old.clear()
  }

  get size(): number {
    return this.#young.size + this.#old.size
  }
}
