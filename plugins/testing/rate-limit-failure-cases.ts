/** Conformance (counters): a backend that goes away, as an AuthError with the backend's error as cause. */
import type { ConformanceTest, RateLimitConformanceOptions } from './kit-types.js'
import { announceSkip, describe, hasCode, rejectsWith } from './kit-helpers.js'
import { startTime, withStore } from './rate-limit-helpers.js'

/** Registers the backend-failure subtests (skipped, saying so, without `breakConnection`). */
export function rateLimitFailureCases(t: ConformanceTest, options: RateLimitConformanceOptions): void {
  const breakConnection = options.breakConnection
  if (breakConnection === undefined) {
    announceSkip(t, `${options.name}: backend-gone cases`, 'no breakConnection given, so operations after the backend goes away were not checked')
    return
  }
  t.test('after the backend goes away every operation rejects with ERR_AUTH_STORAGE_UNAVAILABLE, the backend error as cause', (t) =>
    withStore(options, async (store, scope) => {
      const now = startTime(options)
      await store.hit('gone', 60, now)
      await breakConnection(store, scope)
      const operations: [string, () => Promise<unknown>][] = [
        ['hit', () => store.hit('gone', 60, now)],
        ['peek', () => store.peek('gone', now)],
        ['reset', () => store.reset('gone')],
      ]
      const { purge } = store
      if (purge !== undefined && options.ownClock !== true) operations.push(['purge', () => purge.call(store, now)])
      for (const [name, run] of operations) {
        const err = await rejectsWith(t, run(), 'ERR_AUTH_STORAGE_UNAVAILABLE', `rule: a backend failure is ERR_AUTH_STORAGE_UNAVAILABLE (${name})`)
        const cause = (err as { cause?: unknown } | undefined)?.cause
        t.ok(cause !== undefined && !hasCode(cause, 'ERR_AUTH_STORAGE_UNAVAILABLE'), `${name}: the backend's error is the cause (${describe(cause)})`)
      }
    }))
}
