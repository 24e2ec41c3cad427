/**
 * A circuit breaker for one counter store. A store that is down (Redis
 * unreachable, say) fails each call only after its own timeout; a sign-in
 * makes several calls, so waiting for each in turn would add seconds to
 * every request. After one failure the breaker opens: calls fail at once,
 * without touching the store, for `cooldownMs`. Then one call is let through
 * as a probe; its success closes the breaker, its failure opens it again.
 */
export class Breaker {
  readonly #cooldownMs: number
  readonly #now: () => number
  #openUntil = 0

  /** @param cooldownMs How long calls fail fast after a failure. */
  constructor(cooldownMs: number, now: () => number) {
    this.#cooldownMs = cooldownMs
    this.#now = now
  }

  /**
   * Whether a call may go to the store now. While open, no. Once the
   * cooldown has passed, yes for one call (the probe): the breaker stays
   * open for everyone else until that call reports back, or for another
   * cooldown should it never report.
   */
  allow(): boolean {
    if (this.#openUntil === 0) return true
    const now = this.#now()
    if (now < this.#openUntil) return false
    this.#openUntil = now + this.#cooldownMs
    return true
  }

  /** The store answered: close. */
  succeeded(): void {
    this.#openUntil = 0
  }

  /** The store failed: open for a cooldown. */
  failed(): void {
    this.#openUntil = this.#now() + this.#cooldownMs
  }
}
