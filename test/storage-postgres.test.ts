// The storage conformance kit against the PostgreSQL server on this machine.
import t from 'tap'
import pg from 'pg'
import { postgresStorage } from '../plugins/storage/postgres.js'
import { runStorageConformance } from '../plugins/testing/index.js'
import { isAuthError } from '../lib/errors.js'
import { serverReachable, tablePrefix } from './helpers/storage-servers.js'

const url = process.env.AUTHCORE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const admin = new pg.Pool({ connectionString: url, max: 2 })
admin.on('error', () => {})
t.teardown(() => admin.end())

const prefix = tablePrefix()
const tables = (scope: string) => ({
  users: `${prefix}_${scope}_users`, migrations: `${prefix}_${scope}_mig`, sessions: `${prefix}_${scope}_sess`, rateLimits: `${prefix}_${scope}_rl`,
  oneTimeTokens: `${prefix}_${scope}_ott`, credentials: `${prefix}_${scope}_cred`,
})
const drop = async (scope: string) => {
  const names = Object.values(tables(scope)).map((name) => `"${name}"`)
  await admin.query(`drop table if exists ${names.join(', ')}`)
}

// Caller-owned pools, one per scope, so breakConnection can end one.
const pools = new Map<string, { pool: pg.Pool; ended: boolean }>()
const poolFor = (scope: string) => {
  let entry = pools.get(scope)
  if (entry === undefined) {
    // connectionTimeoutMillis: calls queued when the pool is ended settle instead of hanging.
    entry = { pool: new pg.Pool({ connectionString: url, max: 5, connectionTimeoutMillis: 2000, application_name: `${prefix}_${scope}` }), ended: false }
    entry.pool.on('error', () => {}) // pg requires a listener on every pool
    pools.set(scope, entry)
  }
  return entry
}
const endPool = async (scope: string) => {
  const entry = pools.get(scope)
  if (entry !== undefined && !entry.ended) {
    entry.ended = true
    await entry.pool.end()
  }
}

if (await serverReachable(t, 'PostgreSQL', url, () => admin.query('select 1'))) {
  runStorageConformance(t, {
    name: 'postgres (connectionString)',
    create: (scope) => postgresStorage({ connectionString: url, tables: tables(scope) }),
    destroy: drop,
  })

  runStorageConformance(t, {
    name: 'postgres (caller pool)',
    create: (scope) => postgresStorage({ pool: poolFor(scope).pool, tables: tables(scope) }),
    destroy: async (scope) => { await endPool(scope); pools.delete(scope); await drop(scope) },
    breakConnection: (_plugin, scope) => endPool(scope),
  })

  t.test('killed backends: calls settle as a result or STORAGE_UNAVAILABLE, then recover', async (t) => {
    const scope = 'kill'
    const storage = postgresStorage({ pool: poolFor(scope).pool, tables: tables(scope) })
    t.teardown(async () => { await storage.close(); await endPool(scope); await drop(scope) })
    await storage.init()
    const user = await storage.createUser({ id: 'k1', email: 'k@x', emailKey: 'k@x', name: 'K', role: 'user', passwordHash: null })
    const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [`${prefix}_${scope}`])
    t.ok(killed.rowCount! > 0, 'backends terminated')
    const results = await Promise.allSettled([storage.findUserById(user.id), storage.findUserByEmailKey('k@x')])
    for (const r of results) {
      t.ok(r.status === 'fulfilled' || isAuthError(r.reason, 'ERR_AUTH_STORAGE_UNAVAILABLE'), 'a result or STORAGE_UNAVAILABLE')
    }
    t.equal((await storage.findUserById(user.id))?.id, user.id, 'the pool reconnects')
  })

  t.test('an unreachable server is STORAGE_UNAVAILABLE with the connection error as cause', async (t) => {
    const storage = postgresStorage({ connectionString: 'postgres://postgres@127.0.0.1:1/test', tables: tables('nowhere') })
    try {
      await storage.init()
      t.fail('init should reject')
    } catch (err) {
      t.ok(isAuthError(err, 'ERR_AUTH_STORAGE_UNAVAILABLE'), 'STORAGE_UNAVAILABLE')
      t.ok((err as Error).cause, 'cause kept')
    }
    await storage.close()
  })

  t.test('a duplicate id is ERR_AUTH_STORAGE_FAILED, not USER_EXISTS', async (t) => {
    const scope = 'dupid'
    const storage = postgresStorage({ connectionString: url, tables: tables(scope) })
    t.teardown(async () => { await storage.close(); await drop(scope) })
    await storage.init()
    const user = { id: 'same', email: 'a@x', emailKey: 'a@x', name: 'A', role: 'user', passwordHash: null }
    await storage.createUser(user)
    await t.rejects(storage.createUser({ ...user, emailKey: 'b@x' }), { code: 'ERR_AUTH_STORAGE_FAILED' })
    await t.rejects(storage.createUser({ ...user, id: 'other' }), { code: 'ERR_AUTH_USER_EXISTS' })
  })

  t.test('a database from before sessions, counters, tokens and credentials is upgraded in place', async (t) => {
    const scope = 'upgrade'
    const names = tables(scope)
    const first = postgresStorage({ connectionString: url, tables: tables(scope) })
    await first.init()
    await first.close()
    // Back to what the previous AuthCore version left: users and its migration only.
    await admin.query(`drop table "${names.sessions}", "${names.rateLimits}", "${names.oneTimeTokens}", "${names.credentials}"`)
    await admin.query(`delete from "${names.migrations}" where name <> '${names.users}:1'`)
    const plugins = [postgresStorage({ connectionString: url, tables: tables(scope) }), postgresStorage({ connectionString: url, tables: tables(scope) })]
    t.teardown(async () => { for (const p of plugins) await p.close(); await drop(scope) })
    await Promise.all(plugins.map((p) => p.init()))
    const now = new Date()
    const session = { id: 's1', familyId: 's1', userId: 'u1', secretHash: 'h', createdAt: now, expiresAt: new Date(+now + 1000), idleExpiresAt: new Date(+now + 1000) }
    await plugins[0]!.sessions.createSession(session)
    t.equal((await plugins[1]!.sessions.findSession('s1'))?.userId, 'u1', 'sessions work')
    t.equal((await plugins[1]!.rateLimits.hit('k', 60, now.getTime())).count, 1, 'counters work')
    const { rows } = await admin.query<{ name: string }>(`select name from "${names.migrations}" order by name`)
    t.same(rows.map((r) => r.name).sort(), [names.rateLimits, names.sessions, names.users, names.oneTimeTokens, names.credentials].map((n) => `${n}:1`).sort(),
      'each version recorded once')
    t.equal((await plugins[1]!.oneTimeTokens.revokeTokens('p', 'u1', now)), 0, 'one-time tokens work')
    t.same(await plugins[0]!.credentials.listCredentials('u1'), [], 'credentials work')
  })

  t.test('options are validated when the factory is called', async (t) => {
    for (const options of [{}, { pool: {} }, { connectionString: '' }, { pool: admin, connectionString: url }, { connectionString: url, max: 0 }]) {
      t.throws(() => postgresStorage(options as never), TypeError, `rejects ${Object.keys(options).join(', ') || 'nothing'}`)
    }
  })
}
