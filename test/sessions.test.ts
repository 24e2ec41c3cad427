import t, { type Test } from 'tap'
import { isAuthError } from '../lib/index.js'
import { errorOf, makeAuth } from './helpers/auth.js'

const pass = 'a long enough passphrase'
const REFRESH_SHAPE = /^[0-9a-f-]{36}\.[A-Za-z0-9_-]{43}$/

/** AuthCore with a clock the test moves, one user signed up, and a helper to sign in again (a second device). */
async function setup(t: Test, options = {}) {
  const clock = { now: Date.now() }
  const auth = await makeAuth(t, { now: () => clock.now, ...options })
  const events: [string, unknown][] = []
  for (const event of ['session:refreshed', 'session:ended', 'session:reuse-detected', 'user:sessions-revoked'] as const) {
    auth.on(event, (payload) => void events.push([event, payload]))
  }
  const first = await auth.signUp({ email: 's@example.com', name: 'S', pass })
  const device = () => auth.signIn({ email: 's@example.com', pass })
  return { auth, clock, events, first, device }
}

t.test('sign-up and sign-in return an opaque refresh token; refresh rotates it', async (t) => {
  const { auth, first, events } = await setup(t)
  t.match(first.refreshToken, REFRESH_SHAPE)
  const claims = await auth.verify(first.token)
  t.equal(claims.sid, first.refreshToken!.slice(0, 36), 'the access token names its session family')
  const next = await auth.refresh(first.refreshToken!)
  t.match(next.refreshToken, REFRESH_SHAPE)
  t.not(next.refreshToken, first.refreshToken)
  t.equal((await auth.verify(next.token)).sub, claims.sub)
  t.equal((await auth.verify(next.token)).sid, claims.sid, 'same family')
  t.ok(await auth.refresh(next.refreshToken), 'the successor rotates in turn')
  t.equal(events.filter(([e]) => e === 'session:refreshed').length, 2)
})

t.test('reuse after the grace window revokes the whole family, newest included', async (t) => {
  const { auth, clock, first, events } = await setup(t, { refreshGraceWindow: 5 })
  const second = await auth.refresh(first.refreshToken!)
  const third = await auth.refresh(second.refreshToken)
  clock.now += 6_000
  const reuse = await errorOf(auth.refresh(first.refreshToken!))
  t.ok(isAuthError(reuse, 'ERR_AUTH_SESSION_REUSED'))
  t.equal(reuse.status, 401)
  await t.rejects(auth.refresh(third.refreshToken), { code: 'ERR_AUTH_SESSION_REVOKED' }, 'the newest token of the family is dead too')
  const detected = events.filter(([e]) => e === 'session:reuse-detected')
  t.equal(detected.length, 1)
  t.notMatch(JSON.stringify(events), /\.[A-Za-z0-9_-]{43}/, 'no refresh token in any event')
})

t.test('inside the grace window a lost response is retried and gets the same successor', async (t) => {
  const { auth, clock, first } = await setup(t, { refreshGraceWindow: 5 })
  const lost = await auth.refresh(first.refreshToken!)
  clock.now += 2_000
  const retried = await auth.refresh(first.refreshToken!)
  t.equal(retried.refreshToken, lost.refreshToken, 'same successor, not a second one')
  t.ok(await auth.verify(retried.token), 'a fresh access token')
  const onward = await auth.refresh(retried.refreshToken)
  t.ok(onward, 'the successor still rotates')
  await t.rejects(auth.refresh(first.refreshToken!), { code: 'ERR_AUTH_SESSION_REUSED' }, 'once the successor moved on, the old token is reuse')
})

for (const n of [2, 20]) {
  t.test(`${n} concurrent refreshes of one token: one rotation, everyone gets the same successor`, async (t) => {
    const { auth, first } = await setup(t)
    const results = await Promise.allSettled(Array.from({ length: n }, () => auth.refresh(first.refreshToken!)))
    const ok = results.filter((r): r is PromiseFulfilledResult<{ token: string; refreshToken: string }> => r.status === 'fulfilled')
    t.equal(ok.length, n, 'all inside the grace window succeed')
    t.equal(new Set(ok.map((r) => r.value.refreshToken)).size, 1, 'exactly one successor was minted')
    const claims = await auth.verify(first.token)
    const live = await auth.sessions(claims.sub, { as: claims })
    t.equal(live.length, 1, 'one live session in the family')
  })
}

