/** Helpers of the RateLimitStore conformance cases: a fresh store per subtest and clock handling. */
import type { RateLimitStore } from '../../lib/index.js'
import type { ConformanceTest, RateLimitConformanceOptions } from './kit-types.js'
import { newScope } from './kit-helpers.js'

/** Runs `fn` with a fresh store; closes it (if it can be) and destroys the scope afterwards. */
export async function withStore(options: RateLimitConformanceOptions, fn: (store: RateLimitStore, scope: string) => Promise<void>): Promise<void> {
  const scope = newScope()
  let store: RateLimitStore | undefined
  try {
    store = await options.create(scope)
    await fn(store, scope)
  } finally {
    await store?.close?.()
    await options.destroy?.(scope)
  }
}

/** A fixed, made-up time for stores that honour `now`; the real time for stores with their own clock. */
export function startTime(options: RateLimitConformanceOptions): number {
  return options.ownClock === true ? Date.now() : 1_700_000_000_000
}

/** Asserts `found` is `wanted`, exactly, or within a few milliseconds for a store with its own clock. */
export function sameTime(t: ConformanceTest, options: RateLimitConformanceOptions, found: number | undefined, wanted: number, message: string): void {
  if (options.ownClock === true) {
    t.ok(found !== undefined && Math.abs(found - wanted) <= 250, `${message} (${String(found)} ≈ ${wanted})`)
  } else {
    t.equal(found, wanted, message)
  }
}
