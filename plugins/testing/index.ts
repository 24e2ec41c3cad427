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
 * The kit depends on no test runner: under node:test, pass
 * `fromNodeTest(t)` instead of `t`.
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
import { contractShapeCase, inspectContract, type ContractShape, type OptionalMember } from './contract-shape.js'
import { sessionCopyCases, userCopyCases } from './copy-cases.js'
import { groupTests, kitOptionsCheck } from './kit-helpers.js'
import { sessionMisuseCases, userMisuseCases } from './misuse-cases.js'
import { userIdentityCases } from './user-identity-cases.js'
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
export { fromNodeTest, type NodeTestContext } from './node-test-adapter.js'
export { memoryMailer, type MemoryMailer, type MemoryMailerOptions } from './memory-mailer.js'
export type { IdempotencyOptions } from '../mailer/idempotency.js'

/**
 * Runs the storage conformance suite as subtests of `t` (any runner: see
 * {@link ConformanceTest}). First a shape check: every operation `ready()`
 * requires is there, and the records every store answers have the
 * contract's field types; when that fails, the other groups are skipped
 * (each would only repeat it). Then every {@link StoragePlugin} method
 * (found and not-found), ids unique and never overwritten, the empty email
 * key refused, patches whose undefined fields change nothing, misuse as a
 * `TypeError`, records that share no object with the store, paging in byte
 * order with cursors valid only as issued, hostile and unicode strings,
 * concurrent duplicates, transactions rolled back on a fault and isolated
 * from outside reads and writes, init() idempotence and concurrency,
 * close() releasing only what the plugin opened, and (with
 * `breakConnection`) a database that goes away. When the plugin offers
 * `sessions`, the session contract too (rotation, 20 concurrent rotations
 * with one winner, revocation, listing, expiry at `now`, sessions in
 * transactions); when it offers `rateLimits`, the counter suite of
 * {@link runRateLimitStoreConformance} against it; when it offers
 * `oneTimeTokens`, single use (50 concurrent consumes with one winner),
 * expiry at `expiresAt`, purposes kept apart, `revokeOthers`, revocation,
 * clean-up, the hash kept as given, payload copies and limits; when it
 * offers `credentials`, per-user scoping, unique subjects, optimistic
 * updates (20 concurrent updates with one winner), listing, data copies and
 * limits. Whatever does not run is announced as skipped, saying why ("the
 * plugin has no oneTimeTokens", "sharedScope is false", "no
 * breakConnection given"). Each subtest gets a fresh plugin from
 * `options.create(scope)` and closes it afterwards.
 *
 * Returns a promise that settles when every group has run.
 *
 * @throws UsageError when `options` lacks `name` or `create`.
 */
export function runStorageConformance(t: ConformanceTest, options: StorageConformanceOptions): Promise<unknown> {
  checkOptions(options)
  let inspected: Promise<ContractShape> | undefined
  // Whichever group runs first inspects the plugin; the answer is shared.
  const shape = () => (inspected ??= inspectContract(options))
  const shapeGate = async () => ((await shape()).problems.length > 0 ? SHAPE_FAILED : undefined)
  const groups: [string, (t: ConformanceTest, o: StorageConformanceOptions) => void][] = [
    ['user operations', crudCases],
    ['user ids, keys and patches', userIdentityCases],
    ['misuse and copies', (sub, o) => { userMisuseCases(sub, o); userCopyCases(sub, o) }],
    ['paging', pagingCases],
    ['strings', stringCases],
    ['concurrency', concurrencyCases],
    ['transactions', transactionCases],
    ['lifecycle', lifecycleCases],
  ]
  const optional: [string, OptionalMember, (t: ConformanceTest, o: StorageConformanceOptions) => unknown][] = [
    ['sessions', 'sessions', (sub, o) => {
      sessionCases(sub, o)
      sessionRotationCases(sub, o)
      sessionRevocationCases(sub, o)
      sessionMisuseCases(sub, o)
      sessionCopyCases(sub, o)
    }],
    ['rate limits', 'rateLimits', storageRateLimitCases],
    ['one-time tokens', 'oneTimeTokens', (sub, o) => { oneTimeTokenCases(sub, o); oneTimeTokenRevocationCases(sub, o); oneTimeTokenInputCases(sub, o) }],
    ['credentials', 'credentials', (sub, o) => { credentialCases(sub, o); credentialUpdateCases(sub, o); credentialInputCases(sub, o) }],
  ]
  return Promise.all([
    ...groupTests(t, options, [['contract shape', (sub) => contractShapeCase(sub, shape)]]),
    ...groupTests(t, options, groups, shapeGate),
    ...optional.flatMap(([label, member, register]) => groupTests(t, options, [[label, register]], async () => {
      const { problems, offers } = await shape()
      if (problems.length > 0) return SHAPE_FAILED
      // A skip, not a silent pass: the summary shows that this part of the contract went unchecked.
      return offers.has(member) ? undefined : `the plugin has no ${member} (storage.${member}), so the ${label} cases did not run`
    })),
  ])
}

const SHAPE_FAILED = 'the contract shape check failed (see its subtest): fix that first'

const checkOptions = kitOptionsCheck('runStorageConformance')
