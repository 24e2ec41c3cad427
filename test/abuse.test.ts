import t, { type Test } from 'tap'
import { isAuthError, type AuthCoreOptions } from '../lib/index.js'
import { argon2Hasher } from '../lib/passwords/hasher.js'
import { errorOf, makeAuth } from './helpers/auth.js'

const pass = 'a long enough passphrase'

/** AuthCore with a movable clock and a hasher that counts verifies. */
async function setup(t: Test, options: Partial<AuthCoreOptions> = {}) {
  const clock = { now: Date.UTC(2026, 10, 27, 12) }
  const real = argon2Hasher()
  const counts = { verify: 0 }
  const hasher = { ...real, verify: (h: string, p: string) => (counts.verify++, real.verify(h, p)) }
  const auth = await makeAuth(t, { now: () => clock.now, passwordPolicy: { hasher }, ...options })
  const events: [string, unknown][] = []
  auth.on('user:locked', (e) => void events.push(['user:locked', e]))
  auth.on('rate-limit:exceeded', (e) => void events.push(['rate-limit:exceeded', e]))
  return { auth, clock, counts, events }
}

/** 150 wrong guesses from rotating addresses, waiting out each delay as a patient attacker would. */
async function guess(auth: Awaited<ReturnType<typeof setup>>['auth'], clock: { now: number }, email: string) {
  const codes: string[] = []
  for (let i = 0; i < 150; i++) {
    const err = await errorOf(auth.signIn({ email, pass: `wrong guess ${i}` }, { clientAddress: `198.51.100.${i % 250}` }))
    codes.push(err.code!)
    const retryAfter = (err as { details?: { retryAfter?: number } }).details?.retryAfter
    if (err.code === 'ERR_AUTH_THROTTLED') clock.now += retryAfter! * 1000
  }
  return codes
}

t.test('150 wrong passwords from rotating addresses: locked after 10 hashes', async (t) => {
  const { auth, clock, counts, events } = await setup(t)
  await auth.signUp({ email: 'victim@example.com', name: 'V', pass })
  counts.verify = 0
  const codes = await guess(auth, clock, 'victim@example.com')
  t.equal(counts.verify, 10, 'only the attempts before the lock cost a hash')
  t.equal(codes.filter((c) => c === 'ERR_AUTH_INVALID_CREDENTIALS').length, 10)
  t.equal(codes.filter((c) => c === 'ERR_AUTH_THROTTLED').length, 5, 'progressive delays after the 5 free attempts')
  t.ok(codes.slice(15).every((c) => c === 'ERR_AUTH_ACCOUNT_LOCKED'), 'then locked')
  const locked = events.filter(([e]) => e === 'user:locked')
  t.equal(locked.length, 1)
  t.match(locked[0]![1], { email: 'victim@example.com', userId: String })
  await t.rejects(auth.signIn({ email: 'victim@example.com', pass }), { code: 'ERR_AUTH_ACCOUNT_LOCKED' }, 'even the right password waits out the lock')
  clock.now += 15 * 60_000
  t.ok(await auth.signIn({ email: 'victim@example.com', pass }), 'the lock expires')
})

t.test('unknown and known emails are throttled identically', async (t) => {
  const known = await setup(t)
  await known.auth.signUp({ email: 'someone@example.com', name: 'S', pass })
  const unknown = await setup(t)
  const a = await guess(known.auth, known.clock, 'someone@example.com')
  const b = await guess(unknown.auth, unknown.clock, 'someone@example.com')
  t.same(b, a, 'the same answers in the same order')
  t.equal(unknown.counts.verify, known.counts.verify, 'the same hashing work (dummy hash for the unknown one)')
  t.notOk((unknown.events.find(([e]) => e === 'user:locked')![1] as { userId?: string }).userId, 'no userId for an unknown email')
})

