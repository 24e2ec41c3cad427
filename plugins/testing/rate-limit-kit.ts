/** The RateLimitStore conformance suite, and its run against a storage plugin's `rateLimits`. */
import type { StoragePlugin } from '../../lib/index.js'
import type { ConformanceTest, RateLimitConformanceOptions, StorageConformanceOptions } from './kit-types.js'
import { groupTests, kitOptionsCheck } from './kit-helpers.js'
import { rateLimitCases } from './rate-limit-cases.js'
import { rateLimitConcurrencyCases } from './rate-limit-concurrency-cases.js'

const checkOptions = kitOptionsCheck('runRateLimitStoreConformance')

/**
 * Runs the counter conformance suite as subtests of `t`: the first hit opens
 * a window at 1 ending `now + window`; hits add up; a hit after the window
 * starts again at 1; `peek` reads without changing; `reset` forgets; `purge`
 * (when the store has it) drops only ended windows; 100 concurrent hits on
 * one key return exactly 1..100; keys are independent and taken literally
 * (SQL metacharacters, unicode, 1000 characters); misuse is a `TypeError`.
 * Each subtest gets a fresh store from `options.create(scope)`.
 *
 * @example
 * ```ts
 * import t from 'tap'
 * import { runRateLimitStoreConformance } from 'authcore/testing'
 * runRateLimitStoreConformance(t, { name: 'memory', create: () => new MemoryRateLimitStore() })
 * ```
 * @throws UsageError when `options` lacks `name` or `create`.
 */
export function runRateLimitStoreConformance(t: ConformanceTest, options: RateLimitConformanceOptions): Promise<unknown> {
  checkOptions(options)
  const groups: [string, (t: ConformanceTest, o: RateLimitConformanceOptions) => void][] = [
    ['counter windows', rateLimitCases],
    ['counter concurrency and keys', rateLimitConcurrencyCases],
  ]
  return Promise.all(groupTests(t, options, groups))
}

/** Runs the counter suite against `storage.rateLimits` of plugins from `options.create` (each initialised first). */
export function storageRateLimitCases(t: ConformanceTest, options: StorageConformanceOptions): Promise<unknown> {
  const plugins = new Map<string, StoragePlugin>()
  return runRateLimitStoreConformance(t, {
    name: `${options.name} storage.rateLimits`,
    async create(scope) {
      const plugin = await options.create(scope)
      plugins.set(scope, plugin)
      await plugin.init()
      if (plugin.rateLimits === undefined) throw new Error('the plugin offered rateLimits when probed, but this instance has none')
      return plugin.rateLimits
    },
    async destroy(scope) {
      await plugins.get(scope)?.close()
      plugins.delete(scope)
      await options.destroy?.(scope)
    },
  })
}
