/** Conformance: every UserStore method, found and not-found paths. */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { checkShape, newUser, plain, rejectsTypeError, rejectsWith, withPlugin } from './kit-helpers.js'

/** Registers the CRUD subtests. */
export function crudCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('createUser returns the stored record; both lookups find it', (t) => withPlugin(options, async (plugin) => {
    const input = newUser('crud-create')
    const before = Date.now()
    const created = await plugin.createUser(input)
    checkShape(t, created)
    t.same({ ...plain(created) as object, createdAt: 0, updatedAt: 0 }, {
      ...input, tokenVersion: 0, disabled: false, emailVerified: false, createdAt: 0, updatedAt: 0,
    }, 'fields as given, token version 0, not disabled, email not verified')
    t.ok(created.createdAt.getTime() >= before - 1000 && created.createdAt.getTime() <= Date.now() + 1000, 'createdAt is now')
    const byId = await plugin.findUserById(input.id)
    checkShape(t, byId)
    t.same(plain(byId), plain(created), 'findUserById returns the same record')
    t.same(plain(await plugin.findUserByEmailKey(input.emailKey)), plain(created), 'findUserByEmailKey returns the same record')
  }))

  t.test('a user without a password hash', (t) => withPlugin(options, async (plugin) => {
    const input = newUser('crud-nopass', { passwordHash: null })
    await plugin.createUser(input)
    t.equal((await plugin.findUserById(input.id))?.passwordHash, null, 'null hash reads back as null')
  }))

  t.test('not-found paths', (t) => withPlugin(options, async (plugin) => {
    await plugin.createUser(newUser('crud-other'))
    t.equal(await plugin.findUserById('no-such-id'), undefined, 'findUserById: undefined')
    t.equal(await plugin.findUserByEmailKey('nobody@example.com'), undefined, 'findUserByEmailKey: undefined')
    t.equal(await plugin.updateUser('no-such-id', { name: 'x' }), undefined, 'updateUser: undefined')
    t.equal(await plugin.deleteUser('no-such-id'), false, 'deleteUser: false')
  }))

  t.test('lookups are exact: no case, accent or trailing-space folding', (t) => withPlugin(options, async (plugin) => {
    const user = newUser('exact', { id: 'Exact-Id', emailKey: 'exact@example.com' })
    await plugin.createUser(user)
    t.equal(await plugin.findUserByEmailKey('EXACT@example.com'), undefined, 'upper-case key does not match')
    t.equal(await plugin.findUserByEmailKey('exact@example.com '), undefined, 'trailing space does not match')
    t.equal(await plugin.findUserByEmailKey('éxact@example.com'), undefined, 'accented key does not match')
    t.equal(await plugin.findUserById('exact-id'), undefined, 'id lookup is case-sensitive')
    t.equal(await plugin.findUserById('Exact-Id '), undefined, 'id lookup does not ignore a trailing space')
    // Distinct keys that a case- or pad-insensitive collation would merge are distinct users.
    await plugin.createUser(newUser('exact2', { emailKey: 'EXACT@example.com' }))
    await plugin.createUser(newUser('exact3', { emailKey: 'exact@example.com ' }))
    await plugin.createUser(newUser('exact4', { emailKey: 'éxact@example.com' }))
    t.equal((await plugin.listUsers({ limit: 10 })).users.length, 4, 'four distinct users')
  }))

  t.test('updateUser with ifPasswordHash changes the row only while the stored hash is that one', (t) => withPlugin(options, async (plugin) => {
    const input = newUser('crud-cas', { passwordHash: 'h1' })
    await plugin.createUser(input)
    const upgraded = await plugin.updateUser(input.id, { passwordHash: 'h2', ifPasswordHash: 'h1' })
    t.equal(upgraded?.passwordHash, 'h2', 'the expected hash: applied, the new row answered')
    t.equal(await plugin.updateUser(input.id, { passwordHash: 'h3', ifPasswordHash: 'h1' }), undefined,
      'a stale expected hash: undefined (a password change won the race)')
    t.equal((await plugin.findUserById(input.id))?.passwordHash, 'h2', 'and nothing was written')
    t.equal(await plugin.updateUser(input.id, { passwordHash: 'h3', ifPasswordHash: null }), undefined, 'null expects no hash')
    await plugin.updateUser(input.id, { passwordHash: null })
    t.equal((await plugin.updateUser(input.id, { passwordHash: 'h4', ifPasswordHash: null }))?.passwordHash, 'h4', 'null matches a user without a hash')
    t.equal(await plugin.updateUser('no-such-id', { passwordHash: 'h5', ifPasswordHash: 'h4' }), undefined, 'a missing user: undefined')
    const record = await plugin.findUserById(input.id)
    t.ok(record !== undefined && !('ifPasswordHash' in record), 'the condition is not stored as a field')
  }))

  t.test('updateUser applies only the given fields', (t) => withPlugin(options, async (plugin) => {
    const input = newUser('crud-update')
    const created = await plugin.createUser(input)
    await new Promise((resolve) => setTimeout(resolve, 5))
    const renamed = await plugin.updateUser(input.id, { name: 'Renamed' })
    checkShape(t, renamed)
    t.same({ ...plain(renamed) as object, updatedAt: 0 }, { ...plain(created) as object, name: 'Renamed', updatedAt: 0 }, 'only name changed')
    t.ok(renamed!.updatedAt.getTime() > created.updatedAt.getTime(), 'updatedAt advanced')
    t.equal(renamed!.createdAt.getTime(), created.createdAt.getTime(), 'createdAt unchanged')

    const changed = await plugin.updateUser(input.id, {
      email: 'New@Example.com', emailKey: 'new@example.com', role: 'admin', passwordHash: null, disabled: true,
    })
    t.same({ email: changed?.email, emailKey: changed?.emailKey, role: changed?.role, passwordHash: changed?.passwordHash, disabled: changed?.disabled, name: changed?.name },
      { email: 'New@Example.com', emailKey: 'new@example.com', role: 'admin', passwordHash: null, disabled: true, name: 'Renamed' },
      'email, key, role, hash and disabled changed together')
    t.equal(await plugin.findUserByEmailKey(input.emailKey), undefined, 'old key no longer matches')
    t.same(plain(await plugin.findUserByEmailKey('new@example.com')), plain(changed), 'new key matches the returned row')
    t.equal((await plugin.updateUser(input.id, { disabled: false }))?.disabled, false, 'disabled back to false')
    t.equal((await plugin.updateUser(input.id, { emailKey: 'new@example.com' }))?.emailKey, 'new@example.com', 'setting its own key again is fine')
  }))

  t.test('emailVerified: false unless given, set by createUser or updateUser, read back by every lookup', (t) => withPlugin(options, async (plugin) => {
    const plainUser = newUser('verified-default')
    t.ok(!('emailVerified' in plainUser), 'the input leaves emailVerified out')
    t.equal((await plugin.createUser(plainUser)).emailVerified, false, 'createUser without it: false')
    t.equal((await plugin.findUserById(plainUser.id))?.emailVerified, false, 'stored as false')
    const explicit = await plugin.createUser(newUser('verified-false', { emailVerified: false }))
    t.equal(explicit.emailVerified, false, 'createUser with false: false')

    const proven = newUser('verified-true', { emailVerified: true })
    const created = await plugin.createUser(proven)
    t.equal(created.emailVerified, true, 'createUser with true: true')
    t.same([(await plugin.findUserById(proven.id))?.emailVerified, (await plugin.findUserByEmailKey(proven.emailKey))?.emailVerified],
      [true, true], 'both lookups read true')

    const before = plain(await plugin.findUserById(plainUser.id)) as Record<string, unknown>
    await new Promise((resolve) => setTimeout(resolve, 5))
    const verified = await plugin.updateUser(plainUser.id, { emailVerified: true })
    checkShape(t, verified)
    t.same({ ...plain(verified) as object, updatedAt: 0 }, { ...before, emailVerified: true, updatedAt: 0 },
      'updateUser({ emailVerified: true }) sets it and changes no other field')
    t.ok(verified!.updatedAt.getTime() > (before.updatedAt as number), 'updatedAt advanced')
    t.equal((await plugin.findUserByEmailKey(plainUser.emailKey))?.emailVerified, true, 'stored as true')
    t.equal((await plugin.updateUser(plainUser.id, { name: 'Renamed' }))?.emailVerified, true, 'an update without it leaves it')
    const unverified = await plugin.updateUser(plainUser.id, { email: 'Moved@Example.com', emailKey: 'moved@example.com', emailVerified: false })
    t.same([unverified?.emailVerified, unverified?.emailKey, unverified?.name], [false, 'moved@example.com', 'Renamed'], 'set back to false with an email change')
    const listed = new Map((await plugin.listUsers({ limit: 10 })).users.map((u) => [u.id, u.emailVerified]))
    t.same([listed.get(plainUser.id), listed.get(explicit.id), listed.get(proven.id)], [false, false, true], 'listUsers reads it')
  }))

  t.test('a non-boolean emailVerified is a TypeError and changes nothing', (t) => withPlugin(options, async (plugin) => {
    const user = await plugin.createUser(newUser('verified-bad'))
    for (const value of [1, 0, 'true', 'false', null]) {
      const label = JSON.stringify(value)
      await rejectsTypeError(t, () => plugin.createUser(newUser(`verified-bad-${label.replace(/\W/g, '')}`, { emailVerified: value as never })),
        `createUser with emailVerified ${label}`)
      await rejectsTypeError(t, () => plugin.updateUser(user.id, { emailVerified: value as never }), `updateUser with emailVerified ${label}`)
    }
    t.same((await plugin.listUsers({ limit: 10 })).users.map((u) => u.id), [user.id], 'no user was created')
    t.same(plain(await plugin.findUserById(user.id)), plain(user), 'the user is unchanged')
  }))

  t.test('bumpTokenVersion advances the version in the same update', (t) => withPlugin(options, async (plugin) => {
    const input = newUser('crud-bump')
    await plugin.createUser(input)
    t.equal((await plugin.updateUser(input.id, { bumpTokenVersion: true }))?.tokenVersion, 1, 'bump alone: 1')
    const both = await plugin.updateUser(input.id, { passwordHash: 'h2', bumpTokenVersion: true })
    t.same([both?.tokenVersion, both?.passwordHash], [2, 'h2'], 'bump with a change: 2, hash changed')
    t.equal((await plugin.updateUser(input.id, { name: 'n', bumpTokenVersion: false }))?.tokenVersion, 2, 'false does not bump')
    t.equal((await plugin.findUserById(input.id))?.tokenVersion, 2, 'stored version is 2')
  }))

  t.test('deleteUser removes the user', (t) => withPlugin(options, async (plugin) => {
    const input = newUser('crud-delete')
    const keep = newUser('crud-keep')
    await plugin.createUser(input)
    await plugin.createUser(keep)
    t.equal(await plugin.deleteUser(input.id), true, 'first delete: true')
    t.equal(await plugin.findUserById(input.id), undefined, 'gone by id')
    t.equal(await plugin.findUserByEmailKey(input.emailKey), undefined, 'gone by key')
    t.equal(await plugin.deleteUser(input.id), false, 'second delete: false')
    t.ok(await plugin.findUserById(keep.id), 'the other user remains')
    await plugin.createUser(newUser('crud-delete-again', { emailKey: input.emailKey }))
    t.ok(await plugin.findUserByEmailKey(input.emailKey), 'the freed key can be used again')
  }))

  t.test('a duplicate email key is ERR_AUTH_USER_EXISTS and changes nothing', (t) => withPlugin(options, async (plugin) => {
    const first = await plugin.createUser(newUser('dup'))
    const dup = newUser('dup-2', { emailKey: first.emailKey })
    await rejectsWith(t, plugin.createUser(dup), 'ERR_AUTH_USER_EXISTS', 'createUser with a taken key')
    t.equal(await plugin.findUserById(dup.id), undefined, 'no second row')
    t.same(plain(await plugin.findUserByEmailKey(first.emailKey)), plain(first), 'the first user is unchanged')
  }))

  t.test('updating to a key another user holds is ERR_AUTH_USER_EXISTS and changes nothing', (t) => withPlugin(options, async (plugin) => {
    const a = await plugin.createUser(newUser('holder-a'))
    const b = await plugin.createUser(newUser('holder-b'))
    await rejectsWith(t, plugin.updateUser(b.id, { emailKey: a.emailKey, email: a.email, name: 'Stolen', bumpTokenVersion: true }),
      'ERR_AUTH_USER_EXISTS', 'updateUser to a taken key')
    t.same(plain(await plugin.findUserById(a.id)), plain(a), 'the holder is unchanged')
    t.same(plain(await plugin.findUserById(b.id)), plain(b), 'the updated user is unchanged (name, version, timestamps)')
  }))
}
