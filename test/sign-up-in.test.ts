import t from 'tap'
import { hash as bcryptHash } from '@node-rs/bcrypt'
import { parseOptions } from '@node-rs/argon2'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'
import { AuthCore, isAuthError } from '../lib/index.js'
import { errorOf, makeAuth, signedUp } from './helpers/auth.js'
import { newSecret } from './helpers/keys.js'

const pass = 'a long enough passphrase'

t.test('sign-up returns the user without secrets and a token with the documented claims', async (t) => {
  const auth = await makeAuth(t)
  const { user, token } = await auth.signUp({ email: '  Alice@Example.COM ', name: ' Alice ', pass })
  t.same(Object.keys(user).sort(), ['createdAt', 'email', 'emailVerified', 'id', 'name', 'role', 'updatedAt'])
  t.equal(user.emailVerified, false, 'an address is unproven until a link says otherwise')
  t.equal(user.email, 'Alice@Example.COM', 'display form kept, trimmed')
  t.equal(user.name, 'Alice')
  t.equal(user.role, 'user', 'defaultRole')
  t.match(user.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'random UUID v4')
  const claims = await auth.verify(token)
  t.equal(claims.sub, user.id)
  t.equal(claims.id, user.id)
  t.equal(claims.email, 'Alice@Example.COM')
  t.equal(claims.role, 'user')
  t.equal(claims.email_verified, false, 'tokens carry email_verified')
  t.notMatch(JSON.stringify(user), /argon2|pass/)
})

t.test('the client never chooses a privileged role', async (t) => {
  const auth = await makeAuth(t, { signUpRoles: ['editor'] })
  const err = await errorOf(auth.signUp({ email: 'mallory@example.com', name: 'M', pass, role: 'admin' }))
  t.ok(isAuthError(err, 'ERR_AUTH_ROLE_NOT_ALLOWED'))
  t.equal(err.status, 403)
  await t.rejects(auth.signIn({ email: 'mallory@example.com', pass }), { code: 'ERR_AUTH_INVALID_CREDENTIALS' }, 'no user was created')
  t.equal((await auth.signUp({ email: 'u@example.com', name: 'U', pass, role: 'user' })).user.role, 'user', 'asking for the default role is fine')
  t.equal((await auth.signUp({ email: 'e@example.com', name: 'E', pass, role: 'editor' })).user.role, 'editor', 'an allow-listed role is granted')
  t.throws(() => new AuthCore({ secret: newSecret(), signUpRoles: ['admin'] }), { code: 'ERR_AUTH_OPTIONS_INVALID' }, 'allow-listing an admin role is refused')
})

t.test('50 concurrent sign-ups of one email, in case variants, make exactly one user', async (t) => {
  const auth = await makeAuth(t)
  const variants = ['race@example.com', 'RACE@example.com', 'Race@Example.Com', ' race@EXAMPLE.com ']
  const results = await Promise.allSettled(
    Array.from({ length: 50 }, (_, i) => auth.signUp({ email: variants[i % variants.length]!, name: `R${i}`, pass })),
  )
  const ok = results.filter((r) => r.status === 'fulfilled')
  const refused = results.filter((r) => r.status === 'rejected' && isAuthError(r.reason, 'ERR_AUTH_USER_EXISTS'))
  t.equal(ok.length, 1, 'one user')
  t.equal(refused.length, 49, 'every other attempt: ERR_AUTH_USER_EXISTS')
  t.ok(await auth.signIn({ email: 'RACE@EXAMPLE.COM', pass }), 'the one user signs in under any case')
})

