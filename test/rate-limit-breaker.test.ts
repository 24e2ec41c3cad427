// A counter store that is down costs one timeout, not one per call: after a
// failure the limiter stops asking it for a cooldown, in both fail modes.
// Counted in store calls, never timed.
import { createServer, type Socket } from 'node:net'
import t from 'tap'
import { AuthCore, AuthError, type RateLimitStore } from '../lib/index.js'
import { Breaker } from '../lib/rate-limit/breaker.js'
import { redisRateLimitStore } from '../plugins/rate-limit/redis.js'
import { sqliteStorage } from '../plugins/storage/sqlite.js'
import { newSecret } from './helpers/keys.js'

const PASS = 'correct horse battery staple'

t.test('Breaker: open after a failure, one probe per cooldown, closed by a success', async (t) => {
  let clock = 0
  const breaker = new Breaker(1000, () => clock)
  t.ok(breaker.allow(), 'closed: calls go through')
  breaker.failed()
  t.notOk(breaker.allow(), 'open right after a failure')
  clock = 999
  t.notOk(breaker.allow(), 'still open within the cooldown')
  clock = 1000
  t.ok(breaker.allow(), 'after the cooldown: one probe')
  t.notOk(breaker.allow(), 'and only one')
  breaker.failed()
  clock = 1999
  t.notOk(breaker.allow(), 'the probe failed: open again')
  clock = 3000
  t.ok(breaker.allow(), 'the next probe')
  breaker.succeeded()
  t.ok(breaker.allow(), 'it succeeded: closed')
  t.ok(breaker.allow())
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

for (const failMode of ['open', 'closed'] as const) {
  t.test(`failMode '${failMode}': one failed store call per cooldown, not one per check`, async (t) => {
    const { store, state } = counted()
    const reports: string[] = []
    const auth = new AuthCore({ secret: newSecret(), storage: sqliteStorage({ filename: ':memory:' }), rateLimit: { store, failMode } })
    t.teardown(() => auth.close())
    auth.on('error', ({ event }) => void reports.push(event))
    await auth.createUser({ email: 'ada@example.com', name: 'Ada', pass: PASS })
    const from = { clientAddress: '203.0.113.7' }
    const outcome = () => auth.signIn({ email: 'ada@example.com', pass: PASS }, from).then(() => 'signed in', (e: { code: string }) => e.code)
    const expected = failMode === 'open' ? 'signed in' : 'ERR_AUTH_RATE_LIMIT_UNAVAILABLE'
    t.equal(await outcome(), expected)
    t.equal(state.calls, 1, 'the first check met the failure; the sign-in\'s other checks did not wait on the store')
    t.equal(await outcome(), expected, 'the next request, within the cooldown')
    t.equal(state.calls, 1, 'did not ask the store at all')
    if (failMode === 'open') t.same(reports, ['rate-limit'], 'the failure was reported once, not once per skipped call')
  })
}

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
