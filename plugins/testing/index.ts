/**
 * `authcore/testing`: the storage conformance kit. A storage plugin's test
 * file runs every contract check with one call:
 *
 * ```ts
 * import t from 'tap'
 * import { runStorageConformance } from 'authcore/testing'
 * runStorageConformance(t, { name: 'my-store', create: () => myStore() })
 * ```
 *
 * @module
 */
import type { StoragePlugin } from '../../lib/storage-types.js'
import { concurrencyCases } from './concurrency-cases.js'
import { crudCases } from './crud-cases.js'
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { lifecycleCases } from './lifecycle-cases.js'
import { pagingCases } from './paging-cases.js'
import { stringCases } from './string-cases.js'
import { transactionCases } from './transaction-cases.js'

export type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
export type { StoragePlugin }
export { HOSTILE_STRINGS } from './string-cases.js'

/**
 * Runs the storage conformance suite as subtests of `t`: every
 * {@link StoragePlugin} method (found and not-found), paging edge cases,
 * hostile and unicode strings, concurrent duplicates, transactions rolled back
 * on a fault, init() idempotence and concurrency, close(), and (with
 * `breakConnection`) a database that goes away. Each subtest gets a fresh
 * plugin from `options.create(scope)` and closes it afterwards.
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
  return Promise.all(groups.map(([label, register]) => t.test(`${options.name}: ${label}`, async (sub) => { register(sub, options) })))
}
