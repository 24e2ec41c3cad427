import t from 'tap'
import { isAuthError } from '../lib/index.js'
import { errorOf, makeAuth, signedUp } from './helpers/auth.js'

const pass = 'a long enough passphrase'

async function withAdmin(t: Parameters<typeof makeAuth>[0], options = {}) {
  const auth = await makeAuth(t, options)
  await auth.createUser({ email: 'root@example.com', name: 'Root', pass, role: 'admin' })
  const admin = await auth.signIn({ email: 'root@example.com', pass })
  return { auth, admin: { ...admin, claims: await auth.verify(admin.token) } }
}

t.test('createUser makes the first admin from code', async (t) => {
  const { admin } = await withAdmin(t)
  t.equal(admin.user.role, 'admin')
  t.equal(admin.claims.role, 'admin')
})

t.test('profile: yourself yes; another user and a missing one look the same', async (t) => {
  const { auth, admin } = await withAdmin(t)
  const alice = await signedUp(auth, 'alice@example.com')
  const bob = await signedUp(auth, 'bob@example.com')
  t.same(await auth.profile(alice.user.id, { as: alice.claims }), alice.user)
  const other = await errorOf(auth.profile(bob.user.id, { as: alice.claims }))
  const missing = await errorOf(auth.profile('no-such-id', { as: alice.claims }))
  const traversal = await errorOf(auth.profile('../users/' + bob.user.id, { as: alice.claims }))
  for (const err of [other, missing, traversal]) t.same([err.code, err.status, err.message], ['ERR_AUTH_USER_NOT_FOUND', 404, 'User not found'])
  t.same(await auth.profile(bob.user.id, { as: admin.claims }), bob.user, 'an admin reads anyone')
  await t.rejects(auth.profile('', { as: alice.claims }), { code: 'ERR_AUTH_INPUT_INVALID' })
  await t.rejects(auth.profile(alice.user.id, {} as never), TypeError, 'missing as is caller misuse')
})

t.test('profiles: admins only, paged with a cursor, every user once', async (t) => {
  const { auth, admin } = await withAdmin(t)
  const alice = await signedUp(auth, 'alice@example.com')
  for (let i = 0; i < 6; i++) await signedUp(auth, `user${i}@example.com`)
  const denied = await errorOf(auth.profiles({ as: alice.claims }))
  t.ok(isAuthError(denied, 'ERR_AUTH_FORBIDDEN'))
  const ids: string[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const page = await auth.profiles({ as: admin.claims, limit: 3, ...(cursor && { cursor }) })
    t.ok(page.users.length <= 3)
    for (const u of page.users) t.notOk('passwordHash' in u || 'pass' in u)
    ids.push(...page.users.map((u) => u.id))
    cursor = page.next
    pages++
  } while (cursor)
  t.equal(ids.length, 8, 'admin + alice + 6')
  t.equal(new Set(ids).size, 8, 'no user twice')
  t.equal(pages, 3)
  await t.rejects(auth.profiles({ as: admin.claims, limit: 0 }), { code: 'ERR_AUTH_INPUT_INVALID' })
  await t.rejects(auth.profiles({ as: admin.claims, limit: 1000 }), { code: 'ERR_AUTH_INPUT_INVALID' })
  await t.rejects(auth.profiles({ as: admin.claims, cursor: 'forged!' }), { code: 'ERR_AUTH_INPUT_INVALID' })
})

t.test('editProfile: name, email and password, with the current password for your own', async (t) => {
  const auth = await makeAuth(t)
  const alice = await signedUp(auth, 'alice@example.com')
  const renamed = await auth.editProfile(alice.user.id, { name: 'Alice Liddell' }, { as: alice.claims })
  t.equal(renamed.user.name, 'Alice Liddell')
  t.ok(await auth.verify(renamed.token), 'a fresh token')

  const noCurrent = await errorOf(auth.editProfile(alice.user.id, { email: 'new@example.com' }, { as: alice.claims }))
  t.ok(isAuthError(noCurrent, 'ERR_AUTH_REAUTH_REQUIRED'))
  const wrongCurrent = await errorOf(auth.editProfile(alice.user.id, { pass: 'another long passphrase', currentPass: 'guess guess' }, { as: alice.claims }))
  t.ok(isAuthError(wrongCurrent, 'ERR_AUTH_REAUTH_REQUIRED'))

  const moved = await auth.editProfile(alice.user.id, { email: 'New@Example.com', currentPass: pass }, { as: alice.claims })
  t.equal(moved.user.email, 'New@Example.com')
  const movedClaims = await auth.verify(moved.token)
  t.equal(movedClaims.email, 'New@Example.com', 'the fresh token carries the new email')
  await t.rejects(auth.signIn({ email: 'alice@example.com', pass }), { code: 'ERR_AUTH_INVALID_CREDENTIALS' })
  await t.rejects(auth.profile(alice.user.id, { as: alice.claims }), { code: 'ERR_AUTH_TOKEN_REVOKED' }, 'tokens from before the email change are over')

  await auth.editProfile(alice.user.id, { pass: 'another long passphrase', currentPass: pass }, { as: movedClaims })
  await t.rejects(auth.signIn({ email: 'new@example.com', pass }), { code: 'ERR_AUTH_INVALID_CREDENTIALS' }, 'old password gone')
  t.ok(await auth.signIn({ email: 'new@example.com', pass: 'another long passphrase' }), 'new password works')
})

