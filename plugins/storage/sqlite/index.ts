/**
 * `sqliteStorage()`: AuthCore's embedded default, a SQLite file through
 * better-sqlite3 (WAL mode, busy timeout).
 *
 * @module
 */
import { UsageError } from '../../../lib/index.js'
import type { SqliteDatabaseHandle } from '../kysely/driver-types.js'
import { createKyselyStorage, type KyselyStoragePlugin } from '../kysely/storage-plugin.js'
import { createSqliteEngine } from './engine.js'
import { assertOptionsObject, resolveOnWarning, resolveTableNames, type CommonStorageOptions } from '../kysely/storage-options.js'

export type { AdoptionConflict, StorageTableNames, StorageWarning } from '../kysely/storage-options.js'
export type { KyselyStoragePlugin } from '../kysely/storage-plugin.js'
export type { SqliteDatabaseHandle, SqliteStatementHandle } from '../kysely/driver-types.js'

/** Options of {@link sqliteStorage}: exactly one of `filename` and `database`. */
export interface SqliteStorageOptions extends CommonStorageOptions {
  /**
   * Path of the database file, created on `init()` if missing, or `':memory:'`
   * for a private in-memory database (gone when closed; tests only).
   */
  filename?: string
  /**
   * A better-sqlite3 `Database` you opened yourself. AuthCore never closes it
   * and does not change its journal mode (use WAL for concurrent readers).
   */
  database?: SqliteDatabaseHandle
  /** Milliseconds to wait for a lock held by another connection. Default 5000. */
  busyTimeout?: number
}

const NAME = 'sqliteStorage'

/**
 * Storage in a SQLite file: no server, one process (or several on one host
 * sharing the file). Options are checked now and frozen; the file is opened
 * and migrated by `init()`.
 *
 * @example
 * ```ts
 * const auth = new AuthCore({ secret, storage: sqliteStorage({ filename: 'auth.db' }) })
 * ```
 * @throws TypeError when the options are not valid.
 */
export function sqliteStorage(options: SqliteStorageOptions): KyselyStoragePlugin {
  assertOptionsObject(options, NAME)
  const { filename, database, busyTimeout = 5000 } = options
  if ((filename === undefined) === (database === undefined)) {
    throw new UsageError(`${NAME}: pass exactly one of options.filename and options.database`)
  }
  if (filename !== undefined && (typeof filename !== 'string' || filename === '' || filename.includes('\0'))) {
    throw new UsageError(`${NAME}: options.filename must be a non-empty path or ':memory:'`)
  }
  if (database !== undefined && (database === null || typeof database !== 'object' || typeof database.prepare !== 'function')) {
    throw new UsageError(`${NAME}: options.database must be a better-sqlite3 Database`)
  }
  if (!Number.isInteger(busyTimeout) || busyTimeout < 0) {
    throw new UsageError(`${NAME}: options.busyTimeout must be a non-negative integer (milliseconds)`)
  }
  const tables = resolveTableNames(options.tables, NAME)
  const onWarning = resolveOnWarning(options.onWarning, NAME)
  const engine = createSqliteEngine(Object.freeze({ filename, database, busyTimeout }))
  return Object.freeze(createKyselyStorage(engine, tables, onWarning))
}
