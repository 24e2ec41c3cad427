/**
 * The default {@link RateLimitStore}: counters in this process's memory.
 * Bounded: at most `maxKeys` windows are kept; when full, windows that have
 * ended make room, and if none has, a new key is refused (the limiter then
 * fails closed) rather than evicting a live window such as a lockout. No
 * timers, so it never keeps the process alive; ended windows are dropped
 * lazily (on access, when full, or by `purge`).
 */
import type { CounterState, RateLimitStore } from '../rate-limit-types.js'

/** Options of {@link MemoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /** Most windows kept at once (a positive integer). Default 100 000 (some tens of MB at most). */
  maxKeys?: number
}

interface Window {
  count: number
  resetAt: number
}

/**
 * Fixed-window counters in memory, for a single process. Every operation is
 * synchronous under the hood, hence atomic. Several processes or hosts each
 * count on their own: share a limit with `storage.rateLimits` or
 * `authcore/rate-limit/redis` instead.
 *
 * @example
 * ```ts
 * const store = new MemoryRateLimitStore({ maxKeys: 10_000 })
 * const { count, resetAt } = await store.hit('signin:ip:203.0.113.7', 60, Date.now())
 * ```
 */
export class MemoryRateLimitStore implements RateLimitStore {
  /** The bound given (or the default). */
  readonly maxKeys: number
  // Insertion order is window-opening order: the first entry is the oldest window.
  readonly #windows = new Map<string, Window>()
  // No window ends before this instant, so a sweep before it would find nothing.
  #nextEnd = Number.POSITIVE_INFINITY

  /** @throws TypeError when `maxKeys` is not a positive integer. */
  constructor(options: MemoryRateLimitStoreOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('MemoryRateLimitStore: options must be an object')
    const { maxKeys = 100_000 } = options
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 1) throw new TypeError('MemoryRateLimitStore: options.maxKeys must be a positive integer')
    this.maxKeys = maxKeys
  }

  /** Windows currently held (ended ones included until they are dropped). */
  get size(): number {
    return this.#windows.size
  }

  /** Adds one to `key`'s open window, or opens a window of `windowSeconds` at 1. */
  async hit(key: string, windowSeconds: number, now: number): Promise<CounterState> {
    checkKey(key, 'hit')
    const windowMs = checkWindow(windowSeconds)
    const at = checkNow(now, 'hit')
    const open = this.#windows.get(key)
    if (open !== undefined && open.resetAt > at) {
      open.count++
      return { count: open.count, resetAt: open.resetAt }
    }
    // A new window: re-inserted so the map stays in window-opening order.
    if (open !== undefined) this.#windows.delete(key)
    else if (this.#windows.size >= this.maxKeys) this.#makeRoom(at)
    const window = { count: 1, resetAt: at + windowMs }
    this.#windows.set(key, window)
    if (window.resetAt < this.#nextEnd) this.#nextEnd = window.resetAt
    return { count: 1, resetAt: window.resetAt }
  }

  /** `key`'s open window at `now`, unchanged; undefined when none is open. */
  async peek(key: string, now: number): Promise<CounterState | undefined> {
    checkKey(key, 'peek')
    const at = checkNow(now, 'peek')
    const open = this.#windows.get(key)
    return open !== undefined && open.resetAt > at ? { count: open.count, resetAt: open.resetAt } : undefined
  }

  /** Forgets `key`. */
  async reset(key: string): Promise<void> {
    checkKey(key, 'reset')
    this.#windows.delete(key)
  }

  /** Drops the windows that ended at or before `now`; returns how many. */
  async purge(now: number): Promise<number> {
    return this.#sweep(checkNow(now, 'purge'))
  }

  /** Drops every window. */
  async close(): Promise<void> {
    this.#windows.clear()
    this.#nextEnd = Number.POSITIVE_INFINITY
  }

  // Full: drop ended windows (only when one can have ended since the last
  // sweep, so a full map of open windows costs O(1) per hit). A live window is
  // never evicted: dropping the oldest would let a flood of new keys wipe an
  // account's lockout. Refusing instead makes the limiter fail closed.
  #makeRoom(now: number): void {
    if (this.#nextEnd <= now && this.#sweep(now) > 0) return
    throw new Error(`MemoryRateLimitStore is full: ${this.maxKeys} windows are open`)
  }

  #sweep(now: number): number {
    let removed = 0
    let nextEnd = Number.POSITIVE_INFINITY
    for (const [key, window] of this.#windows) {
      if (window.resetAt <= now) {
        this.#windows.delete(key)
        removed++
      } else if (window.resetAt < nextEnd) {
        nextEnd = window.resetAt
      }
    }
    this.#nextEnd = nextEnd
    return removed
  }
}

function checkKey(key: unknown, method: string): asserts key is string {
  if (typeof key !== 'string') throw new TypeError(`MemoryRateLimitStore.${method}: key must be a string`)
}

function checkNow(now: unknown, method: string): number {
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new TypeError(`MemoryRateLimitStore.${method}: now must be a finite number (milliseconds since the epoch)`)
  }
  return Math.floor(now)
}

function checkWindow(windowSeconds: unknown): number {
  if (typeof windowSeconds !== 'number' || !Number.isFinite(windowSeconds) || windowSeconds <= 0) {
    throw new TypeError('MemoryRateLimitStore.hit: windowSeconds must be a positive number')
  }
  return Math.max(1, Math.round(windowSeconds * 1000))
}
