// Races between a sign-in whose password check is in flight and a change to
// the same user, on every engine. A hasher that can be held mid-verify makes
// the overlap certain instead of likely.
import { createHash, randomBytes } from 'node:crypto'
import t, { type Test } from 'tap'
import { AuthCore, type AccessClaims, type PasswordHasher } from '../lib/index.js'
import { errorOf } from './helpers/auth.js'
import { eachEngine, type Engine } from './helpers/engines.js'
import { newSecret } from './helpers/keys.js'

/**
 * A fast salted-hash hasher with two formats: `v2$` (current) and `v1$`
 * (legacy, so needsRehash), and a gate that holds every verify while armed.
 */
function gatedHasher() {
  let gate: { entered: () => void; released: Promise<void> } | undefined
  const digest = (salt: string, pass: string) => createHash('sha256').update(`${salt}:${pass}`).digest('base64url')
  const make = (version: 'v1' | 'v2', pass: string) => {
    const salt = randomBytes(8).toString('base64url')
    return `${version}$${salt}$${digest(salt, pass)}`
  }
  const hasher: PasswordHasher = {
    hash: async (pass) => make('v2', pass),
    async verify(hash, pass) {
      const held = gate
      if (held) {
        held.entered()
        await held.released
      }
      const [, salt = '', expected] = hash.split('$')
      return digest(salt, pass) === expected
    },
    needsRehash: (hash) => !hash.startsWith('v2$'),
  }
  /** Holds verifies until `release()`; `entered` resolves when one is held. */
  const hold = () => {
    let release!: () => void
    let entered!: () => void
    const inside = new Promise<void>((resolve) => (entered = resolve))
    gate = { entered, released: new Promise<void>((resolve) => (release = resolve)) }
    return { inside, release: () => { gate = undefined; release() } }
  }
  return { hasher, hold, legacyHash: (pass: string) => make('v1', pass) }
}

const OLD = 'the old passphrase, long enough'
const NEW = 'the new passphrase, long enough'

/** An AuthCore on `engine` with the held hasher, no rate limits (the races are the point), and an admin signed in. */
async function racing(t: Test, engine: Engine) {
  const { hasher, hold, legacyHash } = gatedHasher()
  const storage = engine.storage(t)
  const auth = new AuthCore({ secret: newSecret(), storage, passwordPolicy: { hasher }, rateLimit: { enabled: false } })
  t.teardown(() => auth.close())
  await auth.ready()
  await auth.createUser({ email: 'admin@example.com', name: 'Admin', pass: OLD, role: 'admin' })
  const admin: AccessClaims = await auth.verify((await auth.signIn({ email: 'admin@example.com', pass: OLD })).token)
  return { auth, storage, admin, hold, legacyHash }
}

eachEngine(t, 'a re-hash on sign-in never undoes a password change that committed meanwhile', async (t, engine) => {
  const { auth, storage, admin, hold, legacyHash } = await racing(t, engine)
  // An imported user: a legacy hash, upgraded on their next sign-in.
  const user = await storage.createUser({
    id: 'imported-1', email: 'ada@example.com', emailKey: 'ada@example.com', name: 'Ada', role: 'user', passwordHash: legacyHash(OLD),
  })

  const gate = hold()
  const signingIn = auth.signIn({ email: 'ada@example.com', pass: OLD })
  await gate.inside
  // The password changes while the old one is being verified.
  await auth.editProfile(user.id, { pass: NEW }, { as: admin })
  gate.release()
  t.equal((await errorOf(signingIn)).code, 'ERR_AUTH_SESSION_REVOKED', 'the sign-in that raced the change is refused')

  t.ok((await auth.signIn({ email: 'ada@example.com', pass: NEW })).token, 'the new password works')
  t.equal((await errorOf(auth.signIn({ email: 'ada@example.com', pass: OLD }))).code, 'ERR_AUTH_INVALID_CREDENTIALS', 'the old one does not')
  t.match((await storage.findUserById(user.id))?.passwordHash, /^v2\$/)
})

eachEngine(t, 'a sign-in in flight during a revocation keeps no working refresh session', async (t, engine) => {
  const { auth, storage, admin, hold, legacyHash } = await racing(t, engine)
  const failures: string[] = []
  auth.on('user:sign-in-failed', ({ reason }) => void failures.push(reason))

  const revocations: [string, (id: string) => Promise<unknown>][] = [
    ['revokeSessions', (id) => auth.revokeSessions(id, { as: admin })],
    ['a password change', (id) => auth.editProfile(id, { pass: NEW }, { as: admin })],
    ['an email change', (id) => auth.editProfile(id, { email: `moved-${id}@example.com` }, { as: admin })],
    ['a role change', (id) => auth.setRole(id, 'editor', { as: admin })],
    ['a disable', (id) => auth.setDisabled(id, true, { as: admin })],
  ]
  // Each with a current hash, and with a legacy one (re-hashed by the very sign-in that races).
  for (const [name, revoke, legacy] of revocations.flatMap(([n, r]) => [[n, r, false], [`${n} (legacy hash)`, r, true]] as const)) {
    const email = `${name.replace(/\W/g, '-')}@example.com`
    const { user } = await auth.signUp({ email, name: 'Target', pass: OLD })
    if (legacy) await storage.updateUser(user.id, { passwordHash: legacyHash(OLD) })
    const gate = hold()
    const signingIn = auth.signIn({ email, pass: OLD })
    await gate.inside
    await revoke(user.id)
    gate.release()
    const err = await errorOf(signingIn)
    t.equal(err.code, 'ERR_AUTH_SESSION_REVOKED', `${name}: the sign-in is refused`)
    // No family of the user survived: neither the sign-up's nor the one the racing sign-in stored.
    t.same(await auth.sessions(user.id, { as: admin }), [], `${name}: no live session is left`)
  }
  t.equal(failures.filter((r) => r === 'changed-meanwhile').length, revocations.length * 2, 'each is reported as changed-meanwhile')
})

eachEngine(t, 'a revocation that lands after the sign-in stored its session still ends it', async (t, engine) => {
  const auth = new AuthCore({ secret: newSecret(), storage: engine.storage(t), rateLimit: { enabled: false } })
  t.teardown(() => auth.close())
  const { user, refreshToken } = await auth.signUp({ email: 'late@example.com', name: 'Late', pass: OLD })
  const signedIn = await auth.signIn({ email: 'late@example.com', pass: OLD })
  await auth.revokeSessions(user.id, { as: await auth.verify(signedIn.token) })
  t.equal((await errorOf(auth.refresh(signedIn.refreshToken!))).code, 'ERR_AUTH_SESSION_REVOKED')
  t.equal((await errorOf(auth.refresh(refreshToken!))).code, 'ERR_AUTH_SESSION_REVOKED')
})
