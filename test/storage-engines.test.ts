// The storage conformance kit and the cases every built-in engine shares, run
// from the one engine list (helpers/engines.ts): SQLite, PostgreSQL and
// MariaDB. A case for one engine only is keyed by its name here; SQLite's own
// file, memory and lock cases are in storage-sqlite.test.ts.
import t, { type Test } from 'tap'
import { runStorageConformance } from '../plugins/testing/index.js'
import { isAuthError } from '../lib/errors.js'
import { eachEngine, type Engine, type EngineName } from './helpers/engines.js'

/** A plugin opening its own connections, over the tables of `scope` (closed and removed when `t` ends). */
function ownStorage(t: Test, engine: Engine, scope: string) {
  const storage = engine.create({ ...engine.connection(scope), tables: engine.tables(scope) })
  t.teardown(async () => { await storage.close(); await engine.destroy(scope) })
  return storage
}

/** Options each factory refuses beyond those every factory refuses (below). */
const INVALID_CONNECTIONS: Record<EngineName, (engine: Engine) => unknown[]> = {
  sqlite: () => [{ filename: '' }, { filename: 3 }, { filename: 'a', database: {} }, { database: {} }, { filename: 'a', busyTimeout: -1 }],
  postgres: (engine) => [{ pool: {} }, { connectionString: '' }, { ...engine.connection('opts'), max: 0 }],
  mysql: (engine) => [{ pool: {} }, { uri: '' }, { ...engine.connection('opts'), connectionLimit: 0 }],
}

/** Selects `nn` (not null: 1 or 'NO') for the column named by the second parameter of the table named by the first, when it has one. */
const COLUMN_NOT_NULL: Record<EngineName, string> = {
  sqlite: `select "notnull" as nn from pragma_table_info(?) where name = ?`,
  postgres: `select is_nullable as nn from information_schema.columns
    where table_schema = current_schema() and table_name = ? and column_name = ?`,
  mysql: `select is_nullable as nn from information_schema.columns
    where table_schema = database() and table_name = ? and column_name = ?`,
}

/** A column as the engine describes it: [present, not null]. */
async function columnState(engine: Engine, scope: string, table: string, column: string): Promise<[boolean, boolean]> {
  const [row] = await engine.sql(scope, COLUMN_NOT_NULL[engine.name], [table, column])
  return [row !== undefined, row !== undefined && (row.nn === 1 || row.nn === 'NO')]
}

/** The names of `table`'s migration versions recorded in the scope's migrations table, in order. */
async function recordedVersions(engine: Engine, scope: string, table: string): Promise<unknown[]> {
  const migrations = engine.quote(engine.tables(scope).migrations)
  return (await engine.sql(scope, `select name from ${migrations} where name like ? order by name`, [`${table}:%`])).map((r) => r.name)
}

/**
 * A column a version 2 adds to a table version 1 made before it existed. From
 * a fresh init (which must have the column, `notNull` as given, and record
 * both versions), takes the schema back to what the previous AuthCore left:
 * no column, only version 1 recorded among the table's versions. Answers how
 * to open plugins on the scope, the column's state, the recorded versions,
 * and a re-run of version 2 once forgotten (answering the versions recorded).
 */
async function previousSchema(t: Test, engine: Engine, scope: string, table: 'users' | 'sessions' | 'oneTimeTokens', column: string, notNull: boolean) {
  const names = engine.tables(scope)
  const migrations = engine.quote(names.migrations)
  const versions = [`${names[table]}:1`, `${names[table]}:2`]
  const open = () => engine.create({ ...engine.connection(scope), tables: names })
  const state = () => columnState(engine, scope, names[table], column)
  const recorded = () => recordedVersions(engine, scope, names[table])
  const forget = () => engine.sql(scope, `delete from ${migrations} where name = ?`, [versions[1]])
  const fresh = open()
  await fresh.init()
  await fresh.close()
  t.same(await state(), [true, notNull], `a new table is created with the column, ${notNull ? 'not null' : 'nullable'}`)
  t.same(await recorded(), versions, 'on a new table, version 2 is recorded (a no-op)')
  await engine.sql(scope, `alter table ${engine.quote(names[table])} drop column ${column}`)
  await forget()
  t.same(await state(), [false, false], `the previous schema: no ${column}`)
  const rerun = async () => {
    await forget()
    const again = open()
    await again.init()
    await again.close()
    return recorded()
  }
  return { names, versions, open, state, recorded, rerun }
}

