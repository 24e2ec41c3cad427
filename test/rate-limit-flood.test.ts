// A flood of cheap junk from many addresses must not deny service: the
// in-memory counter store stays bounded, never refuses a new client, and
// keeps the windows that hold a refusal (a lockout) over ones seen once.
import { randomBytes, randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { AuthCore } from '../lib/index.js'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'
import { MemoryRateLimitStore } from '../lib/rate-limit/memory-store.js'
import { newSecret } from './helpers/keys.js'
import { fastHasher } from './helpers/hashers.js'

// 100,000 requests take about a minute alone and nearly two beside the engine
// suites on a shared 2-core machine: room for that, still bounded.
t.setTimeout(4 * 60_000)

const PASS = 'correct horse battery staple'

const post = (path: string, body: unknown) =>
  new Request(`http://localhost/auth${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

/** The i-th of 65,536 × n distinct IPv6 /64 networks (2001:db8::/32 is for documentation). */
const network = (i: number) => `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::${(i % 7) + 1}`

function makeAuth(t: Test, options: object = {}) {
  const auth = new AuthCore({ secret: newSecret(), storage: sqliteStorage({ filename: ':memory:' }), passwordPolicy: { hasher: fastHasher }, ...options })
  t.teardown(() => auth.close())
  return auth
}

t.test('100,000 junk requests from distinct /64s, then a new client signs in and refreshes', async (t) => {
  // No progressive delays (they would need a clock to wait out): the lock comes at the tenth failure.
  const auth = makeAuth(t, { rateLimit: { account: { freeAttempts: 10, lockAfter: 10 } } })
  let unavailable = 0
  await auth.signUp({ email: 'legit@example.com', name: 'Legit', pass: PASS }, { clientAddress: '192.0.2.1' })
  // A victim locked out before the flood: the flood must not clear the lock.
  await auth.signUp({ email: 'victim@example.com', name: 'Victim', pass: PASS }, { clientAddress: '192.0.2.2' })
  for (let i = 0; i < 11; i++) {
    await auth.signIn({ email: 'victim@example.com', pass: 'a wrong guess, long enough' }, { clientAddress: `198.51.100.${i + 1}` }).catch(() => undefined)
  }
  const locked = await auth.signIn({ email: 'victim@example.com', pass: PASS }, { clientAddress: '198.51.100.200' }).catch((e: { code: string }) => e.code)
  t.equal(locked, 'ERR_AUTH_ACCOUNT_LOCKED', 'the victim is locked before the flood')

  const TOTAL = 100_000
  const statuses = new Map<number, number>()
  const send = async (i: number) => {
    // Half: well-formed refresh tokens that name no session (each opens an address window).
    // Half: failed sign-ins with fresh emails (an address window and two account windows each).
    const request = i % 2 === 0
      ? post('/token/refresh', { refreshToken: `${randomUUID()}.${randomBytes(32).toString('base64url')}` })
      : post('/email/signin', { email: `junk-${i}@example.com`, pass: 'a wrong guess, long enough' })
    const response = await auth.handle(request, { clientAddress: network(i) })
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
    if (response.status === 503) unavailable++
  }
  const BATCH = 64
  for (let i = 0; i < TOTAL; i += BATCH) await Promise.all(Array.from({ length: Math.min(BATCH, TOTAL - i) }, (_, j) => send(i + j)))
  t.equal(unavailable, 0, `no junk request was answered 503 (statuses: ${JSON.stringify(Object.fromEntries(statuses))})`)
  t.same([...statuses.keys()].sort(), [401], 'every junk request was refused as such (401), none as unavailable')

  const newcomer = 'fd00:abcd:1234:5678::42'
  const signIn = await auth.handle(post('/email/signin', { email: 'legit@example.com', pass: PASS }), { clientAddress: newcomer })
  t.equal(signIn.status, 200, 'a legitimate sign-in from a new address succeeds')
  const { refreshToken } = (await signIn.json()) as { refreshToken: string }
  const refreshed = await auth.handle(post('/token/refresh', { refreshToken }), { clientAddress: newcomer })
  t.equal(refreshed.status, 200, 'and so does its refresh')
  const signUp = await auth.handle(post('/email/signup', { email: 'newcomer@example.com', name: 'New', pass: PASS }), { clientAddress: '203.0.113.99' })
  t.equal(signUp.status, 200, 'and a sign-up from another new address')

  const still = await auth.signIn({ email: 'victim@example.com', pass: PASS }, { clientAddress: '198.51.100.201' }).catch((e: { code: string }) => e.code)
  t.equal(still, 'ERR_AUTH_ACCOUNT_LOCKED', 'the lockout outlived the flood')
})

t.test('input refused for free charges no window', async (t) => {
  const auth = makeAuth(t, { rateLimit: { signUp: { limit: 2, window: 600 }, signIn: { limit: 2, window: 60 }, refresh: { limit: 2, window: 60 } } })
  const from = { clientAddress: '203.0.113.5' }
  const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: string }) => e.code)
  for (let i = 0; i < 5; i++) {
    t.equal(await code(auth.signUp({ email: `not an email ${i}`, name: 'N', pass: PASS }, from)), 'ERR_AUTH_INPUT_INVALID')
    t.equal(await code(auth.signUp({ email: `weak${i}@example.com`, name: 'N', pass: 'password' }, from)), 'ERR_AUTH_PASSWORD_WEAK')
    t.equal(await code(auth.signIn({ email: `@nobody${i}`, pass: PASS }, from)), 'ERR_AUTH_INPUT_INVALID')
    t.equal(await code(auth.refresh(`not-a-refresh-token-${i}`, from)), 'ERR_AUTH_REFRESH_INVALID')
  }
  t.equal(await code(auth.signUp({ email: 'real@example.com', name: 'Real', pass: PASS }, from)), 'ok', 'the address still has its sign-ups')
  t.equal(await code(auth.signIn({ email: 'real@example.com', pass: PASS }, from)), 'ok', 'and its sign-ins')
  const { refreshToken } = await auth.signIn({ email: 'real@example.com', pass: PASS }, from)
  t.equal(await code(auth.refresh(refreshToken!, from)), 'ok', 'and its refreshes')
  t.equal(await code(auth.signIn({ email: 'real@example.com', pass: PASS }, from)), 'ERR_AUTH_RATE_LIMITED', 'well-formed requests still count')
})

t.test('a MemoryRateLimitStore passed in (to size it) still keeps accounts in a budget of their own', async (t) => {
  const store = new MemoryRateLimitStore({ maxKeys: 2000 })
  const auth = makeAuth(t, { rateLimit: { store, account: { freeAttempts: 10, lockAfter: 10 } } })
  await auth.signUp({ email: 'victim@example.com', name: 'Victim', pass: PASS }, { clientAddress: '192.0.2.2' })
  for (let i = 0; i < 11; i++) {
    await auth.signIn({ email: 'victim@example.com', pass: 'a wrong guess, long enough' }, { clientAddress: `198.51.100.${i + 1}` }).catch(() => undefined)
  }
  // Junk refreshes, well under the refresh limit, hit about as often as the lock: they fill the address budget.
  for (let net = 0; net < 2050; net++) {
    await Promise.all(Array.from({ length: 8 }, () =>
      auth.handle(post('/token/refresh', { refreshToken: `${randomUUID()}.${randomBytes(32).toString('base64url')}` }), { clientAddress: network(net) })))
  }
  t.ok(store.evicted > 0, `the address budget was full (${store.evicted} windows given up)`)
  const still = await auth.signIn({ email: 'victim@example.com', pass: PASS }, { clientAddress: '198.51.100.201' }).catch((e: { code: string }) => e.code)
  t.equal(still, 'ERR_AUTH_ACCOUNT_LOCKED', 'the lockout is untouched')
})