t.test('editProfile refuses escalation, collisions and hostile input without changing anything', async (t) => {
  const auth = await makeAuth(t)
  const alice = await signedUp(auth, 'alice@example.com')
  const bob = await signedUp(auth, 'bob@example.com')
  for (const input of [{ role: 'admin' }, { id: 'x' }, { name: 'A', pass_hash: 'x' }, JSON.parse('{"__proto__":{"role":"admin"}}'), {}, { currentPass: pass }]) {
    const err = await errorOf(auth.editProfile(alice.user.id, input as never, { as: alice.claims }))
    t.ok(isAuthError(err, 'ERR_AUTH_INPUT_INVALID'), `refused: ${JSON.stringify(input)}`)
  }
  const other = await errorOf(auth.editProfile(bob.user.id, { name: 'pwned' }, { as: alice.claims }))
  t.same([other.code, other.message], ['ERR_AUTH_USER_NOT_FOUND', 'User not found'], "another user's profile looks missing")
  const taken = await errorOf(auth.editProfile(alice.user.id, { email: 'BOB@example.com', name: 'Changed', currentPass: pass }, { as: alice.claims }))
  t.ok(isAuthError(taken, 'ERR_AUTH_USER_EXISTS'))
  t.same(await auth.profile(alice.user.id, { as: alice.claims }), alice.user, 'nothing was half-written')
  t.same(await auth.profile(bob.user.id, { as: bob.claims }), bob.user)
})

t.test('an admin edits another user without their password and gets a token for themselves', async (t) => {
  const auth = await makeAuth(t)
  await auth.createUser({ email: 'root@example.com', name: 'Root', pass, role: 'admin' })
  const admin = await auth.signIn({ email: 'root@example.com', pass })
  const adminClaims = await auth.verify(admin.token)
  const bob = await signedUp(auth, 'bob@example.com')
  const edited = await auth.editProfile(bob.user.id, { pass: 'reset by the admin now' }, { as: adminClaims })
  t.equal((await auth.verify(edited.token)).sub, adminClaims.sub, "the token is the admin's, never the user's")
  t.ok(await auth.signIn({ email: 'bob@example.com', pass: 'reset by the admin now' }))
})

t.test('setRole: admins only, and a role change takes effect at once', async (t) => {
  const { auth, admin } = await withAdmin(t)
  const events: unknown[] = []
  auth.on('user:role-changed', (e) => void events.push(e))
  const alice = await signedUp(auth, 'alice@example.com')
  const bob = await signedUp(auth, 'bob@example.com')
  const denied = await errorOf(auth.setRole(bob.user.id, 'admin', { as: alice.claims }))
  t.ok(isAuthError(denied, 'ERR_AUTH_USER_NOT_FOUND'), 'a user cannot see, let alone promote, another')
  const selfPromote = await errorOf(auth.setRole(alice.user.id, 'admin', { as: alice.claims }))
  t.ok(isAuthError(selfPromote, 'ERR_AUTH_FORBIDDEN'), 'nor promote themselves')

  const promoted = await auth.setRole(alice.user.id, 'admin', { as: admin.claims })
  t.equal(promoted.role, 'admin')
  await t.rejects(auth.profile(alice.user.id, { as: alice.claims }), { code: 'ERR_AUTH_TOKEN_REVOKED' }, 'a role change ends the tokens issued before it')
  const asAdmin = await auth.verify((await auth.signIn({ email: 'alice@example.com', pass })).token)
  t.equal(asAdmin.role, 'admin')
  t.ok(await auth.profiles({ as: asAdmin }), 'a new token carries the new role')
  await auth.setRole(alice.user.id, 'user', { as: admin.claims })
  await t.rejects(auth.profiles({ as: asAdmin }), { code: 'ERR_AUTH_TOKEN_REVOKED' }, 'demotion is immediate: the admin token is over')
  await t.rejects(auth.setRole(alice.user.id, 'bad role!', { as: admin.claims }), { code: 'ERR_AUTH_INPUT_INVALID' })
  t.same(events.map((e) => (e as { from: string; to: string }).to), ['admin', 'user'])
})

t.test('custom rules replace the defaults; a throwing rule denies', async (t) => {
  const auth = await makeAuth(t, {
    rules: {
      canRead: () => true,
      canEdit: () => {
        throw new Error('rule bug')
      },
    },
  })
  const alice = await signedUp(auth, 'alice@example.com')
  const bob = await signedUp(auth, 'bob@example.com')
  t.same(await auth.profile(bob.user.id, { as: alice.claims }), bob.user, 'everyone may read')
  await t.rejects(auth.editProfile(alice.user.id, { name: 'A' }, { as: alice.claims }), { code: 'ERR_AUTH_FORBIDDEN' }, 'a throwing rule is a no')
})

t.test('a deleted or disabled caller is refused even with a valid token', async (t) => {
  const { sqliteStorage } = await import('../plugins/storage/sqlite/index.js')
  const storage = sqliteStorage({ filename: ':memory:' })
  const auth = await makeAuth(t, { storage })
  const alice = await signedUp(auth, 'alice@example.com')
  const bob = await signedUp(auth, 'bob@example.com')
  await storage.updateUser(alice.user.id, { disabled: true })
  await t.rejects(auth.profile(alice.user.id, { as: alice.claims }), { code: 'ERR_AUTH_TOKEN_REVOKED' }, 'disabled')
  await storage.deleteUser(bob.user.id)
  await t.rejects(auth.profile(bob.user.id, { as: bob.claims }), { code: 'ERR_AUTH_TOKEN_REVOKED' }, 'deleted')
})
