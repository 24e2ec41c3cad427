/** Conformance (credentials): create, find, per-user scoping, unique subjects, listing and deletion. */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { describe, hasCode, rejectsWith, sleep, withPlugin } from './kit-helpers.js'
import { newCredential, plainCredential, storeOf } from './record-helpers.js'

const RACERS = 20

/** Registers the basic credential subtests. */
export function credentialCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('createCredential stores version 0; both finds read it back', (t) => withPlugin(options, async (plugin) => {
    const credentials = storeOf(t, plugin, 'credentials')
    const input = newCredential('u1', { data: { issuer: 'https://issuer.example', emailVerified: true } })
    const before = Date.now()
    const created = await credentials.createCredential(input)
    t.same({ ...(plainCredential(created) as object), createdAt: 0 }, { ...input, version: 0, createdAt: 0, lastUsedAt: null },
      'fields as given, version 0, lastUsedAt null')
    t.ok(created.createdAt instanceof Date && created.createdAt.getTime() >= before - 1000 && created.createdAt.getTime() <= Date.now() + 1000,
      'createdAt is the time of creation')
    t.same(plainCredential(await credentials.findCredential('u1', input.id)), plainCredential(created), 'findCredential reads it')
    t.same(plainCredential(await credentials.findCredentialBySubject(input.kind, input.subject)), plainCredential(created),
      'findCredentialBySubject reads it')
    t.equal(await credentials.findCredentialBySubject(input.kind, input.subject.toUpperCase()), undefined, 'subjects compare exactly')
    t.equal(await credentials.findCredentialBySubject('kit:other', input.subject), undefined, 'a subject is found only under its kind')
    t.equal(await credentials.findCredential('u1', 'no-such-id'), undefined, 'an unknown id: undefined')
  }))

  t.test("another user's id reaches nothing: find, update and delete are scoped by user", (t) => withPlugin(options, async (plugin) => {
    const credentials = storeOf(t, plugin, 'credentials')
    const owned = await credentials.createCredential(newCredential('owner'))
    t.equal(await credentials.findCredential('intruder', owned.id), undefined, "findCredential with another user's id: undefined")
    t.equal(await credentials.updateCredential('intruder', owned.id, 0, { data: { stolen: true } }), undefined, 'updateCredential: undefined')
    t.equal(await credentials.deleteCredential('intruder', owned.id), false, 'deleteCredential: false')
    t.equal(await credentials.deleteUserCredentials('intruder'), 0, "deleteUserCredentials of another user: 0")
    t.same(plainCredential(await credentials.findCredential('owner', owned.id)), plainCredential(owned), "the owner's credential is unchanged")
    t.equal(await credentials.deleteCredential('owner', owned.id), true, 'the owner deletes it')
    t.equal(await credentials.findCredential('owner', owned.id), undefined, 'gone')
    t.equal(await credentials.deleteCredential('owner', owned.id), false, 'deleting again: false')
  }))

  t.test('a duplicate (kind, subject) is ERR_AUTH_CREDENTIAL_EXISTS, for any user, and changes nothing', (t) => withPlugin(options, async (plugin) => {
    const credentials = storeOf(t, plugin, 'credentials')
    const first = await credentials.createCredential(newCredential('u1', { subject: 'sub-1' }))
    for (const user of ['u1', 'u2']) {
      const dup = newCredential(user, { subject: 'sub-1', data: { other: true } })
      await rejectsWith(t, credentials.createCredential(dup), 'ERR_AUTH_CREDENTIAL_EXISTS', `the same subject for ${user}`)
      t.equal(await credentials.findCredential(user, dup.id), undefined, 'the duplicate was not stored')
    }
    t.same(plainCredential(await credentials.findCredentialBySubject(first.kind, 'sub-1')), plainCredential(first), 'the first is unchanged')
    t.same((await credentials.listCredentials('u1')).map((c) => c.id), [first.id], 'one credential listed')
    t.equal((await credentials.createCredential(newCredential('u2', { subject: 'sub-1', kind: 'kit:passkey' }))).subject, 'sub-1',
      'the same subject under another kind is allowed')
    t.ok(await credentials.createCredential(newCredential('u2', { subject: 'Sub-1' })), 'a subject differing in case is another subject')
  }))

  t.test('createCredential with a taken id is ERR_AUTH_STORAGE_FAILED and changes nothing (ids are unique: never overwrite)', (t) =>
    withPlugin(options, async (plugin) => {
      const credentials = storeOf(t, plugin, 'credentials')
      const first = await credentials.createCredential(newCredential('u1'))
      const again = newCredential('u2', { id: first.id })
      await rejectsWith(t, credentials.createCredential(again), 'ERR_AUTH_STORAGE_FAILED', 'rule: credential ids are unique, a duplicate id is refused')
      t.same(plainCredential(await credentials.findCredential('u1', first.id)), plainCredential(first),
        'rule: the credential holding the id is unchanged (not overwritten)')
      t.equal(await credentials.findCredentialBySubject(again.kind, again.subject), undefined, 'the refused credential was not stored')
      t.same(await credentials.listCredentials('u2'), [], 'nothing was stored for the other user')
    }))

  t.test(`${RACERS} concurrent creates of one subject: one credential, the rest ERR_AUTH_CREDENTIAL_EXISTS`, (t) => withPlugin(options, async (plugin) => {
    const credentials = storeOf(t, plugin, 'credentials')
    const results = await Promise.allSettled(
      Array.from({ length: RACERS }, (_, i) => credentials.createCredential(newCredential(`racer-${i}`, { subject: 'contested' }))))
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'exactly one created')
    const others = results.filter((r) => r.status === 'rejected' && !hasCode(r.reason, 'ERR_AUTH_CREDENTIAL_EXISTS'))
    t.same(others.map((r) => describe((r as PromiseRejectedResult).reason)), [], 'every other create: ERR_AUTH_CREDENTIAL_EXISTS')
  }))

  t.test('listCredentials: the user\'s own, oldest first, of one kind when given; deleteUserCredentials counts', (t) => withPlugin(options, async (plugin) => {
    const credentials = storeOf(t, plugin, 'credentials')
    const made = []
    for (const kind of ['kit:totp', 'kit:oidc', 'kit:totp', 'kit:oidc']) {
      made.push(await credentials.createCredential(newCredential('lister', { kind })))
      await sleep(3) // distinct creation times
    }
    const other = await credentials.createCredential(newCredential('other-user'))
    t.same((await credentials.listCredentials('lister')).map((c) => c.id), made.map((c) => c.id), 'every one, oldest first')
    t.same((await credentials.listCredentials('lister', 'kit:totp')).map((c) => c.id), [made[0]!.id, made[2]!.id], 'of one kind')
    t.same(plainCredential((await credentials.listCredentials('lister', 'kit:oidc'))[1]), plainCredential(made[3]), 'full records')
    t.same(await credentials.listCredentials('lister', 'kit:none'), [], 'a kind the user has none of: []')
    t.same(await credentials.listCredentials('nobody'), [], 'an unknown user: []')
    t.equal(await credentials.deleteUserCredentials('lister', 'kit:totp'), 2, 'two of one kind deleted')
    t.same((await credentials.listCredentials('lister')).map((c) => c.id), [made[1]!.id, made[3]!.id], 'the other kind stays')
    t.equal(await credentials.deleteUserCredentials('lister'), 2, 'the rest deleted')
    t.same((await credentials.listCredentials('other-user')).map((c) => c.id), [other.id], "another user's credential stays")
  }))
}