// Times of the rows the upgrade tests write as an older AuthCore did: 2023-11-14T22:13:20Z, and 2100-01-01 (not expired).
const created = 1_700_000_000_000
const future = 4_102_444_800_000

/** `ms` as each engine's timestamp column takes it, whatever the test connection's time zone. */
function engineTime(engine: Engine, ms: number): unknown {
  const iso = new Date(ms).toISOString()
  return { sqlite: ms, postgres: iso, mysql: iso.replace('T', ' ').replace('Z', '') }[engine.name]
}

/** Options as a test name: plain values as JSON, a pool or handle by its class. */
const describe = (options: unknown) => JSON.stringify(options, (key, value: unknown) =>
  key !== '' && typeof value === 'object' && value !== null && Object.getPrototypeOf(value) !== Object.prototype
    ? `[${value.constructor.name}]` : value) ?? String(options)

// The engines run side by side (each on tables or files of its own), as their
// three files once did, and the file has the three files' time budget.
t.jobs = 3
t.setTimeout(3 * 120_000)
eachEngine(t, 'storage', async (t, engine) => {
  runStorageConformance(t, {
    name: `${engine.name} (${engine.connectionKind})`,
    create: (scope) => engine.create({ ...engine.connection(scope), tables: engine.tables(scope) }),
    destroy: engine.destroy,
  })

  runStorageConformance(t, {
    name: `${engine.name} (${engine.lentKind})`,
    create: (scope) => engine.create({ ...engine.lent(scope).options, tables: engine.tables(scope) }),
    destroy: engine.destroy,
    breakConnection: (_plugin, scope) => engine.lent(scope).end(),
  })

  t.test('options are validated when the factory is called', async (t) => {
    const connection = engine.connection('opts')
    t.teardown(() => engine.destroy('opts'))
    const bad: unknown[] = [
      undefined, null, 'x', {}, { ...connection, ...engine.lent('opts').options },
      ...INVALID_CONNECTIONS[engine.name](engine),
      ...[
        { users: 'bad name' }, { users: 'users; drop table x' }, { tokens: 'x' }, { sessions: 'bad-name' }, { rateLimits: 'users' },
        { sessions: 'Counters', rateLimits: 'counters' }, { oneTimeTokens: 'bad-name' }, { credentials: 'Users' }, { users: 'same', migrations: 'SAME' },
      ].map((tables) => ({ ...connection, tables })),
      { ...connection, onWarning: 'log' },
    ]
    for (const options of bad) t.throws(() => engine.create(options), TypeError, `rejects ${describe(options)}`)
    const plugin = engine.create({ ...connection, tables: { users: 'app_users' } })
    t.ok(Object.isFrozen(plugin), 'the plugin object is frozen')
    t.equal(plugin.name, engine.name)
    t.same(plugin.adoptionConflicts, [], 'no conflicts before init')
  })

  t.test('a duplicate id is ERR_AUTH_STORAGE_FAILED, not USER_EXISTS; a table without id cannot be adopted', async (t) => {
    const storage = ownStorage(t, engine, 'dupid')
    await storage.init()
    const user = { id: 'same', email: 'a@x', emailKey: 'a@x', name: 'A', role: 'user', passwordHash: null }
    await storage.createUser(user)
    await t.rejects(storage.createUser({ ...user, emailKey: 'b@x' }), { code: 'ERR_AUTH_STORAGE_FAILED' }, 'duplicate id')
    await t.rejects(storage.createUser({ ...user, id: 'other' }), { code: 'ERR_AUTH_USER_EXISTS' }, 'duplicate key')

    const scope = 'noid'
    await engine.sql(scope, `create table ${engine.quote(engine.tables(scope).users)} (email varchar(255), name varchar(255))`)
    const bad = ownStorage(t, engine, scope)
    await t.rejects(bad.init(), { code: 'ERR_AUTH_STORAGE_FAILED', message: /no id column/ }, 'init refuses a table without id')
  })

  t.test('a database from before sessions, counters, tokens and credentials is upgraded in place', async (t) => {
    const scope = 'upgrade'
    const names = engine.tables(scope)
    const open = () => engine.create({ ...engine.connection(scope), tables: names })
    const first = open()
    await first.init()
    await first.close()
    // Back to what the previous AuthCore version left: users and its migration only.
    for (const table of [names.sessions, names.rateLimits, names.oneTimeTokens, names.credentials]) {
      await engine.sql(scope, `drop table ${engine.quote(table)}`)
    }
    await engine.sql(scope, `delete from ${engine.quote(names.migrations)} where name <> ?`, [`${names.users}:1`])
    const plugins = [open(), open()] as const
    t.teardown(async () => { for (const p of plugins) await p.close(); await engine.destroy(scope) })
    await Promise.all(plugins.map((p) => p.init()))
    const now = new Date()
    const session = { id: 's1', familyId: 's1', userId: 'u1', secretHash: 'h', createdAt: now, expiresAt: new Date(+now + 1000), idleExpiresAt: new Date(+now + 1000) }
    await plugins[0].sessions.createSession(session)
    t.equal((await plugins[1].sessions.findSession('s1'))?.userId, 'u1', 'sessions work')
    t.equal((await plugins[1].rateLimits.hit('k', 60, now.getTime())).count, 1, 'counters work')
    const rows = await engine.sql(scope, `select name from ${engine.quote(names.migrations)} order by name`)
    t.same(rows.map((r) => r.name).sort(),
      [...[names.rateLimits, names.sessions, names.users, names.oneTimeTokens, names.credentials].map((n) => `${n}:1`),
        `${names.users}:2`, `${names.sessions}:2`, `${names.oneTimeTokens}:2`].sort(),
      'each version recorded once')
    t.equal((await plugins[1].oneTimeTokens.revokeTokens('p', 'u1', now)), 0, 'one-time tokens work')
    t.same(await plugins[0].credentials.listCredentials('u1'), [], 'credentials work')
  })

  t.test('a users table from before email_verified gains it in place, every existing row unverified', async (t) => {
    const scope = 'verified'
    const { names, versions, open, state, recorded, rerun } = await previousSchema(t, engine, scope, 'users', 'email_verified', true)
    const users = engine.quote(names.users)
    const old = [
      ['v1', 'v1@example.com', 'V One', 'hash-1', 'user', 'v1@example.com', 0, 0],
      ['v2', 'v2@example.com', 'V Two', null, 'admin', 'v2@example.com', 3, 1],
    ] as const
    // 2023-11-14T22:13:20Z.
    const time = engineTime(engine, 1_700_000_000_000)
    for (const [id, email, name, pass, role, key, version, disabled] of old) {
      await engine.sql(scope, `insert into ${users} (id, email, name, pass, role, email_key, created_at, updated_at, token_version, disabled)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [id, email, name, pass, role, key, time, time, version, engine.name === 'postgres' ? disabled === 1 : disabled])
    }

    // Two processes upgrade at once, as in production.
    const plugins = [open(), open()] as const
    t.teardown(async () => { for (const p of plugins) await p.close(); await engine.destroy(scope) })
    await Promise.all(plugins.map((p) => p.init()))
    t.same(await recorded(), versions, 'version 2 applied and recorded once')
    t.same(await state(), [true, true], 'email_verified added, not null')
    const rows = await engine.sql(scope, `select id, email_verified from ${users} order by id`)
    t.same(rows.map((r) => [r.id, r.email_verified === true || Number(r.email_verified) === 1]), [['v1', false], ['v2', false]],
      'the column holds false on every existing row')
    for (const [id, email, name, pass, role, key, version, disabled] of old) {
      const user = await plugins[1].findUserById(id)
      t.same(user && [user.email, user.name, user.passwordHash, user.role, user.emailKey, user.tokenVersion, user.disabled, user.createdAt.getTime(), user.emailVerified],
        [email, name, pass, role, key, version, disabled === 1, 1_700_000_000_000, false], `${id}: every value kept, emailVerified false`)
    }
    t.equal((await plugins[0].findUserByEmailKey('v2@example.com'))?.emailVerified, false, 'found by key, not verified')
    t.equal((await plugins[0].updateUser('v1', { emailVerified: true }))?.emailVerified, true, 'the new column is written')
    t.equal((await plugins[1].findUserById('v1'))?.emailVerified, true, 'and read back')
    const created = await plugins[1].createUser({ id: 'v3', email: 'v3@x', emailKey: 'v3@x', name: 'V3', role: 'user', passwordHash: null, emailVerified: true })
    t.equal(created.emailVerified, true, 'createUser writes it on the upgraded table')
    t.same((await plugins[0].listUsers({ limit: 10 })).users.map((u) => [u.id, u.emailVerified]), [['v1', true], ['v2', false], ['v3', true]], 'listUsers reads it')

    // Idempotent: a later init changes nothing, even with version 2 forgotten.
    t.same(await rerun(), versions, 'a re-run of version 2 is a no-op, recorded again')
    t.equal((await plugins[0].findUserById('v1'))?.emailVerified, true, 'values survive a later init')
  })

  t.test('a one-time-tokens table from before revoked gains it in place, every existing token not revoked', async (t) => {
    const scope = 'revoked'
    const { names, versions, open, state, recorded, rerun } = await previousSchema(t, engine, scope, 'oneTimeTokens', 'revoked', true)
    const tokens = engine.quote(names.oneTimeTokens)
    const old = [
      // id, purpose, user id, secret hash, payload, expires at, consumed at (ms or null)
      ['t-usable', 'kit:reset', 'u1', 'hash-usable', '{"n":1}', future, null],
      ['t-consumed', 'kit:reset', 'u1', 'hash-consumed', null, future, created + 1000],
      // Revoked by the previous version: consumed_at set, nothing more to tell it apart.
      ['t-revoked-before', 'kit:reset', 'u1', 'hash-revoked-before', null, future, created + 2000],
      ['t-expired', 'kit:verify', null, 'hash-expired', '{"e":true}', created + 60_000, null],
    ] as const
    for (const [id, purpose, userId, hash, payload, expires, consumed] of old) {
      await engine.sql(scope, `insert into ${tokens} (id, purpose, user_id, secret_hash, payload, created_at, expires_at, consumed_at)
        values (?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, purpose, userId, hash, payload, engineTime(engine, created), engineTime(engine, expires), consumed === null ? null : engineTime(engine, consumed)])
    }

    // Two processes upgrade at once, as in production.
    const plugins = [open(), open()] as const
    t.teardown(async () => { for (const p of plugins) await p.close(); await engine.destroy(scope) })
    await Promise.all(plugins.map((p) => p.init()))
    t.same(await recorded(), versions, 'version 2 applied and recorded once')
    t.same(await state(), [true, true], 'revoked added, not null')
    const raw = async () => (await engine.sql(scope, `select id, revoked from ${tokens} order by id`))
      .map((r) => [r.id, r.revoked === true || Number(r.revoked) === 1])
    t.same(await raw(), [['t-consumed', false], ['t-expired', false], ['t-revoked-before', false], ['t-usable', false]],
      'the column holds false on every existing row')
    for (const [id, purpose, userId, hash, payload, expires, consumed] of old) {
      const token = await plugins[1].oneTimeTokens.lookupToken(purpose, hash)
      t.same(token && [token.id, token.userId, token.payload, token.createdAt.getTime(), token.expiresAt.getTime(), token.consumedAt?.getTime() ?? null],
        [id, userId, payload === null ? null : JSON.parse(payload), created, expires, consumed], `${id}: every value kept`)
      t.equal(token?.revoked, false, `${id}: revoked false`)
    }
    const now = new Date()
    t.equal((await plugins[0].oneTimeTokens.findToken('kit:reset', 'hash-usable', now))?.revoked, false, 'a usable token is found, not revoked')

    // The new column is written by the revocations and read back.
    t.equal(await plugins[0].oneTimeTokens.revokeTokens('kit:reset', 'u1', now), 1, 'revokeTokens: the one usable token')
    const lookup = async (hash: string) => {
      const token = await plugins[1].oneTimeTokens.lookupToken('kit:reset', hash)
      return token && [token.consumedAt?.getTime() ?? null, token.revoked]
    }
    t.same(await lookup('hash-usable'), [now.getTime(), true], 'revoked, at now')
    t.same(await lookup('hash-consumed'), [created + 1000, false], 'a consumed token is left as it was')
    const first = await plugins[1].oneTimeTokens.createToken({
      id: 't-new-1', purpose: 'kit:reset', userId: 'u1', secretHash: 'hash-new-1', payload: null, createdAt: now, expiresAt: new Date(future),
    })
    t.equal(first.revoked, false, 'createToken on the upgraded table: not revoked')
    const later = new Date(now.getTime() + 1000)
    const second = await plugins[0].oneTimeTokens.createToken({
      id: 't-new-2', purpose: 'kit:reset', userId: 'u1', secretHash: 'hash-new-2', payload: null, createdAt: later, expiresAt: new Date(future),
    }, { revokeOthers: true })
    t.equal(second.revoked, false, 'the new token is not revoked')
    t.same(await lookup('hash-new-1'), [later.getTime(), true], 'revokeOthers marks the older one revoked')
    t.equal((await plugins[1].oneTimeTokens.consumeToken('kit:reset', 'hash-new-2', later))?.revoked, false, 'a consume: not revoked')
    t.same(await lookup('hash-new-2'), [later.getTime(), false], 'and reads back consumed, not revoked')

    // Idempotent: a later init changes nothing, even with version 2 forgotten.
    t.same(await rerun(), versions, 'a re-run of version 2 is a no-op, recorded again')
    t.same(await raw(), [['t-consumed', false], ['t-expired', false], ['t-new-1', true], ['t-new-2', false], ['t-revoked-before', false], ['t-usable', true]],
      'values survive a later init')
  })

  t.test('a sessions table from before method gains it in place, every existing session with none', async (t) => {
    const scope = 'method'
    const { names, versions, open, state, recorded, rerun } = await previousSchema(t, engine, scope, 'sessions', 'method', false)
    const sessions = engine.quote(names.sessions)
    const old = [
      // id, family, user, secret hash, consumed at, successor
      ['s-first', 's-first', 'u1', 'hash-first', created + 1000, 's-second'],
      ['s-second', 's-first', 'u1', 'hash-second', null, null],
    ] as const
    for (const [id, family, userId, hash, consumed, successor] of old) {
      await engine.sql(scope, `insert into ${sessions} (id, family_id, user_id, secret_hash, created_at, expires_at, idle_expires_at, consumed_at, successor_id)
        values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [id, family, userId, hash, engineTime(engine, created), engineTime(engine, future), engineTime(engine, future),
        consumed === null ? null : engineTime(engine, consumed), successor])
    }

    // Two processes upgrade at once, as in production.
    const plugins = [open(), open()] as const
    t.teardown(async () => { for (const p of plugins) await p.close(); await engine.destroy(scope) })
    await Promise.all(plugins.map((p) => p.init()))
    t.same(await recorded(), versions, 'version 2 applied and recorded once')
    t.same(await state(), [true, false], 'method added, nullable')
    const raw = async () => (await engine.sql(scope, `select id, method from ${sessions} order by id`)).map((r) => [r.id, r.method])
    t.same(await raw(), [['s-first', null], ['s-second', null]], 'the column holds NULL on every existing row')
    for (const [id, family, userId, hash, consumed, successor] of old) {
      const session = await plugins[1].sessions.findSession(id)
      t.same(session && [session.familyId, session.userId, session.secretHash, session.createdAt.getTime(), session.expiresAt.getTime(),
        session.consumedAt?.getTime() ?? null, session.successorId, session.revokedAt, session.method],
      [family, userId, hash, created, future, consumed, successor, null, null], `${id}: every value kept, method null`)
    }

    // The new column is written by createSession and rotateSession, and read back.
    const now = new Date()
    const newSession = (id: string, familyId: string, method?: string) => ({
      id, familyId, userId: 'u1', secretHash: `hash-${id}`, createdAt: now, expiresAt: new Date(future), idleExpiresAt: new Date(future),
      ...(method === undefined ? {} : { method }),
    })
    t.equal((await plugins[0].sessions.createSession(newSession('s-new', 's-new', 'oauth:corp'))).method, 'oauth:corp', 'createSession on the upgraded table')
    t.equal((await plugins[1].sessions.findSession('s-new'))?.method, 'oauth:corp', 'and read back')
    const rotated = await plugins[1].sessions.rotateSession('s-new', newSession('s-new-2', 's-new', 'oauth:corp'), now)
    t.equal(rotated.rotated && rotated.successor.method, 'oauth:corp', 'a rotation stores the successor\'s method')
    await plugins[0].sessions.rotateSession('s-second', newSession('s-third', 's-first'), now)
    // Newest first, then by id descending: both were created at now.
    t.same((await plugins[0].sessions.listUserSessions('u1', now)).map((s) => [s.id, s.method]), [['s-third', null], ['s-new-2', 'oauth:corp']],
      'listUserSessions reads it; an old family\'s successor has none')

    // Idempotent: a later init changes nothing, even with version 2 forgotten.
    t.same(await rerun(), versions, 'a re-run of version 2 is a no-op, recorded again')
    t.same(await raw(), [['s-first', null], ['s-new', 'oauth:corp'], ['s-new-2', 'oauth:corp'], ['s-second', null], ['s-third', null]],
      'values survive a later init')
  })

  const { unreachable } = engine
  if (unreachable !== undefined) {
    t.test('an unreachable server is STORAGE_UNAVAILABLE with the connection error as cause', async (t) => {
      const storage = engine.create({ ...unreachable, tables: engine.tables('nowhere') })
      try {
        await storage.init()
        t.fail('init should reject')
      } catch (err) {
        t.ok(isAuthError(err, 'ERR_AUTH_STORAGE_UNAVAILABLE'), 'STORAGE_UNAVAILABLE')
        t.ok((err as Error).cause, 'cause kept')
      }
      await storage.close()
    })
  }

  const { kill } = engine
  if (kill !== undefined) {
    t.test('killed connections: calls settle as a result or STORAGE_UNAVAILABLE, then recover', async (t) => {
      const scope = 'kill'
      const storage = engine.create({ ...engine.lent(scope).options, tables: engine.tables(scope) })
      t.teardown(async () => { await storage.close(); await engine.destroy(scope) })
      await storage.init()
      const user = await storage.createUser({ id: 'k1', email: 'k@x', emailKey: 'k@x', name: 'K', role: 'user', passwordHash: null })
      t.ok((await kill(scope)) > 0, 'connections killed')
      const results = await Promise.allSettled([storage.findUserById(user.id), storage.findUserByEmailKey('k@x'), storage.listUsers({ limit: 5 })])
      for (const r of results) {
        t.ok(r.status === 'fulfilled' || isAuthError(r.reason, 'ERR_AUTH_STORAGE_UNAVAILABLE'),
          `a result or STORAGE_UNAVAILABLE (${r.status === 'rejected' ? String(r.reason) : 'ok'})`)
      }
      t.equal((await storage.findUserById(user.id))?.id, user.id, 'the pool reconnects')
    })
  }

  if (engine.name === 'mysql') {
    t.test('binary no-pad collation on the key and id columns', async (t) => {
      const scope = 'coll'
      await ownStorage(t, engine, scope).init()
      const rows = await engine.sql(scope, `select column_name as c, collation_name as k from information_schema.columns
        where table_schema = database() and table_name = ? and column_name in ('id', 'email_key') order by column_name`, [engine.tables(scope).users])
      t.same(rows.map((r) => [r.c, r.k]), [['email_key', 'utf8mb4_nopad_bin'], ['id', 'utf8mb4_nopad_bin']])
    })
  }
})
