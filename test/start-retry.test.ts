// A start that fails (storage unreachable at the first ready() or the first
// request) is retried on the next call, never cached; close() after a failed
// start releases the storage. Against a wrapper that fails on demand, and
// against the real PostgreSQL server through a proxy that is down, then up.
import { createServer, connect, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { AuthCore, AuthError, type StoragePlugin } from '../lib/index.js'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'
import { basic } from '../plugins/methods/basic.js'
import { postgresStorage } from '../plugins/storage/postgres/index.js'
import { errorOf } from './helpers/auth.js'
import { newSecret } from './helpers/keys.js'
import { serverReachable, tablePrefix } from './helpers/storage-servers.js'
import pg from 'pg'
import mysql from 'mysql2/promise'
import { mysqlStorage } from '../plugins/storage/mysql/index.js'

/** SQLite in memory whose init() fails while `down` is true, counting calls. */
function flakyStorage() {
  const inner = sqliteStorage({ filename: ':memory:' })
  const state = { down: true, inits: 0, closes: 0 }
  const storage: StoragePlugin = {
    name: inner.name,
    sessions: inner.sessions,
    rateLimits: inner.rateLimits,
    transaction: (fn) => inner.transaction(fn),
    createUser: (user) => inner.createUser(user),
    findUserById: (id) => inner.findUserById(id),
    findUserByEmailKey: (key) => inner.findUserByEmailKey(key),
    updateUser: (id, patch) => inner.updateUser(id, patch),
    listUsers: (query) => inner.listUsers(query),
    deleteUser: (id) => inner.deleteUser(id),
    async init() {
      state.inits++
      // Give a second caller time to arrive while this attempt is in flight.
      await new Promise((resolve) => setTimeout(resolve, 20))
      if (state.down) throw new AuthError('ERR_AUTH_STORAGE_UNAVAILABLE', undefined, { cause: new Error('connection refused') })
      return inner.init()
    },
    async close() {
      state.closes++
      return inner.close()
    },
  }
  return { storage, state }
}

const PASS = 'correct horse battery staple'

t.test('a failed ready() is retried by the next call, not cached', async (t) => {
  const { storage, state } = flakyStorage()
  const auth = new AuthCore({ secret: newSecret(), storage })
  t.teardown(() => auth.close())
  // Two calls during one attempt share it: one init, one failure each.
  const [a, b] = await Promise.allSettled([auth.ready(), auth.ready()])
  t.equal(state.inits, 1, 'concurrent calls wait for the same start')
  t.equal(a.status, 'rejected')
  t.equal(b.status, 'rejected')
  t.equal((await errorOf(auth.ready())).code, 'ERR_AUTH_STORAGE_UNAVAILABLE', 'still down: a fresh attempt, a fresh failure')
  t.equal(state.inits, 2)
  state.down = false
  await auth.ready()
  t.equal(state.inits, 3, 'the database is back: the next call starts')
  await auth.ready()
  t.equal(state.inits, 3, 'once started, ready() does not start again')
  const { user } = await auth.signUp({ email: 'back@example.com', name: 'Back', pass: PASS })
  t.equal(user.email, 'back@example.com')
})

t.test("the first request's lazy start is retried too", async (t) => {
  const { storage, state } = flakyStorage()
  const auth = new AuthCore({ secret: newSecret(), storage })
  t.teardown(() => auth.close())
  t.equal((await errorOf(auth.signUp({ email: 'lazy@example.com', name: 'Lazy', pass: PASS }))).code, 'ERR_AUTH_STORAGE_UNAVAILABLE')
  const response = await auth.handle(new Request('http://localhost/auth/email/signin', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'lazy@example.com', pass: PASS }),
  }))
  t.equal(response.status, 503, 'over HTTP: the storage failure, not a cached one')
  state.down = false
  const { user } = await auth.signUp({ email: 'lazy@example.com', name: 'Lazy', pass: PASS })
  t.equal(user.email, 'lazy@example.com')
})

t.test('close() after a failed start releases the storage', async (t) => {
  const { storage, state } = flakyStorage()
  const auth = new AuthCore({ secret: newSecret(), storage })
  await errorOf(auth.ready())
  await auth.close()
  t.equal(state.closes, 1, 'the storage plugin was closed')
  t.equal((await errorOf(auth.ready())).code, 'ERR_AUTH_CLOSED')
})

