/**
 * `authcore/testing`: the storage conformance kit. A storage plugin's test
 * file runs every contract check with one call (the session, counter,
 * one-time-token and credential cases run when the plugin offers
 * `sessions` / `rateLimits` / `oneTimeTokens` / `credentials`):
 *
 * ```ts
 * import t from 'tap'
 * import { runStorageConformance } from 'authcore/testing'
 * runStorageConformance(t, { name: 'my-store', create: () => myStore() })
 * ```
 *
 * A standalone rate-limit store runs {@link runRateLimitStoreConformance}.
 *
 * For tests of mail flows, {@link memoryMailer} records messages instead of
 * sending them.
 *
 * @module
 */
import type { StoragePlugin } from '../../lib/index.js'
import { concurrencyCases } from './concurrency-cases.js'
import { credentialCases } from './credential-cases.js'
import { credentialInputCases } from './credential-input-cases.js'
import { credentialUpdateCases } from './credential-update-cases.js'
import { crudCases } from './crud-cases.js'
import { groupTests, kitOptionsCheck, newScope } from './kit-helpers.js'
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { lifecycleCases } from './lifecycle-cases.js'
import { oneTimeTokenCases } from './one-time-token-cases.js'
import { oneTimeTokenInputCases } from './one-time-token-input-cases.js'
import { oneTimeTokenRevocationCases } from './one-time-token-revocation-cases.js'
import { pagingCases } from './paging-cases.js'
import { storageRateLimitCases } from './rate-limit-kit.js'
import { sessionCases } from './session-cases.js'
import { sessionRevocationCases } from './session-revocation-cases.js'
import { sessionRotationCases } from './session-rotation-cases.js'
import { stringCases } from './string-cases.js'
import { transactionCases } from './transaction-cases.js'

export type { ConformanceTest, RateLimitConformanceOptions, StorageConformanceOptions } from './kit-types.js'
export type { StoragePlugin }
export type { Mailer, MailMessage, RateLimitStore } from '../../lib/index.js'
export { HOSTILE_STRINGS } from './string-cases.js'
export { runRateLimitStoreConformance } from './rate-limit-kit.js'
export { memoryMailer, type MemoryMailer, type MemoryMailerOptions } from './memory-mailer.js'
export type { IdempotencyOptions } from '../mailer/idempotency.js'

/**
 * Runs the storage conformance suite as subtests of `t`: every
 * {@link StoragePlugin} method (found and not-found), paging edge cases,
 * hostile and unicode strings, concurrent duplicates, transactions rolled back
 * on a fault, init() idempotence and concurrency, close(), and (with
 * `breakConnection`) a database that goes away. When the plugin offers
 * `sessions`, the session contract too (rotation, 20 concurrent rotations
 * with one winner, revocation, listing, expiry, sessions in transactions);
 * when it offers `rateLimits`, the counter suite of
 * {@link runRateLimitStoreConformance} against it; when it offers
 * `oneTimeTokens`, single use (50 concurrent consumes with one winner),
 * expiry at `expiresAt`, purposes kept apart, `revokeOthers`, revocation,
 * clean-up, the hash kept as given, payload copies and limits; when it
 * offers `credentials`, per-user scoping, unique subjects, optimistic
 * updates (20 concurrent updates with one winner), listing, data copies and
 * limits. A plugin without one of these gets a skip saying so ("skipped:
 * the plugin has no oneTimeTokens"). Each subtest gets a fresh plugin from
 * `options.create(scope)` and closes it afterwards.
 *
 * Returns a promise that settles when every group has run.
 *
 * @throws UsageError when `options` lacks `name` or `create`.
 */
export function runStorageConformance(t: ConformanceTest, options: StorageConformanceOptions): Promise<unknown> {
  checkOptions(options)
  const groups: [string, (t: ConformanceTest, o: StorageConformanceOptions) => void][] = [
    ['user operations', crudCases],
    ['paging', pagingCases],
    ['strings', stringCases],
    ['concurrency', concurrencyCases],
    ['transactions', transactionCases],
    ['lifecycle', lifecycleCases],
  ]
  const optional: [string, OptionalMember, (t: ConformanceTest, o: StorageConformanceOptions) => unknown][] = [
    ['sessions', 'sessions', (sub, o) => { sessionCases(sub, o); sessionRotationCases(sub, o); sessionRevocationCases(sub, o) }],
    ['rate limits', 'rateLimits', storageRateLimitCases],
    ['one-time tokens', 'oneTimeTokens', (sub, o) => { oneTimeTokenCases(sub, o); oneTimeTokenRevocationCases(sub, o); oneTimeTokenInputCases(sub, o) }],
    ['credentials', 'credentials', (sub, o) => { credentialCases(sub, o); credentialUpdateCases(sub, o); credentialInputCases(sub, o) }],
  ]
  return Promise.all([
    ...groupTests(t, options, groups),
    ...optional.map(([label, member, register]) => t.test(`${options.name}: ${label}`, async (sub) => {
      if (!(await offers(options, member))) {
        // A skip, not a silent pass: the summary shows that this part of the contract went unchecked.
        const message = `skipped: the plugin has no ${member} (storage.${member}), so the ${label} cases did not run`
        if (typeof sub.skip === 'function') sub.skip(message, () => {})
        else sub.comment(`${options.name}: ${message}`)
        return
      }
      await register(sub, options)
    })),
  ])
}

const checkOptions = kitOptionsCheck('runStorageConformance')

/** The optional members of a storage plugin the kit probes for. */
type OptionalMember = 'sessions' | 'rateLimits' | 'oneTimeTokens' | 'credentials'

// Whether plugins from `options.create` have `member` (probed on one that is never initialised).
async function offers(options: StorageConformanceOptions, member: OptionalMember): Promise<boolean> {
  const scope = newScope()
  const plugin = await options.create(scope)
  try {
    return plugin[member] !== undefined
  } finally {
    await plugin.close()
    await options.destroy?.(scope)
  }
}
