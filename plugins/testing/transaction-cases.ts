/** Conformance: transaction() commits together or not at all. */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { hasCode, newUser, plain, rejectsWith, withPlugin } from './kit-helpers.js'

/** Registers the transaction subtests. */
export function transactionCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('a fault after two writes rolls both back and rethrows the error as-is', (t) => withPlugin(options, async (plugin) => {
    const a = newUser('tx-a')
    const b = newUser('tx-b')
    const fault = new Error('injected fault')
    let caught: unknown
    try {
      await plugin.transaction(async (tx) => {
        await tx.createUser(a)
        await tx.createUser(b)
        t.ok(await tx.findUserById(b.id), 'the transaction sees its own write')
        throw fault
      })
    } catch (err) {
      caught = err
    }
    t.equal(caught, fault, 'the very error fn threw')
    t.equal(await plugin.findUserById(a.id), undefined, 'first user not stored')
    t.equal(await plugin.findUserById(b.id), undefined, 'second user not stored')
    t.equal(await plugin.findUserByEmailKey(a.emailKey), undefined, 'first key free')
    await plugin.createUser(a)
    t.ok(await plugin.findUserById(a.id), 'the keys can be used afterwards')
  }))

  t.test('a storage error inside rolls back earlier writes and surfaces as an AuthError', (t) => withPlugin(options, async (plugin) => {
    const holder = await plugin.createUser(newUser('tx-holder'))
    const fresh = newUser('tx-fresh')
    const err = await rejectsWith(t, plugin.transaction(async (tx) => {
      await tx.createUser(fresh)
      await tx.updateUser(holder.id, { name: 'changed in tx' })
      await tx.createUser(newUser('tx-dup', { emailKey: holder.emailKey }))
    }), 'ERR_AUTH_USER_EXISTS', 'duplicate key inside a transaction')
    t.ok(hasCode(err, 'ERR_AUTH_USER_EXISTS'), 'AuthError passes through unchanged')
    t.equal(await plugin.findUserById(fresh.id), undefined, 'the earlier create was rolled back')
    t.same(plain(await plugin.findUserById(holder.id)), plain(holder), 'the earlier update was rolled back')
  }))

  t.test('a successful transaction commits every write and returns fn\'s value', (t) => withPlugin(options, async (plugin) => {
    const a = newUser('txok-a')
    const b = newUser('txok-b')
    const result = await plugin.transaction(async (tx) => {
      await tx.createUser(a)
      await tx.createUser(b)
      const updated = await tx.updateUser(a.id, { name: 'in tx', bumpTokenVersion: true })
      t.equal(updated?.tokenVersion, 1, 'update inside sees the new row')
      t.equal(await tx.deleteUser(b.id), true, 'delete inside')
      const page = await tx.listUsers({ limit: 10 })
      t.same(page.users.map((u) => u.id), [a.id], 'list inside sees the transaction\'s state')
      t.equal((await tx.findUserByEmailKey(a.emailKey))?.name, 'in tx', 'key lookup inside')
      return 42
    })
    t.equal(result, 42, 'fn\'s value returned')
    t.equal((await plugin.findUserById(a.id))?.name, 'in tx', 'committed update visible')
    t.equal(await plugin.findUserById(b.id), undefined, 'committed delete visible')
  }))
}