t.test('unknown email, wrong password, no hash, corrupt hash and disabled user answer identically', async (t) => {
  const storage = sqliteStorage({ filename: ':memory:' })
  const auth = new AuthCore({ secret: newSecret(), storage })
  await auth.ready()
  t.teardown(() => auth.close())
  const failures: { reason: string; email: string }[] = []
  auth.on('user:sign-in-failed', (e) => failures.push(e))
  const known = await signedUp(auth, 'known@example.com')
  await storage.createUser({ id: 'nohash', email: 'nohash@example.com', emailKey: 'nohash@example.com', name: 'N', role: 'user', passwordHash: null })
  await storage.createUser({ id: 'corrupt', email: 'corrupt@example.com', emailKey: 'corrupt@example.com', name: 'C', role: 'user', passwordHash: '$argon2id$garbage' })
  const disabled = await signedUp(auth, 'disabled@example.com')
  await storage.updateUser(disabled.user.id, { disabled: true })

  const attempts = [
    auth.signIn({ email: 'nobody@example.com', pass }),
    auth.signIn({ email: 'known@example.com', pass: 'the wrong passphrase' }),
    auth.signIn({ email: 'nohash@example.com', pass }),
    auth.signIn({ email: 'corrupt@example.com', pass }),
    auth.signIn({ email: 'disabled@example.com', pass }),
  ]
  const errors = await Promise.all(attempts.map(errorOf))
  for (const err of errors) {
    t.same([err.code, err.status, err.message], ['ERR_AUTH_INVALID_CREDENTIALS', 401, 'Email or password is incorrect'])
  }
  t.same(failures.map((f) => f.reason).sort(), ['disabled', 'no-password', 'unknown-email', 'wrong-password', 'wrong-password'])
  t.ok(known)
  t.notMatch(JSON.stringify(failures), /passphrase|argon2/, 'events carry no password or hash')
})

t.test('an unknown email costs the same hashing work as a wrong password', async (t) => {
  let verifies = 0
  const { argon2Hasher } = await import('../lib/passwords/hasher.js')
  const real = argon2Hasher()
  const hasher = { ...real, verify: (h: string, p: string) => (verifies++, real.verify(h, p)) }
  const auth = await makeAuth(t, { passwordPolicy: { hasher } })
  await signedUp(auth, 'known@example.com')
  verifies = 0
  await errorOf(auth.signIn({ email: 'known@example.com', pass: 'the wrong passphrase' }))
  const wrongPassword = verifies
  verifies = 0
  await errorOf(auth.signIn({ email: 'nobody@example.com', pass: 'the wrong passphrase' }))
  t.equal(wrongPassword, 1)
  t.equal(verifies, 1, 'the unknown email verified against the dummy hash')
})

