// The Redis counter store against the Redis server on this machine: the
// conformance suite (a client we pass in, and a URL the store connects to),
// Lua-safe keys, error mapping, and a Redis that goes away mid-run.
import t from 'tap'
import { Redis } from 'ioredis'
import { createServer, type Socket } from 'node:net'
import { redisRateLimitStore } from '../plugins/rate-limit/redis.js'
import { runRateLimitStoreConformance } from '../plugins/testing/index.js'
import { isAuthError } from '../lib/errors.js'
import { serverReachable, tablePrefix } from './helpers/storage-servers.js'

const url = process.env.AUTHCORE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const runPrefix = `authcore-test:${tablePrefix()}:`
const newClient = () => {
  const client = new Redis(url, { lazyConnect: true, commandTimeout: 2000, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: () => null })
  client.on('error', () => {}) // ours to handle: the store maps the failed commands
  return client
}
const admin = newClient()
t.teardown(async () => {
  // Drop every key this run left behind.
  if (admin.status === 'ready') {
    let cursor = '0'
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${runPrefix}*`, 'COUNT', 1000)
      if (keys.length > 0) await admin.del(...keys)
      cursor = next
    } while (cursor !== '0')
    await admin.quit()
  }
  admin.disconnect()
})

const elapsed = async (fn: () => Promise<unknown>) => {
  const started = Date.now()
  let error: unknown
  try {
    await fn()
  } catch (err) {
    error = err
  }
  return { error, ms: Date.now() - started }
}

if (await serverReachable(t, 'Redis', url, () => admin.ping())) {
  const clients = new Map<string, Redis>()
  runRateLimitStoreConformance(t, {
    name: 'redis (client passed in)',
    ownClock: true,
    create: (scope) => {
      const client = newClient()
      clients.set(scope, client)
      return redisRateLimitStore({ client }, { prefix: `${runPrefix}${scope}:` })
    },
    destroy: async (scope) => {
      const client = clients.get(scope)
      clients.delete(scope)
      if (client?.status === 'ready') await client.quit()
      client?.disconnect()
    },
    breakConnection: (_store, scope) => clients.get(scope)?.disconnect(),
  })

  runRateLimitStoreConformance(t, {
    name: 'redis (url)',
    ownClock: true,
    create: (scope) => redisRateLimitStore({ url }, { prefix: `${runPrefix}${scope}:` }),
  })

  t.test('keys are prefixed and passed as KEYS, so any bytes are safe', async (t) => {
    const store = redisRateLimitStore({ client: admin }, { prefix: `${runPrefix}bytes:` })
    const keys = ["']) redis.call('FLUSHALL') --", ']]\n return 0 --[[', '\0nul\0', '\r\n*3\r\n$3\r\nSET\r\n', '{hash}tag', '\u{1F600}']
    for (const key of keys) {
      t.equal((await store.hit(key, 60, Date.now())).count, 1, `${JSON.stringify(key)}: 1`)
      t.equal(await admin.get(`${runPrefix}bytes:${key}`), '1', `${JSON.stringify(key)}: stored under prefix + key`)
      t.ok((await admin.pttl(`${runPrefix}bytes:${key}`)) > 59_000, `${JSON.stringify(key)}: expires with the window`)
    }
    t.equal(await admin.dbsize() > 0, true, 'nothing was flushed')
  })

  t.test('close() leaves a client passed in open', async (t) => {
    const client = newClient()
    const store = redisRateLimitStore({ client }, { prefix: `${runPrefix}own:` })
    await store.hit('k', 60, Date.now())
    await store.close()
    t.equal(client.status, 'ready', 'still connected')
    t.equal(await client.get(`${runPrefix}own:k`), '1', 'and usable')
    await t.rejects(store.hit('k', 60, Date.now()), { code: 'ERR_AUTH_STORAGE_UNAVAILABLE' }, 'the closed store refuses work')
    await client.quit()
  })

  t.test('a script missing from the cache (SCRIPT FLUSH) is sent again', async (t) => {
    const store = redisRateLimitStore({ client: admin }, { prefix: `${runPrefix}flush:` })
    await store.hit('k', 60, Date.now())
    await admin.script('FLUSH')
    t.equal((await store.hit('k', 60, Date.now())).count, 2, 'hit after the flush')
    t.equal((await store.peek('k', Date.now()))?.count, 2, 'peek after the flush')
  })

  t.test('a counter key holding something else: ERR_AUTH_STORAGE_FAILED with the reply as cause', async (t) => {
    const store = redisRateLimitStore({ client: admin }, { prefix: `${runPrefix}wrong:` })
    await admin.set(`${runPrefix}wrong:text`, 'not a number', 'PX', 60_000)
    await t.rejects(store.hit('text', 60, Date.now()), { code: 'ERR_AUTH_STORAGE_FAILED', cause: { name: 'ReplyError' } })
    await admin.set(`${runPrefix}wrong:forever`, '7')
    t.equal((await store.hit('forever', 60, Date.now())).count, 8, 'a counter without expiry counts on')
    t.ok((await admin.pttl(`${runPrefix}wrong:forever`)) > 0, 'and gets the window as its expiry')
  })

  t.test('Redis going away mid-run: calls reject promptly with ERR_AUTH_STORAGE_UNAVAILABLE, no crash', async (t) => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => { unhandled.push(reason) }
    process.on('unhandledRejection', onUnhandled)
    t.teardown(() => { process.off('unhandledRejection', onUnhandled) })
    const client = newClient()
    const store = redisRateLimitStore({ client }, { prefix: `${runPrefix}gone:` })
    t.equal((await store.hit('k', 60, Date.now())).count, 1, 'works while connected')
    const inFlight = Promise.allSettled(Array.from({ length: 20 }, () => store.hit('k', 60, Date.now())))
    client.disconnect()
    const settled = await inFlight
    t.same(settled.filter((r) => r.status === 'rejected' && !isAuthError(r.reason, 'ERR_AUTH_STORAGE_UNAVAILABLE')), [],
      'in-flight calls: a result or STORAGE_UNAVAILABLE')
    for (const [name, run] of [['hit', () => store.hit('k', 60, Date.now())], ['peek', () => store.peek('k', Date.now())], ['reset', () => store.reset('k')]] as const) {
      const { error, ms } = await elapsed(run)
      t.ok(isAuthError(error, 'ERR_AUTH_STORAGE_UNAVAILABLE'), `${name}: STORAGE_UNAVAILABLE`)
      t.ok((error as Error | undefined)?.cause instanceof Error, `${name}: the client's error is the cause`)
      t.ok(ms < 1000, `${name}: within a second (${ms} ms)`)
    }
    await store.close()
    await new Promise((resolve) => setTimeout(resolve, 100))
    t.same(unhandled, [], 'no unhandled rejection')
  })
}

