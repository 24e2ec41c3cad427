// Adopting a Space Cloud users table (id, email, name, pass, role, plus a
// column of the user's own): every row and column survives, email_key is
// backfilled, email_verified is added and reads false, and a case-only
// duplicate is reported, not fatal.
import t, { type Test } from 'tap'
import type { StorageWarning } from '../plugins/storage/sqlite/index.js'
import { eachEngine, type Engine, type EngineName } from './helpers/engines.js'

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

async function adopt(t: Test, engine: Engine) {
  const scope = 'adopt'
  const names = engine.tables(scope)
  const table = names.users
  await engine.sql(scope, SPACE_CLOUD_DDL[engine.name](table))
  for (const row of ROWS) await engine.sql(scope, `insert into ${table} (id, email, name, pass, role, nickname) values (?, ?, ?, ?, ?, ?)`, row)
  const warnings: StorageWarning[] = []
  // On the connection the test's own SQL uses (a server pool with the driver's default settings).
  const open = () => engine.create({ ...engine.sqlConnection(scope), tables: names, onWarning: (w: StorageWarning) => warnings.push(w) })
  const storage = open()
  t.teardown(async () => {
    await storage.close()
    await engine.destroy(scope)
  })

  await storage.init()
  const rows = await engine.sql(scope, `select id, email, name, pass, role, nickname, email_key from ${table} order by id`)
  t.same(rows.map((r) => [r.id, r.email, r.name, r.pass, r.role, r.nickname]), ROWS, 'every row and column kept, hashes unchanged')
  t.same(Object.fromEntries(rows.map((r) => [r.id, r.email_key])), EXPECTED_KEYS, 'email_key backfilled; the duplicate left NULL')
  t.same(storage.adoptionConflicts, [{ id: 'sc-4', keptId: 'sc-2' }], 'the conflict is exposed on the plugin')
  t.equal(warnings.length, 1, 'onWarning called once')
  t.equal(warnings[0]?.code, 'AUTHCORE_ADOPTION_CONFLICT')
  t.notMatch(warnings[0]?.message ?? '', /@|\$2a\$/, 'the warning names no email and no hash')

  const alice = await storage.findUserByEmailKey('alice@example.com')
  t.same([alice?.id, alice?.passwordHash, alice?.tokenVersion, alice?.disabled, alice?.emailVerified, alice?.name, alice?.role],
    ['sc-1', HASH_A, 0, false, false, 'Alice', 'user'], 'an adopted user is found by key with its bcrypt hash, not verified')
  const verified = await engine.sql(scope, `select email_verified from ${table}`)
  t.ok(verified.length === ROWS.length && verified.every((r) => r.email_verified === false || Number(r.email_verified) === 0),
    'email_verified added, false on every adopted row')
  t.same((await engine.sql(scope, `select name from ${names.migrations} where name like ? order by name`, [`${table}:%`])).map((r) => r.name),
    [`${table}:1`, `${table}:2`], 'users version 2 recorded: a no-op once version 1 adopted the table with the column')
  t.same((await storage.listUsers({ limit: 100 })).users.filter((u) => u.emailVerified).map((u) => u.id), [], 'no adopted user reads as verified')
  t.ok(alice?.createdAt instanceof Date && alice.createdAt.getTime() > 0, 'adopted rows get a created_at')
  t.equal((await storage.findUserByEmailKey('carol@example.com'))?.id, 'sc-5', 'NFKC-folded key found')
  t.equal((await storage.findUserById('sc-3'))?.passwordHash, null, 'a NULL pass reads as null')
  t.equal((await storage.findUserById('sc-4'))?.emailKey, '', 'the conflicting row reads with an empty key')
  t.equal((await storage.listUsers({ limit: 100 })).users.length, ROWS.length, 'every row listed')
  await t.rejects(storage.createUser({ id: 'new', email: 'bob@example.com', emailKey: 'bob@example.com', name: 'B', role: 'user', passwordHash: null }),
    { code: 'ERR_AUTH_USER_EXISTS' }, 'an adopted key is taken')
  await storage.updateUser('sc-1', { name: 'Alice B', bumpTokenVersion: true, emailVerified: true })
  const [after] = await engine.sql(scope, `select nickname, token_version, email_verified from ${table} where id = ?`, ['sc-1'])
  t.same([after?.nickname, Number(after?.token_version), Number(after?.email_verified)], ['ally', 1, 1], 'updates leave the extra column alone')

  // The generic stores' tables are created next to the adopted one, which they never alter.
  const now = new Date()
  await storage.oneTimeTokens.createToken({ id: 't1', purpose: 'email:reset', userId: 'sc-1', secretHash: 'h1', payload: { n: 1 }, createdAt: now, expiresAt: new Date(+now + 60_000) })
  t.same((await storage.oneTimeTokens.consumeToken('email:reset', 'h1', now))?.payload, { n: 1 }, 'the one-time-tokens table works')
  await storage.credentials.createCredential({ id: 'c1', userId: 'sc-2', kind: 'oidc', subject: 'iss|sub', data: { a: 'b' } })
  t.equal((await storage.credentials.findCredentialBySubject('oidc', 'iss|sub'))?.userId, 'sc-2', 'the credentials table works')
  await t.rejects(storage.credentials.createCredential({ id: 'c2', userId: 'sc-1', kind: 'oidc', subject: 'iss|sub', data: {} }),
    { code: 'ERR_AUTH_CREDENTIAL_EXISTS' }, 'a duplicate subject is CREDENTIAL_EXISTS, not USER_EXISTS, beside an adopted table')
  for (const name of [names.oneTimeTokens, names.credentials]) {
    t.equal(Number((await engine.sql(scope, `select count(*) as n from ${name}`))[0]?.n), 1, `${name} holds its row`)
  }

  const again = open()
  await again.init()
  t.same(again.adoptionConflicts, [{ id: 'sc-4', keptId: 'sc-2' }], 'a later init reports the unresolved conflict again')
  await again.close()
  const count = await engine.sql(scope, `select count(*) as n from ${table}`)
  t.equal(Number(count[0]?.n), ROWS.length, 'no row lost after a second init')
}

const DDL = (idType: string, text: string) => (table: string) =>
  `create table ${table} (id ${idType} primary key, email ${text}, name ${text}, pass ${text}, role ${text}, nickname ${text})`

const SPACE_CLOUD_DDL: Record<EngineName, (table: string) => string> = {
  sqlite: DDL('text', 'text'),
  postgres: DDL('varchar(50)', 'varchar(255)'),
  // Space Cloud's MySQL tables used the server's default (case-insensitive) collation.
  mysql: (table) => `${DDL('varchar(50)', 'varchar(255)')(table)} character set utf8mb4 collate utf8mb4_general_ci`,
}

eachEngine(t, 'adopting a Space Cloud users table', adopt)
