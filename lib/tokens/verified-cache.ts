import { BoundedMap } from '../bounded-map.js'
import type { AccessClaims } from './claims.js'

/**
 * Remembers tokens that verified, keyed by the exact token string, so a token
 * presented again skips the signature check. Bounded, with constant-time
 * eviction of the oldest entries. An entry is never served at or after its
 * token's `exp`, whatever the clock tolerance, so the cache can only be
 * stricter than a full verify.
 */
export class VerifiedTokenCache {
  // The frozen claims are the entry: their `exp` says when it stops being served.
  readonly #entries: BoundedMap<string, AccessClaims>

  constructor(max: number) {
    this.#entries = new BoundedMap(max)
  }

  /** The claims for `token` if it verified before and has not expired at `now` (ms). */
  get(token: string, now: number): AccessClaims | undefined {
    const claims = this.#entries.get(token)
    if (claims === undefined) return undefined
    if (now < claims.exp * 1000) return claims
    this.#entries.delete(token)
    return undefined
  }

  /** Remembers a verified token until its `exp`. */
  set(token: string, claims: AccessClaims): void {
    this.#entries.set(token, claims)
  }

  /** Forgets every token whose claims match, for example all of one user's tokens. */
  deleteWhere(match: (claims: AccessClaims) => boolean): void {
    this.#entries.deleteWhere(match)
  }

  /** Forgets everything (used when the set of trusted keys changes). */
  clear(): void {
    this.#entries.clear()
  }

  /** How many tokens are remembered. */
  get size(): number {
    return this.#entries.size
  }
}
