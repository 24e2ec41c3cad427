/**
 * `mysqlStorage()`: users in MySQL or MariaDB through mysql2 (an optional
 * peer dependency, loaded only when this driver connects).
 *
 * @module
 */
import { UsageError } from '../../../lib/index.js'
import type { MysqlCreatePool, MysqlPoolLike, MysqlPromisePoolLike } from '../kysely/driver-types.js'
import { createKyselyStorage, type KyselyStoragePlugin } from '../kysely/storage-plugin.js'
import { createMysqlEngine } from './engine.js'
import { assertOptionsObject, resolveOnWarning, resolveTableNames, type CommonStorageOptions } from '../kysely/storage-options.js'

export type { AdoptionConflict, StorageTableNames, StorageWarning } from '../kysely/storage-options.js'
export type { KyselyStoragePlugin } from '../kysely/storage-plugin.js'
export type { MysqlPoolLike, MysqlPromisePoolLike } from '../kysely/driver-types.js'

/** Options of {@link mysqlStorage}: exactly one of `pool` and `uri`. */
export interface MysqlStorageOptions extends CommonStorageOptions {
  /**
   * A mysql2 pool you created (`mysql.createPool()`, or a `mysql2/promise`
   * pool). AuthCore never ends it. Use the utf8mb4 charset (mysql2's default).
   */
  pool?: MysqlPoolLike | MysqlPromisePoolLike
  /** A connection URI (`mysql://user:pass@host:3306/db`); AuthCore creates and ends the pool. */
  uri?: string
  /** Size of the pool AuthCore creates from `uri`. Default 10. */
  connectionLimit?: number
}

const NAME = 'mysqlStorage'

/**
 * Storage in MySQL 8 or MariaDB 10.5+, for several application instances
 * sharing users. Options are checked now and frozen; `mysql2` is imported on
 * first use.
 *
 * @example
 * ```ts
 * const storage = mysqlStorage({ uri: 'mysql://app@db:3306/app' })
 * ```
 * @throws TypeError when the options are not valid.
 */
export function mysqlStorage(options: MysqlStorageOptions): KyselyStoragePlugin {
  assertOptionsObject(options, NAME)
  const { pool, uri, connectionLimit = 10 } = options
  if ((pool === undefined) === (uri === undefined)) {
    throw new UsageError(`${NAME}: pass exactly one of options.pool and options.uri`)
  }
  const callbackPool = pool === undefined ? undefined : unwrapPool(pool)
  if (uri !== undefined && (typeof uri !== 'string' || uri === '')) {
    throw new UsageError(`${NAME}: options.uri must be a non-empty string`)
  }
  if (!Number.isInteger(connectionLimit) || connectionLimit < 1) {
    throw new UsageError(`${NAME}: options.connectionLimit must be a positive integer`)
  }
  const tables = resolveTableNames(options.tables, NAME)
  const onWarning = resolveOnWarning(options.onWarning, NAME)
  const openPool = async (): Promise<MysqlPoolLike> => {
    if (callbackPool !== undefined) return callbackPool
    const mysql = (await import('mysql2').catch((cause: unknown) => {
      throw new UsageError(`${NAME}: the mysql2 package is needed for a uri (npm install mysql2)`, { cause })
    })) as unknown as { default?: { createPool: MysqlCreatePool }; createPool?: MysqlCreatePool }
    const createPool = mysql.default?.createPool ?? mysql.createPool
    if (createPool === undefined) throw new UsageError(`${NAME}: the installed mysql2 module has no createPool`)
    // UTC on the wire so DATETIME values read back as the same instant on every host.
    return createPool({ uri: uri as string, timezone: 'Z', charset: 'utf8mb4_general_ci', connectionLimit })
  }
  const engine = createMysqlEngine(openPool, pool === undefined)
  return Object.freeze(createKyselyStorage(engine, tables, onWarning))
}

function unwrapPool(pool: unknown): MysqlPoolLike {
  if (pool !== null && typeof pool === 'object') {
    const candidate = pool as Partial<MysqlPoolLike> & Partial<MysqlPromisePoolLike>
    // A mysql2/promise pool wraps the callback pool kysely needs.
    const inner = candidate.pool
    if (inner !== undefined && typeof inner.getConnection === 'function') return inner
    if (typeof candidate.getConnection === 'function' && typeof candidate.end === 'function') return candidate as MysqlPoolLike
  }
  throw new UsageError(`${NAME}: options.pool must be a mysql2 pool`)
}
