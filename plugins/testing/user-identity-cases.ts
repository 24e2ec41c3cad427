/** Conformance: user ids are unique, the empty email key is no key, and a patch changes only the fields it sets. */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { newUser, plain, rejectsWith, withPlugin } from './kit-helpers.js'

/** Registers the identity subtests. */
export function userIdentityCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('createUser with a taken id is ERR_AUTH_STORAGE_FAILED and changes nothing (ids are unique: never overwrite)', (t) =>
    withPlugin(options, async (plugin) => {
      const first = await plugin.createUser(newUser('id-first', { passwordHash: 'first-hash' }))
      const again = newUser('id-again', { id: first.id, passwordHash: 'second-hash' })
      await rejectsWith(t, plugin.createUser(again), 'ERR_AUTH_STORAGE_FAILED', 'rule: user ids are unique, a duplicate id is refused')
      t.same(plain(await plugin.findUserById(first.id)), plain(first), 'rule: the user holding the id is unchanged (not overwritten)')
      t.equal(await plugin.findUserByEmailKey(again.emailKey), undefined, "the refused user's key finds nobody")
      t.same((await plugin.listUsers({ limit: 10 })).users.map((u) => u.id), [first.id], 'one user stored')
    }))

  t.test("an empty email key is no key: createUser and updateUser refuse it with ERR_AUTH_INPUT_INVALID, findUserByEmailKey('') finds nobody", (t) =>
    withPlugin(options, async (plugin) => {
      const user = await plugin.createUser(newUser('empty-key'))
      for (const n of [1, 2]) {
        const keyless = newUser(`empty-key-${n}`, { emailKey: '' })
        await rejectsWith(t, plugin.createUser(keyless), 'ERR_AUTH_INPUT_INVALID', `rule: an empty email key is refused (createUser #${n})`)
        t.equal(await plugin.findUserById(keyless.id), undefined, `rule: the refused user #${n} is not stored`)
      }
      await rejectsWith(t, plugin.updateUser(user.id, { emailKey: '', name: 'Changed' }), 'ERR_AUTH_INPUT_INVALID',
        'rule: an empty email key is refused (updateUser)')
      t.same(plain(await plugin.findUserById(user.id)), plain(user), 'the user is unchanged')
      t.equal(await plugin.findUserByEmailKey(''), undefined, "rule: findUserByEmailKey('') finds nobody")
    }))

  t.test('updateUser: a field present but undefined is left as it was, not erased', (t) => withPlugin(options, async (plugin) => {
    const input = newUser('undefined-fields', { passwordHash: 'kept-hash', emailVerified: true })
    await plugin.createUser(input)
    await plugin.updateUser(input.id, { disabled: true, bumpTokenVersion: true })
    const before = plain(await plugin.findUserById(input.id)) as Record<string, unknown>
    const everyField = {
      email: undefined, emailKey: undefined, name: undefined, role: undefined, passwordHash: undefined, disabled: undefined,
      emailVerified: undefined, bumpTokenVersion: undefined, ifPasswordHash: undefined,
    }
    const answered = await plugin.updateUser(input.id, everyField)
    const found = await plugin.findUserById(input.id)
    for (const [label, record] of [['answered', answered], ['stored', found]] as const) {
      const after = plain(record) as Record<string, unknown> | undefined
      // Compared one by one and strictly, so an erased hash (null) or flag (undefined) never passes for the old value.
      const erased = Object.keys(before).filter((k) => k !== 'updatedAt' && after?.[k] !== before[k])
      t.same(erased, [], `rule: undefined fields change nothing (${label}: every field as before, updatedAt aside)`)
    }
    const mixed = await plugin.updateUser(input.id, { name: undefined, passwordHash: undefined, role: 'admin' })
    t.same([mixed?.name, mixed?.passwordHash, mixed?.role], [input.name, 'kept-hash', 'admin'], 'beside a real change too: only that one applies')
  }))
}
