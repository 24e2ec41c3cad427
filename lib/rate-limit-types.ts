/**
 * Counters for rate limiting and lockout. A store keeps one counter per key
 * in a fixed window: the first hit opens a window of `windowSeconds`; hits
 * inside it add up; the first hit after it ends opens a new one at 1. Every
 * operation is atomic, so instances sharing a store share one limit.
 *
 * Implementations: in-memory (one process), the storage plugins' own tables
 * (`storage.rateLimits`), and `authcore/rate-limit/redis`.
 */

/** A counter as it stands after a hit. */
export interface CounterState {
  /** Hits in the current window, this one included. */
  readonly count: number
  /** When the current window ends, in milliseconds since the epoch. */
  readonly resetAt: number
}

/** Atomic windowed counters. */
export interface RateLimitStore {
  /** Adds one to `key` in its current window (opening one of `windowSeconds` if none is open at `now`) and returns the new state. */
  hit(key: string, windowSeconds: number, now: number): Promise<CounterState>
  /** The counter's state at `now` without changing it; undefined when no window is open. */
  peek(key: string, now: number): Promise<CounterState | undefined>
  /** Forgets `key` (a successful sign-in, an admin unlock). */
  reset(key: string): Promise<void>
  /** Deletes windows that ended at or before `now` (`resetAt <= now`; a no-op where the backend expires keys itself); returns how many, when known. */
  purge?(now: number): Promise<number>
  /** Releases what the store opened (not a client the user passed in). */
  close?(): Promise<void>
}

/** Names of the counter operations every {@link RateLimitStore} must have (`purge` and `close` are optional). */
export const REQUIRED_RATE_LIMIT_OPERATIONS = ['hit', 'peek', 'reset'] as const satisfies readonly (keyof RateLimitStore)[]
