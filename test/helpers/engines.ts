// The three built-in storage engines, listed once: the embedded SQLite default
// and the PostgreSQL and MariaDB servers on this machine. Every test that must
// hold on each engine runs through eachEngine, on tables (or files) of its own
// so test files can run side by side.
import type { Test } from 'tap'
import Database from 'better-sqlite3'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { StoragePlugin } from '../../lib/index.js'
import { mysqlStorage } from '../../plugins/storage/mysql/index.js'
import { postgresStorage } from '../../plugins/storage/postgres/index.js'
import { sqliteStorage, type KyselyStoragePlugin, type StorageTableNames } from '../../plugins/storage/sqlite/index.js'
import { serverReachable, tablePrefix } from './storage-servers.js'

export type EngineName = 'sqlite' | 'postgres' | 'mysql'

/** Every table a plugin uses, named. */
export type TableNames = Required<StorageTableNames>

/** A connection the test opened and lends to plugins, which never close it. */
export interface LentConnection {
  /** The plugin options naming it: `{ database }` (a better-sqlite3 handle) or `{ pool }`. */
  readonly options: Readonly<Record<string, unknown>>
  /** Closes it (once; later calls do nothing), so the database goes away under its plugins. */
  end(): Promise<void>
}

/** One engine, its server reached. Names scoped by `scope` are unique to this run of the engine. */
export interface Engine {
  readonly name: EngineName
  /** How {@link Engine.connection} reaches the database, for test names (`file`, `connectionString`, `uri`). */
  readonly connectionKind: string
  /** What {@link Engine.lent} lends, for test names. */
  readonly lentKind: string
  /** Servers only: plugin options naming a server nobody listens on. */
  readonly unreachable?: Readonly<Record<string, unknown>>
  /** A new plugin over new tables (dropped when `t` ends); on SQLite, a private in-memory database. */
  storage(t: Test): StoragePlugin
  /** The engine's factory (`sqliteStorage`, ...), for options the compiler need not check. */
  create(options: unknown): KyselyStoragePlugin
  /** Table names for `scope`. */
  tables(scope: string): TableNames
  /** Plugin options to open connections of its own to the database of `scope` (SQLite: the scope's file). */
  connection(scope: string): Record<string, unknown>
  /** The connection lent to the plugins of `scope`: one per scope until {@link Engine.destroy}. */
  lent(scope: string): LentConnection
  /** Servers only: ends the server side of the connections lent to `scope`, which the driver replaces; answers how many. */
  kill?(scope: string): Promise<number>
  /** Plugin options for the connection {@link Engine.sql} uses (a server's pool with the driver's default settings; SQLite: the scope's file). */
  sqlConnection(scope: string): Record<string, unknown>
  /** Runs `text` (`?` placeholders) on the database of `scope`: the rows of a query, `[]` for other statements. */
  sql(scope: string, text: string, params?: unknown[]): Promise<Record<string, unknown>[]>
  /** `name` quoted as an identifier. */
  quote(name: string): string
  /** Ends the connection lent to `scope` and removes its tables (SQLite: its file). */
  destroy(scope: string): Promise<void>
}

const PG_URL = process.env.AUTHCORE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const MYSQL_URL = process.env.AUTHCORE_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'

/** The engine list: each opens its engine for one subtest, or answers undefined (its server unreachable, reported). */
const ENGINES: readonly { name: EngineName; open(t: Test): Promise<Engine | undefined> }[] = [
  { name: 'sqlite', open: async (t) => sqliteEngine(t) },
  { name: 'postgres', open: postgresEngine },
  { name: 'mysql', open: mysqlEngine },
]

/**
 * Runs `body` once per engine as a subtest named after it. A server that
 * cannot be reached fails the subtest under CI and skips it loudly elsewhere.
 */
export function eachEngine(t: Test, title: string, body: (t: Test, engine: Engine) => Promise<void>): void {
  for (const { name, open } of ENGINES) {
    t.test(`${title} (${name})`, async (t) => {
      const engine = await open(t)
      if (engine !== undefined) await body(t, engine)
    })
  }
}

/** What the engines share: table names under one prefix, a lent connection per scope, and removing a scope. */
function scoped(remove: (scope: string, tables: TableNames) => Promise<unknown>) {
  const prefix = tablePrefix()
  const tables = (scope: string): TableNames => ({
    users: `${prefix}_${scope}_users`, migrations: `${prefix}_${scope}_mig`, sessions: `${prefix}_${scope}_sess`,
    rateLimits: `${prefix}_${scope}_rl`, oneTimeTokens: `${prefix}_${scope}_ott`, credentials: `${prefix}_${scope}_cred`,
  })
  const lentByScope = new Map<string, LentConnection>()
  let storages = 0
  const destroy = async (scope: string): Promise<void> => {
    await lentByScope.get(scope)?.end()
    lentByScope.delete(scope)
    await remove(scope, tables(scope))
  }
  return {
    prefix,
    tables,
    destroy,
    lent(scope: string, open: () => LentConnection): LentConnection {
      let lent = lentByScope.get(scope)
      if (lent === undefined) lentByScope.set(scope, (lent = open()))
      return lent
    },
    /** A new scope, destroyed when `t` ends. */
    newScope(t: Test): string {
      const scope = `st${++storages}`
      t.teardown(() => destroy(scope))
      return scope
    },
  }
}

type Scoped = ReturnType<typeof scoped>

/** Ends once, whatever the number of calls. */
function once(end: () => Promise<unknown>): () => Promise<void> {
  let ended: Promise<unknown> | undefined
  return async () => { await (ended ??= end()) }
}

