/** The RateLimitStore conformance suite, and its run against a storage plugin's `rateLimits`. */
import { REQUIRED_RATE_LIMIT_OPERATIONS, type RateLimitStore, type StoragePlugin } from '../../lib/index.js'
import type { ConformanceTest, RateLimitConformanceOptions, StorageConformanceOptions } from './kit-types.js'
import { groupTests, kitOptionsCheck, newScope } from './kit-helpers.js'
import { rateLimitCases } from './rate-limit-cases.js'
import { rateLimitConcurrencyCases } from './rate-limit-concurrency-cases.js'
import { rateLimitFailureCases } from './rate-limit-failure-cases.js'

const checkOptions = kitOptionsCheck('runRateLimitStoreConformance')

/**
 * Runs the counter conformance suite as subtests of `t`: the first hit opens
 * a window at 1 ending `now + window`; hits add up; a hit after the window
 * starts again at 1; `peek` reads without changing; `reset` forgets; `purge`
 * (when the store has it) drops only ended windows, one ending exactly at
 * `now` included; 100 concurrent hits on one key return exactly 1..100;
 * keys are independent and taken literally (SQL metacharacters, unicode,
 * 1000 characters); misuse is a `TypeError`; and, with `breakConnection`,
 * a backend that goes away is `ERR_AUTH_STORAGE_UNAVAILABLE` with its error
 * as `cause`. A store without `hit`, `peek` or `reset` fails one check
 * saying so, and the rest is skipped. Each subtest gets a fresh store from
 * `options.create(scope)`.
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
  let inspected: Promise<string[]> | undefined
  const missing = () => (inspected ??= missingCounterOperations(options))
  return Promise.all([
    ...groupTests(t, options, [['counter operations', (sub) => sub.test('hit, peek and reset are there', async (t) => {
      const lacking = await missing()
      // As new AuthCore() words it for such a rateLimit.store.
      t.same(lacking, [], lacking.length === 0 ? 'the store is whole' : `ERR_AUTH_OPTIONS_INVALID: rateLimit.store lacks ${lacking.join(', ')}`)
    })]]),
    ...counterGroups(t, options, async () => ((await missing()).length > 0 ? 'the store lacks an operation (see counter operations)' : undefined)),
  ])
}

// The counter suite's groups, run when `gate` answers no reason to skip them.
function counterGroups(t: ConformanceTest, options: RateLimitConformanceOptions, gate?: () => Promise<string | undefined>): unknown[] {
  const groups: [string, (t: ConformanceTest, o: RateLimitConformanceOptions) => void][] = [
    ['counter windows', rateLimitCases],
    ['counter concurrency and keys', rateLimitConcurrencyCases],
    ['counter backend failures', rateLimitFailureCases],
  ]
  return groupTests(t, options, groups, gate)
}

// The counter operations a store made by `options.create` lacks.
async function missingCounterOperations(options: RateLimitConformanceOptions): Promise<string[]> {
  const scope = newScope()
  const store = await options.create(scope)
  try {
    return REQUIRED_RATE_LIMIT_OPERATIONS.filter((op) => typeof (store as unknown as Record<string, unknown>)[op] !== 'function')
  } finally {
    await store.close?.()
    await options.destroy?.(scope)
  }
}

/**
 * Runs the counter suite against `storage.rateLimits` of plugins from
 * `options.create` (each initialised first); the storage kit's shape check
 * has found its operations already.
 */
export function storageRateLimitCases(t: ConformanceTest, options: StorageConformanceOptions): Promise<unknown> {
  const plugins = new Map<string, StoragePlugin>()
  const { breakConnection } = options
  return Promise.all(counterGroups(t, {
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
    ...(breakConnection === undefined ? {} : { breakConnection: (_store: RateLimitStore, scope: string) => breakConnection(plugins.get(scope)!, scope) }),
  }))
}
