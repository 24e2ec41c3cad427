// Adopting a Space Cloud users table (id, email, name, pass, role, plus a
// column of the user's own): every row and column survives, email_key is
// backfilled, and a case-only duplicate is reported, not fatal.
import t, { type Test } from 'tap'
import Database from 'better-sqlite3'
import pg from 'pg'
import mysql from 'mysql2/promise'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sqliteStorage } from '../plugins/storage/sqlite.js'
import { postgresStorage } from '../plugins/storage/postgres.js'
import { mysqlStorage } from '../plugins/storage/mysql.js'
import type { KyselyStoragePlugin, StorageWarning } from '../plugins/storage/sqlite.js'
import { serverReachable, tablePrefix } from './helpers/storage-servers.js'

type Row = [id: string, email: string | null, name: string, pass: string | null, role: string, nickname: string | null]
const HASH_A = '$2a$04$J9FW6TQk3dWnNvEj1KfRxe5jxd6Ew1B0c3rSx.0uQm3rQk9Qz7Y6a'
const HASH_B = '$2a$04$Zl5b0cF1aTqYp7k3R2w0fO3XkQvZ0m9P8l7K6j5H4g3F2e1D0c9bS'
const ROWS: Row[] = [
  ['sc-1', 'alice@example.com', 'Alice', HASH_A, 'user', 'ally'],
  ['sc-2', 'Bob@Example.com', 'Bob', HASH_B, 'admin', null],
  ['sc-3', 'nopass@example.com', 'No Pass', null, 'user', 'np'],
  ['sc-4', ' BOB@example.com', 'Bob again', HASH_A, 'user', 'dup'], // same key as sc-2
  ['sc-5', 'Ｃａｒｏｌ@example.com', 'Carol', HASH_B, 'user', 'fullwidth'], // NFKC -> carol@
  ['sc-6', null, 'No Email', HASH_A, 'user', null],
  ['sc-7', 'dora@xn--bcher-kva.de', 'Dora', HASH_A, 'user', 'idn'], // the key is the domain's Unicode form
  ['sc-8', 'eve\u200b@example.com', 'Eve', HASH_A, 'user', 'zw'], // refused by the core: no key
]
const EXPECTED_KEYS: Record<string, string | null> = {
  'sc-1': 'alice@example.com', 'sc-2': 'bob@example.com', 'sc-3': 'nopass@example.com',
  'sc-4': null, 'sc-5': 'carol@example.com', 'sc-6': null, 'sc-7': 'dora@bücher.de', 'sc-8': null,
}

interface Engine {
  /** Runs SQL on the adopted table's database; `?` placeholders. */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>
  storage(table: string, onWarning: (w: StorageWarning) => void): KyselyStoragePlugin
  spaceCloudDdl(table: string): string
  end(): Promise<void>
}

async function adopt(t: Test, engine: Engine) {
  const table = `${tablePrefix()}_users`
  const migrations = `${table}_mig`
  await engine.query(engine.spaceCloudDdl(table))
  for (const row of ROWS) await engine.query(`insert into ${table} (id, email, name, pass, role, nickname) values (?, ?, ?, ?, ?, ?)`, row)
  const warnings: StorageWarning[] = []
  const open = () => engine.storage(table, (w) => warnings.push(w))
  const storage = open()
  t.teardown(async () => {
    await storage.close()
    await engine.query(`drop table if exists ${table}`)
    await engine.query(`drop table if exists ${migrations}`)
    await engine.query(`drop table if exists ${table}_sess`)
    await engine.query(`drop table if exists ${table}_rl`)
    await engine.query(`drop table if exists ${table}_ott`)
    await engine.query(`drop table if exists ${table}_cred`)
    await engine.end()
  })

  await storage.init()
  const rows = await engine.query(`select id, email, name, pass, role, nickname, email_key from ${table} order by id`)
  t.same(rows.map((r) => [r.id, r.email, r.name, r.pass, r.role, r.nickname]), ROWS, 'every row and column kept, hashes unchanged')
  t.same(Object.fromEntries(rows.map((r) => [r.id, r.email_key])), EXPECTED_KEYS, 'email_key backfilled; the duplicate left NULL')
  t.same(storage.adoptionConflicts, [{ id: 'sc-4', keptId: 'sc-2' }], 'the conflict is exposed on the plugin')
  t.equal(warnings.length, 1, 'onWarning called once')
  t.equal(warnings[0]?.code, 'AUTHCORE_ADOPTION_CONFLICT')
  t.notMatch(warnings[0]?.message ?? '', /@|\$2a\$/, 'the warning names no email and no hash')

  const alice = await storage.findUserByEmailKey('alice@example.com')
  t.same([alice?.id, alice?.passwordHash, alice?.tokenVersion, alice?.disabled, alice?.name, alice?.role],
    ['sc-1', HASH_A, 0, false, 'Alice', 'user'], 'an adopted user is found by key with its bcrypt hash')
  t.ok(alice?.createdAt instanceof Date && alice.createdAt.getTime() > 0, 'adopted rows get a created_at')
  t.equal((await storage.findUserByEmailKey('carol@example.com'))?.id, 'sc-5', 'NFKC-folded key found')
  t.equal((await storage.findUserById('sc-3'))?.passwordHash, null, 'a NULL pass reads as null')
  t.equal((await storage.findUserById('sc-4'))?.emailKey, '', 'the conflicting row reads with an empty key')
  t.equal((await storage.listUsers({ limit: 100 })).users.length, ROWS.length, 'every row listed')
  await t.rejects(storage.createUser({ id: 'new', email: 'bob@example.com', emailKey: 'bob@example.com', name: 'B', role: 'user', passwordHash: null }),
    { code: 'ERR_AUTH_USER_EXISTS' }, 'an adopted key is taken')
  await storage.updateUser('sc-1', { name: 'Alice B', bumpTokenVersion: true })
  const [after] = await engine.query(`select nickname, token_version from ${table} where id = ?`, ['sc-1'])
  t.same([after?.nickname, Number(after?.token_version)], ['ally', 1], 'updates leave the extra column alone')

  // The generic stores' tables are created next to the adopted one, which they never alter.
  const now = new Date()
  await storage.oneTimeTokens.createToken({ id: 't1', purpose: 'email:reset', userId: 'sc-1', secretHash: 'h1', payload: { n: 1 }, createdAt: now, expiresAt: new Date(+now + 60_000) })
  t.same((await storage.oneTimeTokens.consumeToken('email:reset', 'h1', now))?.payload, { n: 1 }, 'the one-time-tokens table works')
  await storage.credentials.createCredential({ id: 'c1', userId: 'sc-2', kind: 'oidc', subject: 'iss|sub', data: { a: 'b' } })
  t.equal((await storage.credentials.findCredentialBySubject('oidc', 'iss|sub'))?.userId, 'sc-2', 'the credentials table works')
  await t.rejects(storage.credentials.createCredential({ id: 'c2', userId: 'sc-1', kind: 'oidc', subject: 'iss|sub', data: {} }),
    { code: 'ERR_AUTH_CREDENTIAL_EXISTS' }, 'a duplicate subject is CREDENTIAL_EXISTS, not USER_EXISTS, beside an adopted table')
  for (const suffix of ['ott', 'cred']) {
    t.equal(Number((await engine.query(`select count(*) as n from ${table}_${suffix}`))[0]?.n), 1, `${table}_${suffix} holds its row`)
  }

  const again = open()
  await again.init()
  t.same(again.adoptionConflicts, [{ id: 'sc-4', keptId: 'sc-2' }], 'a later init reports the unresolved conflict again')
  await again.close()
  const count = await engine.query(`select count(*) as n from ${table}`)
  t.equal(Number(count[0]?.n), ROWS.length, 'no row lost after a second init')
}