t.test('close() while a start is under way: the start ends closed, nothing stays open', async (t) => {
  const { storage, state } = flakyStorage()
  state.down = false
  const auth = new AuthCore({ secret: newSecret(), storage })
  const starting = auth.ready()
  await auth.close()
  t.equal((await errorOf(starting)).code, 'ERR_AUTH_CLOSED')
  t.equal(state.closes, 1)
})

t.test('a plugin whose setup fails is retried; what the attempt set up is closed first; methods are set up once', async (t) => {
  const calls: string[] = []
  let fail = true
  const auth = new AuthCore({
    secret: newSecret(),
    storage: sqliteStorage({ filename: ':memory:' }),
    methods: [{ ...basic(), setup: () => void calls.push('setup method') }],
    plugins: [
      { name: 'first', setup: () => void calls.push('setup first'), close: () => void calls.push('close first') },
      {
        name: 'second',
        setup: () => {
          calls.push('setup second')
          if (fail) throw new Error('not yet')
        },
        close: () => void calls.push('close second'),
      },
    ],
  })
  t.teardown(() => auth.close())
  await errorOf(auth.ready())
  fail = false
  await auth.ready()
  t.same(calls, [
    'setup method', 'setup first', 'setup second', 'close second', 'close first', // the failed attempt, undone
    'setup first', 'setup second', // the retry: the method was set up already
  ])
})

// The real drivers: PostgreSQL and MariaDB behind a TCP proxy that refuses connections until told otherwise.

/** A TCP proxy to `target` that drops every connection while `up` is false. */
async function switchableProxy(t: Test, target: URL) {
  const state = { up: false, port: 0 }
  const sockets = new Set<Socket>()
  const proxy = createServer((client) => {
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    if (!state.up) return client.destroy()
    const server = connect(Number(target.port), target.hostname)
    sockets.add(server)
    server.on('close', () => sockets.delete(server))
    client.pipe(server).pipe(client)
    client.on('error', () => server.destroy())
    server.on('error', () => client.destroy())
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    proxy.close()
  })
  state.port = (proxy.address() as { port: number }).port
  return state
}

const servers = [
  {
    name: 'PostgreSQL',
    url: process.env.AUTHCORE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    probe: async (url: string) => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.end()
    },
    storage: (url: string, tables: ReturnType<typeof tableNames>) => postgresStorage({ connectionString: url, tables }),
    drop: async (url: string, tables: ReturnType<typeof tableNames>) => {
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.query(`drop table if exists ${Object.values(tables).map((n) => `"${n}"`).join(', ')}`)
      await client.end()
    },
  },
  {
    name: 'MariaDB',
    url: process.env.AUTHCORE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
    probe: async (url: string) => {
      const connection = await mysql.createConnection({ uri: url })
      await connection.end()
    },
    storage: (url: string, tables: ReturnType<typeof tableNames>) => mysqlStorage({ uri: url, tables }),
    drop: async (url: string, tables: ReturnType<typeof tableNames>) => {
      const connection = await mysql.createConnection({ uri: url })
      await connection.query(`drop table if exists ${Object.values(tables).map((n) => `\`${n}\``).join(', ')}`)
      await connection.end()
    },
  },
]

function tableNames() {
  const prefix = tablePrefix()
  return {
    users: `${prefix}_users`, migrations: `${prefix}_mig`, sessions: `${prefix}_sess`, rateLimits: `${prefix}_rl`,
    oneTimeTokens: `${prefix}_ott`, credentials: `${prefix}_cred`,
  }
}

for (const server of servers) {
  t.test(`${server.name} down at the first ready(), then up: the next ready() starts`, async (t) => {
    if (!(await serverReachable(t, server.name, server.url, () => server.probe(server.url)))) return
    const proxy = await switchableProxy(t, new URL(server.url))
    const proxied = new URL(server.url)
    proxied.port = String(proxy.port)
    const tables = tableNames()
    const auth = new AuthCore({ secret: newSecret(), storage: server.storage(proxied.href, tables) })
    t.teardown(async () => {
      await auth.close()
      await server.drop(server.url, tables)
    })
    t.equal((await errorOf(auth.ready())).code, 'ERR_AUTH_STORAGE_UNAVAILABLE', 'down: the driver error is mapped')
    proxy.up = true
    await auth.ready()
    const { user } = await auth.signUp({ email: 'back@example.com', name: 'Back', pass: PASS })
    t.equal(user.email, 'back@example.com')
  })
}