function sqliteEngine(t: Test): Engine {
  let dir: string | undefined
  t.teardown(() => { if (dir !== undefined) rmSync(dir, { recursive: true, force: true }) })
  const file = (scope: string) => join((dir ??= mkdtempSync(join(tmpdir(), 'authcore-engine-'))), `${scope}.db`)
  const parts = scoped(async (scope) => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(file(scope) + suffix, { force: true })
  })
  const engine: Engine = {
    name: 'sqlite',
    connectionKind: 'file',
    lentKind: 'file, caller-owned handle',
    storage: () => sqliteStorage({ filename: ':memory:' }),
    create: (options) => sqliteStorage(options as never),
    tables: parts.tables,
    connection: (scope) => ({ filename: file(scope) }),
    lent: (scope) => parts.lent(scope, () => {
      const database = new Database(file(scope))
      database.pragma('journal_mode = WAL')
      return { options: { database }, end: async () => { if (database.open) database.close() } }
    }),
    sqlConnection: (scope) => engine.connection(scope),
    async sql(scope, text, params = []) {
      const database = new Database(file(scope))
      try {
        const statement = database.prepare(text)
        return statement.reader ? (statement.all(...params) as Record<string, unknown>[]) : (statement.run(...params), [])
      } finally {
        database.close()
      }
    },
    quote: (name) => `"${name}"`,
    destroy: parts.destroy,
  }
  return engine
}

/** What a server engine adds to {@link serverEngine}'s parts. */
type ServerParts = Omit<Engine, 'storage' | 'tables' | 'sql' | 'quote' | 'destroy'>

/**
 * A server engine: reaches the server through `admin` (reporting it when
 * unreachable), names and drops its tables, and runs the test's own SQL.
 */
async function serverEngine(t: Test, server: {
  label: string
  url: string
  /** Runs SQL with `?` placeholders: the rows of a query, `[]` otherwise. */
  query(text: string, params?: unknown[]): Promise<Record<string, unknown>[]>
  end(): Promise<unknown>
  quote(name: string): string
  parts(scoped: Scoped): ServerParts
}): Promise<Engine | undefined> {
  t.teardown(() => server.end())
  if (!(await serverReachable(t, server.label, server.url, () => server.query('select 1')))) return undefined
  const parts = scoped((_scope, tables) => server.query(`drop table if exists ${Object.values(tables).map(server.quote).join(', ')}`))
  const engine: Engine = {
    ...server.parts(parts),
    storage: (t) => engine.create({ ...engine.connection(''), tables: parts.tables(parts.newScope(t)) }),
    tables: parts.tables,
    sql: (_scope, text, params) => server.query(text, params),
    quote: server.quote,
    destroy: parts.destroy,
  }
  return engine
}

function postgresEngine(t: Test): Promise<Engine | undefined> {
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 })
  admin.on('error', () => {}) // pg requires a listener on every pool
  return serverEngine(t, {
    label: 'PostgreSQL',
    url: PG_URL,
    async query(text, params = []) {
      let i = 0
      return (await admin.query(text.replace(/\?/g, () => `$${++i}`), params)).rows
    },
    end: () => admin.end(),
    quote: (name) => `"${name}"`,
    parts: ({ prefix, lent }) => ({
      name: 'postgres',
      connectionKind: 'connectionString',
      lentKind: 'caller pool',
      unreachable: { connectionString: 'postgres://postgres@127.0.0.1:1/test' },
      create: (options) => postgresStorage(options as never),
      connection: () => ({ connectionString: PG_URL }),
      lent: (scope) => lent(scope, () => {
        // connectionTimeoutMillis: calls queued when the pool is ended settle instead of hanging.
        const pool = new pg.Pool({ connectionString: PG_URL, max: 5, connectionTimeoutMillis: 2000, application_name: `${prefix}_${scope}` })
        pool.on('error', () => {})
        return { options: { pool }, end: once(() => pool.end()) }
      }),
      async kill(scope) {
        const killed = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [`${prefix}_${scope}`])
        return killed.rowCount ?? 0
      },
      sqlConnection: () => ({ pool: admin }),
    }),
  })
}

function mysqlEngine(t: Test): Promise<Engine | undefined> {
  const admin = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2 })
  return serverEngine(t, {
    label: 'MariaDB',
    url: MYSQL_URL,
    async query(text, params = []) {
      const [rows] = await admin.query(text, params)
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : []
    },
    end: () => admin.end(),
    quote: (name) => `\`${name}\``,
    parts({ lent }) {
      const lentPool = (scope: string) => lent(scope, () => {
        const pool = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 5, timezone: 'Z' })
        return { options: { pool }, end: once(() => pool.end()) }
      })
      return {
        name: 'mysql',
        connectionKind: 'uri',
        lentKind: 'caller promise pool',
        unreachable: { uri: 'mysql://root@127.0.0.1:1/test' },
        create: (options) => mysqlStorage(options as never),
        connection: () => ({ uri: MYSQL_URL }),
        lent: lentPool,
        async kill(scope) {
          // Every connection the pool holds: take them all, note their ids, give them back, kill them.
          const pool = lentPool(scope).options.pool as mysql.Pool
          const connections = await Promise.all([pool.getConnection(), pool.getConnection()])
          const ids = connections.map((c) => c.threadId)
          for (const c of connections) c.release()
          for (const id of ids) await admin.query(`kill ${Number(id)}`)
          return ids.length
        },
        sqlConnection: () => ({ pool: admin }),
      }
    },
  })
}
