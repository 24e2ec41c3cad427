// The three built-in storage engines for tests that must hold on each: the
// embedded SQLite default and the PostgreSQL and MariaDB servers on this
// machine, each on tables of its own so test files can run side by side.
import type { Test } from 'tap'
import mysql from 'mysql2/promise'
import pg from 'pg'
import type { StoragePlugin } from '../../lib/index.js'
import { mysqlStorage } from '../../plugins/storage/mysql.js'
import { postgresStorage } from '../../plugins/storage/postgres.js'
import { sqliteStorage } from '../../plugins/storage/sqlite.js'
import { serverReachable, tablePrefix } from './storage-servers.js'

/** One engine: a fresh storage plugin on tables no other test uses. */
export interface Engine {
  readonly name: 'sqlite' | 'postgres' | 'mysql'
  /** A new plugin over new tables (dropped when `t` ends). */
  storage(t: Test): StoragePlugin
}

const PG_URL = process.env.AUTHCORE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const MYSQL_URL = process.env.AUTHCORE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'

function tableNames() {
  const prefix = tablePrefix()
  return {
    users: `${prefix}_users`, migrations: `${prefix}_mig`, sessions: `${prefix}_sess`, rateLimits: `${prefix}_rl`,
    oneTimeTokens: `${prefix}_ott`, credentials: `${prefix}_cred`,
  }
}

/**
 * Runs `body` once per engine as a subtest named after it. A server that
 * cannot be reached fails the subtest under CI and skips it loudly elsewhere.
 */
export function eachEngine(t: Test, title: string, body: (t: Test, engine: Engine) => Promise<void>): void {
  t.test(`${title} (sqlite)`, (t) => body(t, { name: 'sqlite', storage: () => sqliteStorage({ filename: ':memory:' }) }))

  t.test(`${title} (postgres)`, async (t) => {
    const admin = new pg.Pool({ connectionString: PG_URL, max: 1 })
    admin.on('error', () => {})
    t.teardown(() => admin.end())
    if (!(await serverReachable(t, 'PostgreSQL', PG_URL, () => admin.query('select 1')))) return
    await body(t, {
      name: 'postgres',
      storage(t) {
        const tables = tableNames()
        t.teardown(() => admin.query(`drop table if exists ${Object.values(tables).map((n) => `"${n}"`).join(', ')}`))
        return postgresStorage({ connectionString: PG_URL, tables })
      },
    })
  })

  t.test(`${title} (mysql)`, async (t) => {
    const admin = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 1 })
    t.teardown(() => admin.end())
    if (!(await serverReachable(t, 'MariaDB', MYSQL_URL, () => admin.query('select 1')))) return
    await body(t, {
      name: 'mysql',
      storage(t) {
        const tables = tableNames()
        t.teardown(() => admin.query(`drop table if exists ${Object.values(tables).map((n) => `\`${n}\``).join(', ')}`))
        return mysqlStorage({ uri: MYSQL_URL, tables })
      },
    })
  })
}