t.test('a legacy bcrypt hash signs in and is replaced by argon2id', async (t) => {
  const storage = sqliteStorage({ filename: ':memory:' })
  const auth = new AuthCore({ secret: newSecret(), storage })
  await auth.ready()
  t.teardown(() => auth.close())
  const legacy = await bcryptHash('space cloud pass', 4)
  await storage.createUser({ id: 'sc-1', email: 'Legacy@Example.com', emailKey: 'legacy@example.com', name: 'L', role: 'user', passwordHash: legacy })
  await t.rejects(auth.signIn({ email: 'legacy@example.com', pass: 'not it at all' }), { code: 'ERR_AUTH_INVALID_CREDENTIALS' })
  t.equal((await storage.findUserById('sc-1'))!.passwordHash, legacy, 'a failed attempt changes nothing')
  const { user } = await auth.signIn({ email: 'legacy@example.com', pass: 'space cloud pass' })
  t.equal(user.id, 'sc-1')
  const rehashed = (await storage.findUserById('sc-1'))!.passwordHash!
  t.match(rehashed, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
  t.ok(await auth.signIn({ email: 'legacy@example.com', pass: 'space cloud pass' }), 'signs in with the new hash')
})

t.test('raising the argon2 cost re-hashes on the next sign-in', async (t) => {
  const storage = sqliteStorage({ filename: ':memory:' })
  const secret = newSecret()
  const first = new AuthCore({ secret, storage })
  await signedUp(first, 'cost@example.com')
  const stronger = new AuthCore({ secret, storage, passwordPolicy: { argon2: { memoryCost: 24576, timeCost: 3 } } })
  t.teardown(() => stronger.close())
  const { user } = await stronger.signIn({ email: 'cost@example.com', pass })
  const used = parseOptions((await storage.findUserById(user.id))!.passwordHash!)
  t.equal(used.memoryCost, 24576)
  t.equal(used.timeCost, 3)
})

t.test('hashing is bounded: past the queue a sign-in is refused at once with ERR_AUTH_BUSY', async (t) => {
  const { argon2Hasher } = await import('../lib/passwords/hasher.js')
  const real = argon2Hasher()
  let release!: () => void
  const gate = new Promise<void>((resolve) => (release = resolve))
  let gated = false
  const hasher = { ...real, verify: async (h: string, p: string) => (gated && (await gate), real.verify(h, p)) }
  const auth = await makeAuth(t, { passwordPolicy: { hasher, maxConcurrentHashes: 1, maxQueuedHashes: 1 } })
  await signedUp(auth, 'busy@example.com')
  gated = true
  const running = auth.signIn({ email: 'busy@example.com', pass })
  const queued = auth.signIn({ email: 'busy@example.com', pass })
  await new Promise((resolve) => setImmediate(resolve))
  const refused = await errorOf(auth.signIn({ email: 'busy@example.com', pass }))
  t.ok(isAuthError(refused, 'ERR_AUTH_BUSY'))
  t.equal(refused.status, 503)
  release()
  t.ok(await running)
  t.ok(await queued, 'the queued sign-in completes once a slot frees')
})

t.test('hooks: beforeSignUp vetoes or adjusts the name; beforeSignIn vetoes', async (t) => {
  const auth = await makeAuth(t)
  const { AuthError } = await import('../lib/index.js')
  auth.hook('beforeSignUp', ({ input }) => {
    if (input.email.endsWith('@blocked.example')) throw new AuthError('ERR_AUTH_INPUT_INVALID', 'This email domain is not accepted')
    input.name = input.name.toUpperCase()
    if (input.email.startsWith('sneaky')) (input as { role: string }).role = 'admin'
  })
  const veto = await errorOf(auth.signUp({ email: 'x@Blocked.Example', name: 'X', pass }))
  t.equal(veto.message, 'This email domain is not accepted')
  await t.rejects(auth.signIn({ email: 'x@blocked.example', pass }), { code: 'ERR_AUTH_INVALID_CREDENTIALS' }, 'vetoed: no user')
  const { user } = await auth.signUp({ email: 'ok@example.com', name: 'Quiet', pass })
  t.equal(user.name, 'QUIET', 'the hook adjusted the name')
  t.equal(user.role, 'user')
  const sneaky = await errorOf(auth.signUp({ email: 'sneaky@example.com', name: 'S', pass }))
  t.ok(isAuthError(sneaky, 'ERR_AUTH_HOOK_FAILED'), 'a hook cannot change the role: the write throws and stops the sign-up')
  await t.rejects(auth.signIn({ email: 'sneaky@example.com', pass }), { code: 'ERR_AUTH_INVALID_CREDENTIALS' }, 'no user created')

  auth.hook('beforeSignIn', ({ input }) => {
    if (input.email === 'ok@example.com') throw new AuthError('ERR_AUTH_FORBIDDEN', 'Signed out by policy')
  })
  t.equal((await errorOf(auth.signIn({ email: 'OK@example.com', pass }))).message, 'Signed out by policy')
})

t.test('events fire after the work with payloads free of secrets; a failing listener breaks nothing', async (t) => {
  const auth = await makeAuth(t)
  const seen: [string, unknown][] = []
  for (const event of ['user:created', 'user:signed-in', 'user:sign-in-failed'] as const) {
    auth.on(event, (payload) => void seen.push([event, payload]))
    auth.on(event, () => {
      throw new Error('listener bug')
    })
  }
  const errors: unknown[] = []
  auth.on('error', (e) => void errors.push(e))
  const { user } = await auth.signUp({ email: 'ev@example.com', name: 'Ev', pass })
  await auth.signIn({ email: 'ev@example.com', pass })
  await errorOf(auth.signIn({ email: 'ev@example.com', pass: 'wrong wrong wrong' }))
  t.same(seen.map(([e]) => e), ['user:created', 'user:signed-in', 'user:sign-in-failed'])
  t.same(seen[0]![1], { user, via: 'sign-up' })
  t.equal(errors.length, 3, 'each listener failure reported, none broke an operation')
  t.notMatch(JSON.stringify(seen), /passphrase|wrong wrong|argon2|eyJ/, 'no password, hash or token in any payload')
})