t.test('absolute lifetime and idle timeout, with an injected clock', async (t) => {
  const day = 86_400_000
  const { auth, clock, first, device } = await setup(t, { refreshTokenTtl: '10 days', sessionIdleTimeout: '3 days' })
  clock.now += 2 * day
  const kept = await auth.refresh(first.refreshToken!)
  clock.now += 2 * day
  const again = await auth.refresh(kept.refreshToken)
  clock.now += 3 * day + 1
  await t.rejects(auth.refresh(again.refreshToken), { code: 'ERR_AUTH_SESSION_EXPIRED' }, 'idle for more than 3 days')

  const other = await device()
  let token = other.refreshToken!
  for (let i = 0; i < 4; i++) {
    clock.now += 2 * day
    token = (await auth.refresh(token)).refreshToken
  }
  clock.now += 2 * day + 1
  await t.rejects(auth.refresh(token), { code: 'ERR_AUTH_SESSION_EXPIRED' }, 'used every 2 days, still over after 10 days in all')
  t.ok((await auth.purgeExpiredSessions()) >= 2, 'the maintenance call purges expired sessions')
})

t.test('refresh tokens and access tokens are never interchangeable', async (t) => {
  const { auth, first } = await setup(t)
  await t.rejects(auth.verify(first.refreshToken!), { code: 'ERR_AUTH_TOKEN_MALFORMED' })
  await t.rejects(auth.authenticate(`Bearer ${first.refreshToken}`), { code: 'ERR_AUTH_TOKEN_MALFORMED' })
  await t.rejects(auth.refresh(first.token), { code: 'ERR_AUTH_REFRESH_INVALID' })
  await t.rejects(auth.refresh(`${first.refreshToken!.slice(0, 37)}${'A'.repeat(43)}`), { code: 'ERR_AUTH_REFRESH_INVALID' }, 'right id, wrong secret')
  await t.rejects(auth.refresh(42 as never), { code: 'ERR_AUTH_REFRESH_INVALID' })
})

t.test('sign-out ends one session; other devices keep theirs', async (t) => {
  const { auth, first, device, events } = await setup(t)
  const other = await device()
  await auth.signOut(first.refreshToken!)
  await t.rejects(auth.refresh(first.refreshToken!), { code: 'ERR_AUTH_SESSION_REVOKED' })
  await auth.signOut(first.refreshToken!)
  t.equal(events.filter(([e]) => e === 'session:ended').length, 1, 'signing out twice is harmless and reported once')
  t.ok(await auth.refresh(other.refreshToken!), 'the other device is unaffected')
})

t.test('revokeSessions ends every session and, on strict paths, every access token', async (t) => {
  const { auth, first, device } = await setup(t)
  const other = await device()
  const claims = await auth.verify(first.token)
  t.ok(await auth.verify(first.token), 'cached as verified')
  await auth.revokeSessions(claims.sub, { as: claims })
  await t.rejects(auth.refresh(first.refreshToken!), { code: 'ERR_AUTH_SESSION_REVOKED' })
  await t.rejects(auth.refresh(other.refreshToken!), { code: 'ERR_AUTH_SESSION_REVOKED' })
  await t.rejects(auth.verify(first.token, { strict: true }), { code: 'ERR_AUTH_TOKEN_REVOKED' }, 'strict verify: over at once, the cache notwithstanding')
  await t.rejects(auth.profile(claims.sub, { as: claims }), { code: 'ERR_AUTH_TOKEN_REVOKED' }, 'paths that read the user: over at once')
  t.ok(await auth.verify(first.token), 'stateless verify still accepts it until exp (documented trade-off)')
  const fresh = await device()
  t.ok(await auth.verify(fresh.token, { strict: true }), 'a new sign-in works')
})

t.test('a password change ends the other sessions and keeps your own', async (t) => {
  const { auth, first, device } = await setup(t)
  const laptop = await device()
  const claims = await auth.verify(first.token)
  const changed = await auth.editProfile(claims.sub, { pass: 'a brand new passphrase', currentPass: pass }, { as: claims })
  t.equal((await auth.verify(changed.token)).sid, claims.sid, 'the fresh token stays in your session')
  t.ok(await auth.refresh(first.refreshToken!), 'your own session survives')
  await t.rejects(auth.refresh(laptop.refreshToken!), { code: 'ERR_AUTH_SESSION_REVOKED' }, 'the other device is signed out')
  await t.rejects(auth.verify(laptop.token, { strict: true }), { code: 'ERR_AUTH_TOKEN_REVOKED' })
})