const DDL = (idType: string, text: string) => (table: string) =>
  `create table ${table} (id ${idType} primary key, email ${text}, name ${text}, pass ${text}, role ${text}, nickname ${text})`

t.test('sqlite', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'authcore-adopt-'))
  const filename = join(dir, 'spacecloud.db')
  const raw = new Database(filename)
  await adopt(t, {
    query: async (sql, params = []) => {
      const stmt = raw.prepare(sql)
      return stmt.reader ? (stmt.all(...params) as Record<string, unknown>[]) : (stmt.run(...params), [])
    },
    storage: (table, onWarning) => sqliteStorage({ filename, tables: { users: table, migrations: `${table}_mig`, sessions: `${table}_sess`, rateLimits: `${table}_rl`, oneTimeTokens: `${table}_ott`, credentials: `${table}_cred` }, onWarning }),
    spaceCloudDdl: DDL('text', 'text'),
    end: async () => { raw.close(); rmSync(dir, { recursive: true, force: true }) },
  })
})

t.test('postgres', async (t) => {
  const url = process.env.AUTHCORE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  pool.on('error', () => {})
  if (!(await serverReachable(t, 'PostgreSQL', url, () => pool.query('select 1')))) return pool.end()
  await adopt(t, {
    query: async (sql, params = []) => {
      let i = 0
      return (await pool.query(sql.replace(/\?/g, () => `$${++i}`), params)).rows
    },
    storage: (table, onWarning) => postgresStorage({ pool, tables: { users: table, migrations: `${table}_mig`, sessions: `${table}_sess`, rateLimits: `${table}_rl`, oneTimeTokens: `${table}_ott`, credentials: `${table}_cred` }, onWarning }),
    spaceCloudDdl: DDL('varchar(50)', 'varchar(255)'),
    end: () => pool.end(),
  })
})

t.test('mysql', async (t) => {
  const url = process.env.AUTHCORE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
  const pool = mysql.createPool({ uri: url, connectionLimit: 2 })
  if (!(await serverReachable(t, 'MariaDB', url, () => pool.query('select 1')))) return pool.end()
  await adopt(t, {
    query: async (sql, params = []) => {
      const [rows] = await pool.query(sql, params)
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : []
    },
    storage: (table, onWarning) => mysqlStorage({ pool, tables: { users: table, migrations: `${table}_mig`, sessions: `${table}_sess`, rateLimits: `${table}_rl`, oneTimeTokens: `${table}_ott`, credentials: `${table}_cred` }, onWarning }),
    // Space Cloud's MySQL tables used the server's default (case-insensitive) collation.
    spaceCloudDdl: (table) => `${DDL('varchar(50)', 'varchar(255)')(table)} character set utf8mb4 collate utf8mb4_general_ci`,
    end: () => pool.end(),
  })
})