t.test('a successful sign-in resets the account counter', async (t) => {
  const { auth, clock } = await setup(t)
  await auth.signUp({ email: 'me@example.com', name: 'M', pass })
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 4; i++) await errorOf(auth.signIn({ email: 'me@example.com', pass: 'typo typo typo' }))
    clock.now += 1000
    t.ok(await auth.signIn({ email: 'me@example.com', pass }), `round ${round}: still signs in`)
  }
})

t.test('per-address limits: IPv6 counts per /64, spellings of one address are one key', async (t) => {
  const { auth, clock, events } = await setup(t, { rateLimit: { signIn: { limit: 5, window: 60 } } })
  const attempt = (clientAddress: string, i: number) => errorOf(auth.signIn({ email: `n${i}@example.com`, pass }, { clientAddress }))
  const spellings = ['2001:db8:1:2::1', '2001:DB8:1:2:0:0:0:ffff', '[2001:db8:1:2::abcd]', '2001:0db8:0001:0002::2', 'fe80::1%eth0']
  for (let i = 0; i < 5; i++) t.equal((await attempt(spellings[i % 4]!, i)).code, 'ERR_AUTH_INVALID_CREDENTIALS')
  clock.now += 15_000
  const over = await attempt('2001:db8:1:2:ffff:ffff:ffff:ffff', 99)
  t.ok(isAuthError(over, 'ERR_AUTH_RATE_LIMITED'), 'the 6th from the same /64 is refused')
  t.equal((over as unknown as { details: { retryAfter: number } }).details.retryAfter, 45, 'Retry-After: the rest of the window')
  t.equal((await attempt('2001:db8:1:3::1', 100)).code, 'ERR_AUTH_INVALID_CREDENTIALS', 'the next /64 is another client')
  t.equal((await attempt('::ffff:192.0.2.1', 101)).code, 'ERR_AUTH_INVALID_CREDENTIALS')
  for (let i = 0; i < 4; i++) await attempt('192.0.2.1', 102 + i)
  t.equal((await attempt('192.0.2.1', 110)).code, 'ERR_AUTH_RATE_LIMITED', 'IPv4-mapped and plain IPv4 are one key')
  clock.now += 45_000
  t.equal((await attempt('2001:db8:1:2::1', 111)).code, 'ERR_AUTH_INVALID_CREDENTIALS', 'a new window opens')
  t.ok(events.some(([e, p]) => e === 'rate-limit:exceeded' && (p as { scope: string }).scope === 'sign-in'))
})

t.test('sign-up and refresh have their own per-address limits', async (t) => {
  const { auth } = await setup(t, { rateLimit: { signUp: { limit: 2, window: '10 minutes' }, refresh: { limit: 1, window: 60 } } })
  const ip = { clientAddress: '203.0.113.9' }
  const first = await auth.signUp({ email: 'a@example.com', name: 'A', pass }, ip)
  await auth.signUp({ email: 'b@example.com', name: 'B', pass }, ip)
  await t.rejects(auth.signUp({ email: 'c@example.com', name: 'C', pass }, ip), { code: 'ERR_AUTH_RATE_LIMITED' })
  const next = await auth.refresh(first.refreshToken!, ip)
  await t.rejects(auth.refresh(next.refreshToken, ip), { code: 'ERR_AUTH_RATE_LIMITED' })
})

t.test('an admin unlocks; nobody else can', async (t) => {
  const { auth, clock } = await setup(t)
  await auth.createUser({ email: 'root@example.com', name: 'Root', pass, role: 'admin' })
  const admin = await auth.verify((await auth.signIn({ email: 'root@example.com', pass })).token)
  const victim = await auth.signUp({ email: 'v@example.com', name: 'V', pass })
  const victimClaims = await auth.verify(victim.token)
  await guess(auth, clock, 'v@example.com')
  await t.rejects(auth.signIn({ email: 'v@example.com', pass }), { code: 'ERR_AUTH_ACCOUNT_LOCKED' })
  await t.rejects(auth.unlock(victim.user.id, { as: victimClaims }), { code: 'ERR_AUTH_FORBIDDEN' })
  await auth.unlock(victim.user.id, { as: admin })
  t.ok(await auth.signIn({ email: 'v@example.com', pass }), 'unlocked at once')
})

