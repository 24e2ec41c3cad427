/**
 * The default {@link RateLimitStore}: counters in this process's memory.
 *
 * Bounded: at most `maxKeys` windows are kept. A full store never refuses a
 * key (a refusal would turn into a site-wide 503 for every new client, which
 * a flood of cheap junk from many addresses could cause at will). It makes
 * room instead, giving up first what matters least:
 *
 * 1. windows that have ended (found by a sweep, at most once per `maxKeys`
 *    new windows, so the cost per hit stays constant on average);
 * 2. otherwise the window with the fewest hits, the oldest of those first.
 *
 * Windows are kept in tiers by hit count (1, 2-3, 4-7, 8-15, 16+). A window
 * seen once carries almost nothing: forgetting it lets one key make one more
 * request. Windows that hold a refusal (an address over its limit, an
 * account locked after many failures) sit in the high tiers, so pushing them
 * out takes a store full of windows at least that busy, each of which cost
 * the attacker as many requests. No timers, so it never keeps the process
 * alive.
 */
import type { CounterState, RateLimitStore } from '../rate-limit-types.js'
import { UsageError } from '../errors.js'
import { optionsCheck } from '../schema.js'

/** Options of {@link MemoryRateLimitStore}. */
export interface MemoryRateLimitStoreOptions {
  /** Most windows kept at once (a positive integer). Default 100 000 (some tens of MB at most). */
  maxKeys?: number
}

const checkOptions = optionsCheck({
  type: 'object',
  additionalProperties: false,
  properties: { maxKeys: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, description: 'a positive whole number' } },
}, 'MemoryRateLimitStore')

interface Window {
  readonly key: string
  count: number
  resetAt: number
  tier: number
}

/**
 * A tier's windows in order of arrival, as a queue with lazy deletion: a
 * window that left the tier (promoted, reset, ended, evicted) stays in the
 * array until it reaches the head, where it is skipped. Every window enters
 * a tier at most once, so taking the oldest live one costs O(1) on average.
 * (A Map's first entry is not O(1) in V8 after many deletions: deleted slots
 * pile up in front of the iterator until the table is rehashed.)
 */
class TierQueue {
  #items: Window[] = []
  #head = 0

  push(window: Window): void {
    this.#items.push(window)
  }

  /** Removes and returns the oldest window still in `tier` (per `live`), or undefined. */
  shift(live: (window: Window) => boolean): Window | undefined {
    while (this.#head < this.#items.length) {
      const window = this.#items[this.#head++]!
      if (live(window)) {
        this.#compact()
        return window
      }
    }
    this.clear()
    return undefined
  }

  /** Drops the entries that are no longer live, when they outnumber the rest. */
  prune(live: (window: Window) => boolean, bound: number): void {
    if (this.#items.length - this.#head <= bound) return
    this.#items = this.#items.slice(this.#head).filter(live)
    this.#head = 0
  }

  clear(): void {
    this.#items = []
    this.#head = 0
  }

  // Slide the live part down once the consumed prefix is the larger half.
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
  }
}

