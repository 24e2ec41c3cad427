/** Conformance: transaction() commits together or not at all. */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { describe, hasCode, newUser, plain, rejectsWith, sleep, withPlugin } from './kit-helpers.js'

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

  t.test('isolation: outside a transaction its writes are not seen before it commits, and a write made meanwhile survives its rollback', (t) =>
    withPlugin(options, async (plugin) => {
      const inside = newUser('iso-inside')
      const outside = newUser('iso-outside')
      const fault = new Error('injected fault')
      let release = () => {}
      const gate = new Promise<void>((resolve) => { release = resolve })
      let wrote = () => {}
      const written = new Promise<void>((resolve) => { wrote = resolve })
      const settled = plugin.transaction(async (tx) => {
        await tx.createUser(inside)
        wrote()
        await gate
        throw fault
      }).then(() => undefined, (err: unknown) => err)
      await Promise.race([written, settled])
      // Both may wait for the transaction (a lock, a single connection): they are not awaited until it has ended.
      const read = plugin.findUserById(inside.id).then((user) => user?.id, describe)
      const write = plugin.createUser(outside).then(() => 'created', describe)
      await sleep(50)
      release()
      t.equal(await settled, fault, "the transaction's own error")
      t.equal(await read, undefined, 'rule: no dirty reads (a read outside saw a write of a transaction that then rolled back)')
      t.equal(await write, 'created', 'a write outside the transaction succeeds')
      t.ok(await plugin.findUserById(outside.id), "rule: a rollback undoes only the transaction's own writes (a user created outside meanwhile is gone)")
    }))
}
