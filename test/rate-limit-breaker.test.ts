// A counter store that is down costs one timeout, not one per call: after a
// failure the limiter stops asking it for a cooldown, in both fail modes.
// Counted in store calls, never timed.
import { createServer, type Socket } from 'node:net'
import t from 'tap'
import { AuthCore, AuthError, type RateLimitStore } from '../lib/index.js'
import { Breaker } from '../lib/rate-limit/breaker.js'
import { MemoryRateLimitStore } from '../lib/rate-limit/memory-store.js'
import { redisRateLimitStore } from '../plugins/rate-limit/redis.js'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'
import { newSecret } from './helpers/keys.js'

const PASS = 'correct horse battery staple'

t.test('Breaker: opens after failures in a row, one probe per cooldown, only the probe decides', async (t) => {
  let clock = 0
  const breaker = new Breaker(3, 1000, () => clock)
  const fail = () => breaker.report(breaker.allow()!, false)
  fail()
  breaker.report(breaker.allow()!, true)
  fail()
  fail()
  t.notOk(breaker.open, 'a success between failures: a blip, not an outage')
  const early = breaker.allow()! // a call that starts before the breaker opens...
  fail()
  t.ok(breaker.open, 'three failures in a row open it')
  t.equal(breaker.allow(), undefined, 'open: calls are refused')
  breaker.report(early, true)
  t.ok(breaker.open, '...and answers late cannot close it')
  clock = 999
  t.equal(breaker.allow(), undefined, 'still open within the cooldown')
  clock = 1000
  const probe = breaker.allow()
  t.equal(probe?.probe, true, 'after the cooldown: one probe')
  t.equal(breaker.allow(), undefined, 'and only one')
  breaker.report(probe!, false)
  clock = 1999
  t.equal(breaker.allow(), undefined, 'the probe failed: open again')
  clock = 2000
  const next = breaker.allow()!
  breaker.report(next, true)
  t.notOk(breaker.open, 'the next probe succeeded: closed')
  t.equal(breaker.allow()?.probe, false)
})

/** Wraps a store, counting calls, and failing every one while `down`. */
function counted(inner?: RateLimitStore) {
  const state = { calls: 0, down: true }
  const fail = async (): Promise<never> => {
    await new Promise((resolve) => setTimeout(resolve, 5))
    throw new AuthError('ERR_AUTH_STORAGE_UNAVAILABLE', undefined, { cause: new Error('down') })
  }
  const call = <T>(work: () => Promise<T>) => {
    state.calls++
    return state.down || !inner ? fail() : work()
  }
  const store: RateLimitStore = {
    hit: (key, window, now) => call(() => inner!.hit(key, window, now)),
    peek: (key, now) => call(() => inner!.peek(key, now)),
    reset: (key) => call(() => inner!.reset(key)),
  }
  return { store, state }
}

t.test("failMode 'open': a failing store costs a request one call, and limits still hold in this process", async (t) => {
  const { store, state } = counted()
  const reports: string[] = []
  const auth = new AuthCore({
    secret: newSecret(), storage: sqliteStorage({ filename: ':memory:' }),
    rateLimit: { store, failMode: 'open', account: { freeAttempts: 10, lockAfter: 10 } },
  })
  t.teardown(() => auth.close())
  auth.on('error', ({ event }) => void reports.push(event))
  await auth.createUser({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  const from = { clientAddress: '203.0.113.7' }
  const signIn = (pass: string) => auth.signIn({ email: 'ada@example.com', pass }, from).then(() => 'signed in', (e: { code: string }) => e.code)
  t.equal(await signIn(PASS), 'signed in', 'let through')
  t.equal(state.calls, 1, "the request's first check met the failure; its other checks did not wait on the store")
  await signIn(PASS)
  await signIn(PASS)
  t.equal(state.calls, 3, 'one call per request while failures are few')
  t.same(reports, ['rate-limit', 'rate-limit', 'rate-limit'], 'each failure reported once')
  const codes: string[] = []
  for (let i = 0; i < 11; i++) codes.push(await signIn('a wrong guess, long enough'))
  t.equal(state.calls, 3, 'three in a row opened the breaker: the store is not asked at all')
  t.equal(codes.at(-1), 'ERR_AUTH_ACCOUNT_LOCKED', 'the lockout still holds, counted in memory while the store is down')
})

t.test("failMode 'closed': refused at once while the store is out; a single blip opens nothing", async (t) => {
  const { store, state } = counted(new MemoryRateLimitStore())
  const auth = new AuthCore({ secret: newSecret(), storage: sqliteStorage({ filename: ':memory:' }), rateLimit: { store } })
  t.teardown(() => auth.close())
  await auth.createUser({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  const from = { clientAddress: '203.0.113.9' }
  const signIn = () => auth.signIn({ email: 'ada@example.com', pass: PASS }, from).then(() => 'signed in', (e: { code: string }) => e.code)
  t.equal(await signIn(), 'ERR_AUTH_RATE_LIMIT_UNAVAILABLE', 'a blip')
  state.down = false
  t.equal(await signIn(), 'signed in', 'the next request asks the store again and succeeds')
  state.down = true
  for (let i = 0; i < 3; i++) t.equal(await signIn(), 'ERR_AUTH_RATE_LIMIT_UNAVAILABLE')
  const before = state.calls
  t.equal(await signIn(), 'ERR_AUTH_RATE_LIMIT_UNAVAILABLE', 'an outage: refused...')
  t.equal(state.calls, before, '...without waiting on the store')
})

t.test('Redis that accepts but never answers: a sign-in pays one timeout, and auth.close() leaves the store to its owner', async (t) => {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => void sockets.add(socket))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const s of sockets) s.destroy()
    server.close()
  })
  const port = (server.address() as { port: number }).port
  const redis = redisRateLimitStore({ url: `redis://127.0.0.1:${port}` }, { timeout: 300 })
  const { store, state } = counted(redis)
  state.down = false // the real store decides: it times out
  const auth = new AuthCore({ secret: newSecret(), storage: sqliteStorage({ filename: ':memory:' }), rateLimit: { store, failMode: 'open' } })
  auth.on('error', () => undefined)
  await auth.createUser({ email: 'ada@example.com', name: 'Ada', pass: PASS })
  const { user } = await auth.signIn({ email: 'ada@example.com', pass: PASS }, { clientAddress: '203.0.113.8' })
  t.equal(user.email, 'ada@example.com', 'signed in, unlimited (fail open)')
  t.equal(state.calls, 1, 'one Redis call timed out; the rest were skipped')
  await auth.close()
  // The store was passed in: it is the caller's to close, and still usable until then.
  await t.rejects(redis.peek('k', Date.now()), { code: 'ERR_AUTH_STORAGE_UNAVAILABLE' }, 'still open (and still timing out)')
  await redis.close()
  await t.rejects(redis.peek('k', Date.now()), { code: 'ERR_AUTH_STORAGE_UNAVAILABLE' }, 'closed by its owner')
})