/** Tier of a count: 0 for 1, 1 for 2-3, 2 for 4-7, 3 for 8-15, 4 for 16 and more. */
const TIERS = 5
const tierOf = (count: number) => Math.min(TIERS - 1, 31 - Math.clz32(count))

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
  readonly #windows = new Map<string, Window>()
  // One queue per tier, in order of arrival in that tier: the oldest live
  // window of the lowest non-empty tier is the next to go when the store is full.
  readonly #tiers: TierQueue[] = Array.from({ length: TIERS }, () => new TierQueue())
  // No window ends before this instant, so a sweep before it would find nothing.
  #nextEnd = Number.POSITIVE_INFINITY
  // New windows opened since the last sweep: sweeps are paid for by as many inserts.
  #sinceSweep = 0
  #evicted = 0

  /** @throws UsageError when `maxKeys` is not a positive integer. */
  constructor(options: MemoryRateLimitStoreOptions = {}) {
    checkOptions(options)
    const { maxKeys = 100_000 } = options
    this.maxKeys = maxKeys
    this.#sinceSweep = maxKeys
  }

  /** Windows currently held (ended ones included until they are dropped). */
  get size(): number {
    return this.#windows.size
  }

  /** Live windows given up to make room since the store was created (ended ones dropped are not counted). */
  get evicted(): number {
    return this.#evicted
  }

  /** Adds one to `key`'s open window, or opens a window of `windowSeconds` at 1. */
  async hit(key: string, windowSeconds: number, now: number): Promise<CounterState> {
    checkKey(key, 'hit')
    const windowMs = checkWindow(windowSeconds)
    const at = checkNow(now, 'hit')
    const open = this.#windows.get(key)
    if (open !== undefined && open.resetAt > at) {
      open.count++
      const tier = tierOf(open.count)
      if (tier !== open.tier) {
        // Its entry in the old tier's queue goes stale and is skipped there.
        open.tier = tier
        this.#enqueue(open)
      }
      return { count: open.count, resetAt: open.resetAt }
    }
    if (open !== undefined) this.#remove(key, open)
    else if (this.#windows.size >= this.maxKeys) this.#makeRoom(at)
    const window: Window = { key, count: 1, resetAt: at + windowMs, tier: 0 }
    this.#windows.set(key, window)
    this.#enqueue(window)
    this.#sinceSweep++
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
    const open = this.#windows.get(key)
    if (open !== undefined) this.#remove(key, open)
  }

  /** Drops the windows that ended at or before `now`; returns how many. */
  async purge(now: number): Promise<number> {
    return this.#sweep(checkNow(now, 'purge'))
  }

  /** Drops every window. */
  async close(): Promise<void> {
    this.#windows.clear()
    for (const queue of this.#tiers) queue.clear()
    this.#nextEnd = Number.POSITIVE_INFINITY
  }

  // Full: drop ended windows if one can have ended and a sweep has been paid
  // for; if that frees nothing, give up the least-hit, oldest live window.
  #makeRoom(now: number): void {
    if (this.#nextEnd <= now && this.#sinceSweep >= this.maxKeys && this.#sweep(now) > 0) return
    for (let tier = 0; tier < TIERS; tier++) {
      const window = this.#tiers[tier]!.shift((w) => w.tier === tier && this.#windows.get(w.key) === w)
      if (window === undefined) continue
      this.#remove(window.key, window)
      if (window.resetAt > now) this.#evicted++
      return
    }
  }

  #enqueue(window: Window): void {
    const queue = this.#tiers[window.tier]!
    queue.push(window)
    // Stale entries never outnumber live windows by much: memory stays bounded by maxKeys.
    queue.prune((w) => w.tier === window.tier && this.#windows.get(w.key) === w, 2 * this.maxKeys)
  }

  #remove(key: string, window: Window): void {
    // Only the index: the window's queue entry goes stale and is skipped when reached.
    if (this.#windows.get(key) === window) this.#windows.delete(key)
  }

  #sweep(now: number): number {
    this.#sinceSweep = 0
    let removed = 0
    let nextEnd = Number.POSITIVE_INFINITY
    for (const [key, window] of this.#windows) {
      if (window.resetAt <= now) {
        this.#remove(key, window)
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
  if (typeof key !== 'string') throw new UsageError(`MemoryRateLimitStore.${method}: key must be a string`)
}

function checkNow(now: unknown, method: string): number {
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new UsageError(`MemoryRateLimitStore.${method}: now must be a finite number (milliseconds since the epoch)`)
  }
  return Math.floor(now)
}

function checkWindow(windowSeconds: unknown): number {
  if (typeof windowSeconds !== 'number' || !Number.isFinite(windowSeconds) || windowSeconds <= 0) {
    throw new UsageError('MemoryRateLimitStore.hit: windowSeconds must be a positive number')
  }
  return Math.max(1, Math.round(windowSeconds * 1000))
}
