import { AuthError } from '../errors.js'

/**
 * Bounds password hashing: at most `concurrency` hashes run at once and at
 * most `maxQueue` wait. Past that, a new request is refused at once with
 * `ERR_AUTH_BUSY` instead of piling up memory (argon2id holds ~19 MiB per
 * running hash) and latency during a sign-in storm.
 */
export class HashQueue {
  readonly #concurrency: number
  readonly #maxQueue: number
  #running = 0
  readonly #waiting: (() => void)[] = []

  constructor(concurrency: number, maxQueue: number) {
    this.#concurrency = concurrency
    this.#maxQueue = maxQueue
  }

  /** True when a new request would be refused with `ERR_AUTH_BUSY`. */
  get full(): boolean {
    return this.#running >= this.#concurrency && this.#waiting.length >= this.#maxQueue
  }

  /** Runs `work` when a slot is free; rejects with `ERR_AUTH_BUSY` when the queue is full. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#maxQueue) throw new AuthError('ERR_AUTH_BUSY')
      await new Promise<void>((resolve) => this.#waiting.push(resolve))
    } else {
      this.#running++
    }
    try {
      return await work()
    } finally {
      // Hand the slot straight to the next waiter, or free it.
      const next = this.#waiting.shift()
      if (next) next()
      else this.#running--
    }
  }
}
