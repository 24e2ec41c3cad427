// SQLite only: the conformance kit in memory (a handle the caller owns, and
// ':memory:' by filename), then the file itself: WAL, isolation of readers,
// locks, an upgrade from the previous schema, raw rows. The kit on a file and
// the cases every engine shares run in storage-engines.test.ts.
import t from 'tap'
import Database from 'better-sqlite3'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'
import { runStorageConformance } from '../plugins/testing/index.js'
import { isAuthError } from '../lib/errors.js'
import type { KyselyStoragePlugin } from '../plugins/storage/sqlite/index.js'

const dir = mkdtempSync(join(tmpdir(), 'authcore-sqlite-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

// Handles the caller owns: the plugin never closes them, so the test can.
const handles = new Map<string, Database.Database[]>()
const openHandle = (scope: string) => {
  const db = new Database(':memory:')
  handles.set(scope, [...(handles.get(scope) ?? []), db])
  return db
}
const closeHandles = (scope: string) => {
  for (const db of handles.get(scope) ?? []) if (db.open) db.close()
  handles.delete(scope)
}

runStorageConformance(t, {
  name: 'sqlite :memory:',
  create: (scope) => sqliteStorage({ database: openHandle(scope) }),
  destroy: closeHandles,
  breakConnection: (_plugin, scope) => { for (const db of handles.get(scope) ?? []) db.close() },
  sharedScope: false,
})

runStorageConformance(t, {
  name: 'sqlite :memory: (filename)',
  create: () => sqliteStorage({ filename: ':memory:' }),
  sharedScope: false,
})

t.test('the file is created by init(), in WAL mode, and reused by the next instance', async (t) => {
  const filename = join(dir, 'reuse.db')
  const first = sqliteStorage({ filename })
  await first.init()
  const user = await first.createUser({ id: 'u1', email: 'A@b.c', emailKey: 'a@b.c', name: 'A', role: 'user', passwordHash: null })
  await first.close()
  const raw = new Database(filename)
  t.equal(raw.pragma('journal_mode', { simple: true }), 'wal', 'WAL mode')
  t.same(raw.prepare('select name from authcore_migrations order by name').all().map((r) => (r as { name: string }).name),
    ['authcore_credentials:1', 'authcore_one_time_tokens:1', 'authcore_one_time_tokens:2', 'authcore_rate_limits:1', 'authcore_sessions:1',
      'authcore_sessions:2', 'users:1', 'users:2'], 'each migration recorded once')
  raw.close()
  const second = sqliteStorage({ filename })
  await second.init()
  t.equal((await second.findUserByEmailKey('a@b.c'))?.id, user.id, 'data persisted')
  await second.close()
})

t.test('reads outside a transaction never see its uncommitted rows', async (t) => {
  for (const filename of [join(dir, 'isolation.db'), ':memory:']) {
    const plugin = sqliteStorage({ filename })
    await plugin.init()
    let outside: Promise<unknown> | undefined
    await plugin.transaction(async (tx) => {
      await tx.createUser({ id: 'iso', email: 'i@x', emailKey: 'i@x', name: 'I', role: 'user', passwordHash: null })
      outside = plugin.findUserByEmailKey('i@x')
      if (filename !== ':memory:') t.equal(await outside, undefined, `${filename}: not visible before commit`)
    })
    // In memory the outside read waits for the transaction, then sees the committed row.
    if (filename === ':memory:') t.equal(((await outside) as { id: string } | undefined)?.id, 'iso', ':memory: read waits for commit')
    t.equal((await plugin.findUserByEmailKey('i@x'))?.id, 'iso', `${filename}: visible after commit`)
    await plugin.close()
  }
})

t.test('a locked database is ERR_AUTH_STORAGE_UNAVAILABLE with the SQLITE_BUSY cause', async (t) => {
  const filename = join(dir, 'busy.db')
  const plugin = sqliteStorage({ filename, busyTimeout: 50 })
  await plugin.init()
  const blocker = new Database(filename)
  blocker.prepare('begin exclusive').run()
  try {
    await plugin.createUser({ id: 'b', email: 'b@x', emailKey: 'b@x', name: 'B', role: 'user', passwordHash: null })
    t.fail('expected a busy error')
  } catch (err) {
    t.ok(isAuthError(err, 'ERR_AUTH_STORAGE_UNAVAILABLE'), 'mapped to STORAGE_UNAVAILABLE')
    t.match(String((err as { cause?: { code?: string } }).cause?.code), /^SQLITE_BUSY/, 'cause is the driver error')
  } finally {
    blocker.prepare('rollback').run()
    blocker.close()
    await plugin.close()
  }
})

t.test('a database from before sessions, counters and email_verified is upgraded in place', async (t) => {
  const filename = join(dir, 'upgrade.db')
  // Exactly what the previous AuthCore version created.
  const old = new Database(filename)
  old.exec(`create table users (id text not null primary key, email text, name text, pass text, role text, email_key text,
      created_at integer, updated_at integer, token_version integer not null default 0, disabled integer not null default 0);
    create unique index users_email_key_uq on users (email_key);
    create table authcore_migrations (name varchar(190) not null primary key, applied_at integer);
    insert into authcore_migrations values ('users:1', 1);
    insert into users values ('u1', 'a@b.c', 'A', null, 'user', 'a@b.c', 1, 1, 0, 0);
    insert into users values ('u2', 'd@b.c', 'D', 'h', 'admin', 'd@b.c', 2, 3, 4, 1);`)
  old.close()
  const plugins = [sqliteStorage({ filename }), sqliteStorage({ filename })]
  await Promise.all(plugins.map((p) => p.init()))
  const [plugin] = plugins as [KyselyStoragePlugin]
  t.equal((await plugin.findUserById('u1'))?.email, 'a@b.c', 'the existing user is intact')
  const u2 = await plugin.findUserByEmailKey('d@b.c')
  t.same([u2?.passwordHash, u2?.role, u2?.tokenVersion, u2?.disabled, u2?.createdAt.getTime(), u2?.updatedAt.getTime(), u2?.emailVerified],
    ['h', 'admin', 4, true, 2, 3, false], 'existing rows keep every value and read as not verified')
  t.equal((await plugin.updateUser('u1', { emailVerified: true }))?.emailVerified, true, 'the new column is written')
  t.equal((await plugin.findUserById('u1'))?.emailVerified, true, 'and read back')
  const now = new Date()
  const session = { id: 's1', familyId: 's1', userId: 'u1', secretHash: 'h', createdAt: now, expiresAt: new Date(+now + 1000), idleExpiresAt: new Date(+now + 1000) }
  await plugin.sessions.createSession(session)
  t.equal((await plugin.sessions.findSession('s1'))?.userId, 'u1', 'sessions work')
  t.equal((await plugin.rateLimits.hit('k', 60, now.getTime())).count, 1, 'counters work')
  for (const p of plugins) await p.close()
  const raw = new Database(filename)
  t.same(raw.prepare('select name from authcore_migrations order by name').all().map((r) => (r as { name: string }).name),
    ['authcore_credentials:1', 'authcore_one_time_tokens:1', 'authcore_one_time_tokens:2', 'authcore_rate_limits:1', 'authcore_sessions:1',
      'authcore_sessions:2', 'users:1', 'users:2'],
    'the new versions recorded once')
  t.same(raw.prepare("select name, type, \"notnull\", dflt_value from pragma_table_info('users') where name = 'email_verified'").all(),
    [{ name: 'email_verified', type: 'INTEGER', notnull: 1, dflt_value: '0' }], 'email_verified added as integer not null default 0')
  t.same(raw.prepare('select id, email_verified from users order by id').all(), [{ id: 'u1', email_verified: 1 }, { id: 'u2', email_verified: 0 }],
    'stored as 0/1')
  const indexes = (table: string) => raw.prepare("select sql from sqlite_master where type = 'index' and tbl_name = ? and sql is not null order by name")
    .all(table).map((r) => (r as { sql: string }).sql)
  t.same(indexes('authcore_sessions'), [
    'CREATE INDEX "authcore_sessions_family_idx" on "authcore_sessions" ("family_id")',
    'CREATE INDEX "authcore_sessions_user_idx" on "authcore_sessions" ("user_id")',
  ], 'family and user indexes')
  t.same(indexes('authcore_one_time_tokens'), [
    'CREATE INDEX "authcore_one_time_tokens_expiry_idx" on "authcore_one_time_tokens" ("expires_at")',
    'CREATE UNIQUE INDEX "authcore_one_time_tokens_secret_uq" on "authcore_one_time_tokens" ("secret_hash")',
    'CREATE INDEX "authcore_one_time_tokens_user_idx" on "authcore_one_time_tokens" ("purpose", "user_id")',
  ], 'tokens: unique secret hash, (purpose, user) and expiry indexes')
  t.same(indexes('authcore_credentials'), [
    'CREATE UNIQUE INDEX "authcore_credentials_subject_uq" on "authcore_credentials" ("kind", "subject")',
    'CREATE INDEX "authcore_credentials_user_idx" on "authcore_credentials" ("user_id", "kind")',
  ], 'credentials: unique (kind, subject), (user, kind) index')
  raw.close()
})

t.test('storage.sessions, rateLimits, oneTimeTokens and credentials tables are configurable', async (t) => {
  const filename = join(dir, 'named.db')
  const plugin = sqliteStorage({
    filename, tables: { sessions: 'my_sessions', rateLimits: 'my_counters', oneTimeTokens: 'my_tokens', credentials: 'my_credentials' },
  })
  await plugin.init()
  await plugin.rateLimits.hit('k', 60, 1)
  const now = new Date(1000)
  await plugin.oneTimeTokens.createToken({
    id: 't1', purpose: 'p', userId: null, secretHash: 'h', payload: null, createdAt: now, expiresAt: new Date(2000),
  })
  await plugin.credentials.createCredential({ id: 'c1', userId: 'u1', kind: 'k', subject: 's', data: { a: 1 } })
  await plugin.close()
  const raw = new Database(filename)
  const names = raw.prepare("select name from sqlite_master where type = 'table' order by name").all().map((r) => (r as { name: string }).name)
  t.same(names, ['authcore_migrations', 'my_counters', 'my_credentials', 'my_sessions', 'my_tokens', 'users'], 'tables under the given names')
  t.same(raw.prepare('select id, payload, created_at, expires_at, consumed_at from my_tokens').all(),
    [{ id: 't1', payload: null, created_at: 1000, expires_at: 2000, consumed_at: null }], 'the token row')
  t.same(raw.prepare('select id, data, version from my_credentials').all(), [{ id: 'c1', data: '{"a":1}', version: 0 }], 'the credential row: JSON text')
  t.same(raw.prepare('select key, count, reset_at from my_counters').all(), [{ key: 'k', count: 1, reset_at: 60_001 }], 'the counter row')
  raw.close()
})

t.test('a transaction the database aborted as a deadlock is run again; any other failure is not', async (t) => {
  const storage = sqliteStorage({ filename: ':memory:' })
  await storage.init()
  t.teardown(() => storage.close())
  const { AuthError } = await import('../lib/errors.js')
  const deadlock = () => new AuthError('ERR_AUTH_STORAGE_UNAVAILABLE', undefined, { cause: Object.assign(new Error('Deadlock found'), { code: 'ER_LOCK_DEADLOCK' }) })
  let runs = 0
  const id = await storage.transaction(async (tx) => {
    runs++
    const user = await tx.createUser({ id: `u${runs}`, email: `u${runs}@example.com`, emailKey: `u${runs}@example.com`, name: 'U', role: 'user', passwordHash: null })
    if (runs < 3) throw deadlock()
    return user.id
  })
  t.equal(runs, 3, 'run again after each deadlock')
  t.equal(id, 'u3')
  t.equal(await storage.findUserById('u1'), undefined, 'the aborted runs left nothing behind')
  t.ok(await storage.findUserById('u3'))

  runs = 0
  const forever = await storage.transaction(async () => {
    runs++
    throw deadlock()
  }).catch((err: unknown) => err)
  t.ok(isAuthError(forever, 'ERR_AUTH_STORAGE_UNAVAILABLE'), 'a deadlock that keeps coming is answered at last')
  t.equal(runs, 5, 'after five runs in all')

  runs = 0
  const other = await storage.transaction(async () => {
    runs++
    throw new AuthError('ERR_AUTH_FORBIDDEN')
  }).catch((err: unknown) => err)
  t.ok(isAuthError(other, 'ERR_AUTH_FORBIDDEN'))
  t.equal(runs, 1, "fn's own error is not retried")
})
