/**
 * The slices of the database drivers' APIs this package uses. Declaring them
 * here (as kysely does) means AuthCore carries no type dependency on pg or
 * mysql2, which are optional peers, nor on better-sqlite3's type package.
 */
import type { MysqlPool, PostgresPool } from 'kysely'

/** A better-sqlite3 `Database` handle: the members AuthCore uses. */
export interface SqliteDatabaseHandle {
  /** The file name the handle was opened with (`':memory:'` for memory). */
  readonly name: string
  /** True for an in-memory database. */
  readonly memory: boolean
  /** False once the handle has been closed. */
  readonly open: boolean
  /** True while a transaction is open on this handle. */
  readonly inTransaction: boolean
  /** Compiles `sql` into a statement. */
  prepare(sql: string): SqliteStatementHandle
  /** Runs a pragma (`'journal_mode = WAL'`). */
  pragma(source: string, options?: { simple?: boolean }): unknown
  /** Closes the handle. */
  close(): unknown
}

/** A better-sqlite3 prepared statement: the members AuthCore uses. */
export interface SqliteStatementHandle {
  readonly reader: boolean
  get(...parameters: unknown[]): unknown
  all(...parameters: unknown[]): unknown[]
  run(...parameters: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint }
  iterate(...parameters: unknown[]): IterableIterator<unknown>
}

/** The better-sqlite3 constructor. */
export type SqliteDatabaseConstructor = new (
  filename: string,
  options?: { timeout?: number; fileMustExist?: boolean },
) => SqliteDatabaseHandle

/** A pg `Pool`: what kysely needs of it (kysely declares the slice). */
export type PgPoolLike = PostgresPool

/** The pg module's `Pool` constructor. */
export type PgPoolConstructor = new (config: {
  connectionString: string
  max?: number
  connectionTimeoutMillis?: number
}) => PgPoolLike & {
  on(event: 'error', listener: (err: Error) => void): unknown
}

/**
 * A mysql2 callback pool (`mysql.createPool()`, not `mysql2/promise`): what
 * kysely needs of it. A `mysql2/promise` pool is accepted too and unwrapped
 * through its `pool` property.
 */
export type MysqlPoolLike = MysqlPool

/** A `mysql2/promise` pool: only its wrapped callback pool is used. */
export interface MysqlPromisePoolLike {
  readonly pool: MysqlPoolLike
}

/** The mysql2 module's `createPool`. */
export type MysqlCreatePool = (config: {
  uri: string
  timezone?: string
  charset?: string
  connectionLimit?: number
  dateStrings?: boolean
}) => MysqlPoolLike
