/** Conformance (credentials): optimistic updates, their concurrency, and credentials in transactions. */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { describe, newUser, withPlugin } from './kit-helpers.js'
import { inFailedTransaction, newCredential, plainCredential, storeOf } from './record-helpers.js'

const RACERS = 20

/** Registers the update subtests. */
export function credentialUpdateCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('updateCredential applies the patch at the expected version and advances it by one', (t) => withPlugin(options, async (plugin) => {
    const credentials = storeOf(t, plugin, 'credentials')
    const created = await credentials.createCredential(newCredential('u1', { data: { counter: 0, keep: 'me' } }))
    const usedAt = new Date(Date.now() + 5000)
    const first = await credentials.updateCredential('u1', created.id, 0, { data: { counter: 1 }, lastUsedAt: usedAt })
    t.same(plainCredential(first), { ...(plainCredential(created) as object), data: { counter: 1 }, version: 1, lastUsedAt: usedAt.getTime() },
      'data replaced, lastUsedAt set, version 1; the rest as it was')
    t.same(plainCredential(await credentials.findCredential('u1', created.id)), plainCredential(first), 'the answer is the stored row')
    const second = await credentials.updateCredential('u1', created.id, 1, {})
    t.same([second?.version, second?.data, second?.lastUsedAt?.getTime()], [2, { counter: 1 }, usedAt.getTime()],
      'an empty patch only advances the version')
    const third = await credentials.updateCredential('u1', created.id, 2, { lastUsedAt: new Date(usedAt.getTime() + 1) })
    t.same([third?.version, third?.data], [3, { counter: 1 }], 'a patch without data keeps the data')
  }))

  t.test('a stale expectedVersion answers undefined and writes nothing', (t) => withPlugin(options, async (plugin) => {
    const credentials = storeOf(t, plugin, 'credentials')
    const created = await credentials.createCredential(newCredential('u1'))
    const current = await credentials.updateCredential('u1', created.id, 0, { data: { counter: 1 } })
    for (const stale of [0, 2, 7]) {
      t.equal(await credentials.updateCredential('u1', created.id, stale, { data: { counter: 99 }, lastUsedAt: new Date() }), undefined,
        `expectedVersion ${stale} while the version is 1: undefined`)
    }
    t.same(plainCredential(await credentials.findCredential('u1', created.id)), plainCredential(current), 'the row is as the last real update left it')
    t.equal(await credentials.updateCredential('u1', 'no-such-id', 0, {}), undefined, 'an unknown id: undefined')
  }))

  t.test(`${RACERS} concurrent updates at one expectedVersion: exactly one succeeds`, (t) => withPlugin(options, async (plugin) => {
    const credentials = storeOf(t, plugin, 'credentials')
    const created = await credentials.createCredential(newCredential('u1'))
    const results = await Promise.allSettled(
      Array.from({ length: RACERS }, (_, i) => credentials.updateCredential('u1', created.id, 0, { data: { counter: i } })))
    t.same(results.filter((r) => r.status === 'rejected').map((r) => describe((r as PromiseRejectedResult).reason)), [], 'no update failed')
    const winners = results.flatMap((r) => (r.status === 'fulfilled' && r.value !== undefined ? [r.value] : []))
    t.equal(winners.length, 1, 'one update answered the new row, the others undefined')
    const stored = await credentials.findCredential('u1', created.id)
    t.equal(stored?.version, 1, 'the version advanced once')
    t.same(stored?.data, winners[0]?.data, "the stored data is the winner's")
  }))

  t.test('transaction(): tx.credentials takes part; a rollback undoes its writes', (t) => withPlugin(options, async (plugin) => {
    const credentials = storeOf(t, plugin, 'credentials')
    const outside = await credentials.createCredential(newCredential('u1'))
    const inside = newCredential('u1')
    await inFailedTransaction(t, plugin, async (tx) => {
      const txCredentials = storeOf(t, tx, 'credentials')
      await tx.createUser(newUser('tx-credential'))
      await txCredentials.createCredential(inside)
      t.ok(await txCredentials.findCredential('u1', inside.id), 'the transaction sees its own credential')
      t.equal((await txCredentials.updateCredential('u1', outside.id, 0, { data: { in: 'tx' } }))?.version, 1, 'an update inside')
      t.equal(await txCredentials.updateCredential('u1', outside.id, 0, {}), undefined, 'inside, the old version is stale')
    })
    t.equal(await credentials.findCredential('u1', inside.id), undefined, 'the credential created inside is gone')
    t.same(plainCredential(await credentials.findCredential('u1', outside.id)), plainCredential(outside), 'the update was rolled back')
    await plugin.transaction(async (tx) => { await tx.credentials?.updateCredential('u1', outside.id, 0, { data: { committed: true } }) })
    t.same((await credentials.findCredential('u1', outside.id))?.data, { committed: true }, 'a committed update stays')
  }))
}