// These need no server: they are about a Redis that is not there.
t.test('a URL nobody listens on: ERR_AUTH_STORAGE_UNAVAILABLE within the timeout, and close() ends the client', async (t) => {
  const store = redisRateLimitStore({ url: 'redis://127.0.0.1:1' }, { prefix: 'x:', timeout: 1000 })
  for (let i = 0; i < 2; i++) {
    const { error, ms } = await elapsed(() => store.hit('k', 60, Date.now()))
    t.ok(isAuthError(error, 'ERR_AUTH_STORAGE_UNAVAILABLE'), `attempt ${i + 1}: STORAGE_UNAVAILABLE`)
    t.ok((error as Error | undefined)?.cause !== undefined, `attempt ${i + 1}: with a cause`)
    t.ok(ms < 2500, `attempt ${i + 1}: prompt (${ms} ms)`)
  }
  await store.close()
  await t.rejects(store.hit('k', 60, Date.now()), { code: 'ERR_AUTH_STORAGE_UNAVAILABLE' }, 'after close()')
})

t.test('a server that accepts but never answers: the timeout bounds every call', async (t) => {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => { sockets.add(socket) })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const s of sockets) s.destroy(); server.close() })
  const port = (server.address() as { port: number }).port
  const store = redisRateLimitStore({ url: `redis://127.0.0.1:${port}` }, { timeout: 300 })
  const { error, ms } = await elapsed(() => store.hit('k', 60, Date.now()))
  t.ok(isAuthError(error, 'ERR_AUTH_STORAGE_UNAVAILABLE'), 'STORAGE_UNAVAILABLE')
  t.ok(ms < 1500, `bounded by the timeout (${ms} ms)`)
  // A client passed in without any timeout of its own is bounded by the store's.
  const client = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true })
  client.on('error', () => {})
  const passed = redisRateLimitStore({ client }, { timeout: 300 })
  const second = await elapsed(() => passed.peek('k', Date.now()))
  t.ok(isAuthError(second.error, 'ERR_AUTH_STORAGE_UNAVAILABLE'), 'passed-in client: STORAGE_UNAVAILABLE')
  t.ok(second.ms < 1500, `passed-in client: bounded (${second.ms} ms)`)
  await store.close()
  await passed.close()
  client.disconnect()
})

t.test('options are checked when the factory is called', async (t) => {
  const bad: [unknown, unknown][] = [
    [undefined, undefined], [{}, undefined], [{ url: 'http://x' }, undefined], [{ url: '' }, undefined],
    [{ client: {} }, undefined], [{ client: admin, url }, undefined], [{ url }, { prefix: 3 }], [{ url }, { timeout: 0 }],
    [{ url }, null],
  ]
  for (const [connection, options] of bad) {
    const label = connection !== null && typeof connection === 'object' && 'client' in connection ? 'a client' : JSON.stringify(connection)
    t.throws(() => redisRateLimitStore(connection as never, options as never), TypeError, `rejects ${label} ${JSON.stringify(options)}`)
  }
  const store = redisRateLimitStore({ url })
  t.equal(store.prefix, 'authcore:rl:', 'default prefix')
  t.ok(Object.isFrozen(store), 'frozen')
  await store.close()
})