t.test('a role change and disabling take effect at once; strictVerify makes it the default', async (t) => {
  const { auth, first } = await setup(t, { strictVerify: true })
  await auth.createUser({ email: 'root@example.com', name: 'Root', pass, role: 'admin' })
  const admin = await auth.verify((await auth.signIn({ email: 'root@example.com', pass })).token)
  const claims = await auth.verify(first.token)
  await auth.setRole(claims.sub, 'editor', { as: admin })
  await t.rejects(auth.verify(first.token), { code: 'ERR_AUTH_TOKEN_REVOKED' }, 'strictVerify on: old role token over')
  t.ok(await auth.verify(first.token, { strict: false }), 'per call, strictness can be turned off')
  await t.rejects(auth.refresh(first.refreshToken!), { code: 'ERR_AUTH_SESSION_REVOKED' })

  const again = await auth.signIn({ email: 's@example.com', pass })
  t.equal((await auth.verify(again.token)).role, 'editor')
  const user = await auth.setDisabled(claims.sub, true, { as: admin })
  t.equal(user.id, claims.sub)
  await t.rejects(auth.verify(again.token), { code: 'ERR_AUTH_TOKEN_REVOKED' }, 'disabled: token over')
  await t.rejects(auth.refresh(again.refreshToken!), { code: 'ERR_AUTH_SESSION_REVOKED' })
  await t.rejects(auth.signIn({ email: 's@example.com', pass }), { code: 'ERR_AUTH_INVALID_CREDENTIALS' })
  await t.rejects(auth.setDisabled(admin.sub, true, { as: admin }), { code: 'ERR_AUTH_FORBIDDEN' }, 'an admin cannot lock themselves out')
  await auth.setDisabled(claims.sub, false, { as: admin })
  t.ok(await auth.signIn({ email: 's@example.com', pass }), 're-enabled')
})

t.test('sessions() lists live sessions without secrets, to the user or an admin only', async (t) => {
  const { auth, first, device } = await setup(t)
  await device()
  const claims = await auth.verify(first.token)
  const list = await auth.sessions(claims.sub, { as: claims })
  t.equal(list.length, 2)
  for (const s of list) t.same(Object.keys(s).sort(), ['createdAt', 'expiresAt', 'familyId', 'id', 'idleExpiresAt'])
  const other = await auth.signUp({ email: 'o@example.com', name: 'O', pass })
  await t.rejects(auth.sessions(claims.sub, { as: await auth.verify(other.token) }), { code: 'ERR_AUTH_USER_NOT_FOUND' })
})

t.test('a fault while ending sessions undoes the role change with it (one transaction)', async (t) => {
  const { sqliteStorage } = await import('../plugins/storage/sqlite/index.js')
  const storage = sqliteStorage({ filename: ':memory:' })
  let inject = false
  const bind = <T extends object>(target: T, override: (prop: PropertyKey) => unknown) =>
    new Proxy(target, {
      get(obj, prop) {
        const replaced = override(prop)
        if (replaced !== undefined) return replaced
        const value = Reflect.get(obj, prop)
        return typeof value === 'function' ? value.bind(obj) : value
      },
    })
  const faulty = bind(storage, (prop) =>
    prop === 'transaction'
      ? (fn: (tx: object) => Promise<unknown>) =>
          storage.transaction((tx) =>
            fn(bind(tx, (p) => (p === 'sessions' ? bind(tx.sessions!, (q) => (q === 'revokeUserSessions' && inject ? async () => Promise.reject(new Error('injected fault')) : undefined)) : undefined))),
          )
      : undefined,
  )
  const auth = await makeAuth(t, { storage: faulty })
  await auth.createUser({ email: 'root@example.com', name: 'Root', pass, role: 'admin' })
  const admin = await auth.verify((await auth.signIn({ email: 'root@example.com', pass })).token)
  const victim = await auth.signUp({ email: 'v@example.com', name: 'V', pass })
  const claims = await auth.verify(victim.token)
  inject = true
  await t.rejects(auth.setRole(claims.sub, 'editor', { as: admin }), /injected fault/)
  inject = false
  t.equal((await auth.profile(claims.sub, { as: admin })).role, 'user', 'the role change was rolled back')
  t.ok(await auth.profile(claims.sub, { as: claims }), "the user's token version did not move either")
  t.ok(await auth.refresh(victim.refreshToken!), 'and their session is intact')
})
