/**
 * `authcore/testing`: the storage conformance kit. A storage plugin's test
 * file runs every contract check with one call (the session and counter
 * cases run when the plugin offers `sessions` / `rateLimits`):
 *
 * ```ts
 * import t from 'tap'
 * import { runStorageConformance } from 'authcore/testing'
 * runStorageConformance(t, { name: 'my-store', create: () => myStore() })
 * ```
 *
 * A standalone rate-limit store runs {@link runRateLimitStoreConformance}.
 *
 * @module
 */
import type { StoragePlugin } from '../../lib/storage-types.js'
import { concurrencyCases } from './concurrency-cases.js'
import { crudCases } from './crud-cases.js'
import { newScope } from './kit-helpers.js'
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { lifecycleCases } from './lifecycle-cases.js'
import { pagingCases } from './paging-cases.js'
import { storageRateLimitCases } from './rate-limit-kit.js'
import { sessionCases } from './session-cases.js'
import { sessionRevocationCases } from './session-revocation-cases.js'
import { sessionRotationCases } from './session-rotation-cases.js'
import { stringCases } from './string-cases.js'
import { transactionCases } from './transaction-cases.js'

export type { ConformanceTest, RateLimitConformanceOptions, StorageConformanceOptions } from './kit-types.js'
export type { StoragePlugin }
export type { RateLimitStore } from '../../lib/rate-limit-types.js'
export { HOSTILE_STRINGS } from './string-cases.js'
export { runRateLimitStoreConformance } from './rate-limit-kit.js'

/**
 * Runs the storage conformance suite as subtests of `t`: every
 * {@link StoragePlugin} method (found and not-found), paging edge cases,
 * hostile and unicode strings, concurrent duplicates, transactions rolled back
 * on a fault, init() idempotence and concurrency, close(), and (with
 * `breakConnection`) a database that goes away. When the plugin offers
 * `sessions`, the session contract too (rotation, 20 concurrent rotations
 * with one winner, revocation, listing, expiry, sessions in transactions);
 * when it offers `rateLimits`, the counter suite of
 * {@link runRateLimitStoreConformance} against it. A plugin without them is
 * told so in the output. Each subtest gets a fresh plugin from
 * `options.create(scope)` and closes it afterwards.
 *
 * Returns a promise that settles when every group has run.
 *
 * @throws TypeError when `options` lacks `name` or `create`.
 */
export function runStorageConformance(t: ConformanceTest, options: StorageConformanceOptions): Promise<unknown> {
  if (options === null || typeof options !== 'object' || typeof options.create !== 'function' || typeof options.name !== 'string') {
    throw new TypeError('runStorageConformance: options.name and options.create are required')
  }
  const groups: [string, (t: ConformanceTest, o: StorageConformanceOptions) => void][] = [
    ['user operations', crudCases],
    ['paging', pagingCases],
    ['strings', stringCases],
    ['concurrency', concurrencyCases],
    ['transactions', transactionCases],
    ['lifecycle', lifecycleCases],
  ]
  const optional: [string, 'sessions' | 'rateLimits', (t: ConformanceTest, o: StorageConformanceOptions) => unknown][] = [
    ['sessions', 'sessions', (sub, o) => { sessionCases(sub, o); sessionRotationCases(sub, o); sessionRevocationCases(sub, o) }],
    ['rate limits', 'rateLimits', storageRateLimitCases],
  ]
  return Promise.all([
    ...groups.map(([label, register]) => t.test(`${options.name}: ${label}`, async (sub) => { register(sub, options) })),
    ...optional.map(([label, member, register]) => t.test(`${options.name}: ${label}`, async (sub) => {
      if (!(await offers(options, member))) {
        sub.comment(`${options.name} does not offer storage.${member}: the ${label} cases are skipped`)
        return
      }
      await register(sub, options)
    })),
  ])
}

// Whether plugins from `options.create` have `member` (probed on one that is never initialised).
async function offers(options: StorageConformanceOptions, member: 'sessions' | 'rateLimits'): Promise<boolean> {
  const scope = newScope()
  const plugin = await options.create(scope)
  try {
    return plugin[member] !== undefined
  } finally {
    await plugin.close()
    await options.destroy?.(scope)
  }
}
