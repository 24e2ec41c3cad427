import { BoundedMap } from '../bounded-map.js'

/**
 * Token versions read from storage for strict verification, kept for a short
 * time so a burst of requests from one user costs one read. Entries are
 * dropped at once when this instance changes the user; other instances see
 * the change when their entry ages out (`strictVerifyCacheTtl`).
 */
export class TokenVersionCache {
  readonly #ttlMs: number
  readonly #entries: BoundedMap<string, { version: number | undefined; until: number }>

  constructor(ttlSeconds: number, max = 10_000) {
    this.#ttlMs = ttlSeconds * 1000
    this.#entries = new BoundedMap(max)
  }

  /** The cached version (undefined for a user that is gone or disabled), or `miss`. */
  get(userId: string, now: number): number | undefined | 'miss' {
    const entry = this.#entries.get(userId)
    if (!entry) return 'miss'
    if (now < entry.until) return entry.version
    this.#entries.delete(userId)
    return 'miss'
  }

  /** Remembers a user's version; undefined marks a user that may not hold tokens. */
  set(userId: string, version: number | undefined, now: number): void {
    if (this.#ttlMs === 0) return
    this.#entries.set(userId, { version, until: now + this.#ttlMs })
  }

  /** Forgets a user (this instance just changed them). */
  delete(userId: string): void {
    this.#entries.delete(userId)
  }
}
