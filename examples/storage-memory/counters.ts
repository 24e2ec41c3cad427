/**
 * The rate-limit counters: a fixed window per key. A window is open while
 * `resetAt > now`; one ending exactly at `now` has ended, so the next hit
 * opens a new one and `purge(now)` deletes it. Keys are taken literally.
 */
import { UsageError, type CounterState, type RateLimitStore } from '../../lib/index.js'
import { text } from './arguments.js'
import type { Run } from './database.js'

function milliseconds(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new UsageError(`${name} must be a finite number`)
  return Math.floor(value)
}

/** The counter operations, reaching the tables through `run`. */
export function counterStore(run: Run): RateLimitStore {
  const open = (window: CounterState | undefined, now: number) => (window !== undefined && window.resetAt > now ? window : undefined)
  return {
    async hit(key, windowSeconds, now) {
      text(key, 'hit: key')
      if (typeof windowSeconds !== 'number' || !(windowSeconds > 0) || !Number.isFinite(windowSeconds)) {
        throw new UsageError('hit: windowSeconds must be a positive number')
      }
      const at = milliseconds(now, 'hit: now')
      return run((tables) => {
        const current = open(tables.counters.get(key), at)
        const next = current === undefined
          ? { count: 1, resetAt: at + Math.max(1, Math.round(windowSeconds * 1000)) }
          : { count: current.count + 1, resetAt: current.resetAt }
        tables.counters.set(key, next)
        return { ...next }
      })
    },

    async peek(key, now) {
      text(key, 'peek: key')
      const at = milliseconds(now, 'peek: now')
      return run((tables) => {
        const current = open(tables.counters.get(key), at)
        return current === undefined ? undefined : { ...current }
      })
    },

    async reset(key) {
      text(key, 'reset: key')
      await run((tables) => tables.counters.delete(key))
    },

    async purge(now) {
      const at = milliseconds(now, 'purge: now')
      return run((tables) => {
        let count = 0
        for (const [key, window] of tables.counters) if (window.resetAt <= at && tables.counters.delete(key)) count++
        return count
      })
    },
  }
}