t.test('the HTTP answer is a 429 with Retry-After and the JSON error', async (t) => {
  const { auth } = await setup(t, { rateLimit: { signIn: { limit: 1, window: 60 } } })
  const request = () =>
    auth.handle(
      new Request('http://localhost/auth/email/signin', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'x@example.com', pass }),
      }),
      { clientAddress: '192.0.2.77' },
    )
  t.equal((await request()).status, 401)
  const limited = await request()
  t.equal(limited.status, 429)
  t.equal(limited.headers.get('retry-after'), '60')
  t.same(await limited.json(), { error: 'Too many requests from this address; try again later', code: 'ERR_AUTH_RATE_LIMITED' })
})

t.test('a failing counter store: closed by default, open when asked', async (t) => {
  const broken = {
    hit: async () => Promise.reject(new Error('counter store down')),
    peek: async () => Promise.reject(new Error('counter store down')),
    reset: async () => Promise.reject(new Error('counter store down')),
  }
  const closed = await setup(t, { rateLimit: { store: broken } })
  await closed.auth.createUser({ email: 'c@example.com', name: 'C', pass })
  const err = await errorOf(closed.auth.signIn({ email: 'c@example.com', pass }))
  t.ok(isAuthError(err, 'ERR_AUTH_RATE_LIMIT_UNAVAILABLE'))
  t.equal(err.status, 503)
  t.match((err.cause as Error).message, /counter store down/)
  t.equal(closed.counts.verify, 0, 'refused before hashing')

  const open = await setup(t, { rateLimit: { store: broken, failMode: 'open' } })
  const reported: unknown[] = []
  open.auth.on('error', (e) => void reported.push(e))
  await open.auth.createUser({ email: 'o@example.com', name: 'O', pass })
  t.ok(await open.auth.signIn({ email: 'o@example.com', pass }), 'let through')
  t.ok(reported.length > 0, 'and the store failure is reported as an error event')
})

t.test('guessing the current password through editProfile is throttled like sign-in', async (t) => {
  const { auth, clock, counts } = await setup(t)
  const { token } = await auth.signUp({ email: 'owner@example.com', name: 'O', pass })
  const stolen = await auth.verify(token)
  counts.verify = 0
  const codes: string[] = []
  for (let i = 0; i < 30; i++) {
    const err = await errorOf(auth.editProfile(stolen.sub, { pass: 'attacker chosen pass', currentPass: `guess ${i}` }, { as: stolen }))
    codes.push(err.code!)
    if (err.code === 'ERR_AUTH_THROTTLED') clock.now += (err as unknown as { details: { retryAfter: number } }).details.retryAfter * 1000
  }
  t.equal(counts.verify, 10, 'at most lockAfter guesses cost a hash')
  t.equal(codes.filter((c) => c === 'ERR_AUTH_REAUTH_REQUIRED').length, 10)
  t.ok(codes.slice(-10).every((c) => c === 'ERR_AUTH_ACCOUNT_LOCKED'), 'then the account is locked')
  await t.rejects(auth.editProfile(stolen.sub, { pass: 'attacker chosen pass', currentPass: pass }, { as: stolen }), { code: 'ERR_AUTH_ACCOUNT_LOCKED' }, 'even the right password waits')
})

t.test('requests refused for free never count as attempts', async (t) => {
  const { auth } = await setup(t)
  await auth.signUp({ email: 'free@example.com', name: 'F', pass })
  for (let i = 0; i < 30; i++) {
    await t.rejects(auth.signIn({ email: 'free@example.com', pass: 'x'.repeat(2000) }), { code: 'ERR_AUTH_PASSWORD_WEAK' })
  }
  t.ok(await auth.signIn({ email: 'free@example.com', pass }), 'over-long passwords did not lock the account')
})
