/**
 * A circuit breaker for one counter store. A store that is down (Redis
 * unreachable, say) fails each call only after its own timeout; if every
 * request waited for that, a sustained outage would hold every request for
 * seconds. After `threshold` failures in a row the breaker opens: calls are
 * refused at once, without touching the store, for `cooldownMs`. Then one
 * call is let through as a probe; the probe's own result closes the breaker
 * or opens it for another cooldown. A single failure (a blip) opens nothing.
 */

/** Permission for one call, to be reported back with {@link Breaker.report}. */
export interface Ticket {
  /** Whether this call is the probe of an open breaker. */
  readonly probe: boolean
  /** The breaker's generation when the call started: reports from older generations are ignored. */
  readonly generation: number
}

/** The breaker of one counter store: closed, open (calls refused), or open with one probe out. */
export class Breaker {
  readonly #threshold: number
  readonly #cooldownMs: number
  readonly #now: () => number
  #failures = 0
  // 0 while closed; otherwise when the next probe may go.
  #openUntil = 0
  // Bumped whenever the breaker opens or closes, so late answers to calls
  // started in an earlier state cannot flip the current one.
  #generation = 0

  /**
   * @param threshold Failures in a row that open the breaker.
   * @param cooldownMs How long calls are refused before a probe.
   */
  constructor(threshold: number, cooldownMs: number, now: () => number) {
    this.#threshold = threshold
    this.#cooldownMs = cooldownMs
    this.#now = now
  }

  /** Whether the breaker is open now (calls refused, a probe pending or due). */
  get open(): boolean {
    return this.#openUntil !== 0
  }

  /**
   * A ticket when a call may go to the store now, else undefined. Closed:
   * always. Open: none until the cooldown has passed, then one probe; the
   * next probe may go only a cooldown later, should this one never report.
   */
  allow(): Ticket | undefined {
    if (this.#openUntil === 0) return { probe: false, generation: this.#generation }
    const now = this.#now()
    if (now < this.#openUntil) return undefined
    this.#openUntil = now + this.#cooldownMs
    return { probe: true, generation: this.#generation }
  }

  /** Reports how a call with `ticket` ended. */
  report(ticket: Ticket, ok: boolean): void {
    if (ticket.generation !== this.#generation) return
    if (this.#openUntil !== 0) {
      // Open: only the probe decides.
      if (!ticket.probe) return
      if (ok) this.#close()
      else this.#openUntil = this.#now() + this.#cooldownMs
      return
    }
    if (ok) {
      this.#failures = 0
    } else if (++this.#failures >= this.#threshold) {
      this.#openUntil = this.#now() + this.#cooldownMs
      this.#generation++
    }
  }

  #close(): void {
    this.#failures = 0
    this.#openUntil = 0
    this.#generation++
  }
}
