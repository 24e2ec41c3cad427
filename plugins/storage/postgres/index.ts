/**
 * `postgresStorage()`: users in PostgreSQL through pg (an optional peer
 * dependency, loaded only when this driver connects).
 *
 * @module
 */
import { UsageError } from '../../../lib/index.js'
import type { PgPoolConstructor, PgPoolLike } from '../kysely/driver-types.js'
import { createKyselyStorage, type KyselyStoragePlugin } from '../kysely/storage-plugin.js'
import { createPostgresEngine } from './engine.js'
import { assertOptionsObject, resolveOnWarning, resolveTableNames, type CommonStorageOptions } from '../kysely/storage-options.js'

export type { AdoptionConflict, StorageTableNames, StorageWarning } from '../kysely/storage-options.js'
export type { KyselyStoragePlugin } from '../kysely/storage-plugin.js'
export type { PgPoolLike } from '../kysely/driver-types.js'

/** Options of {@link postgresStorage}: exactly one of `pool` and `connectionString`. */
export interface PostgresStorageOptions extends CommonStorageOptions {
  /**
   * A pg `Pool` you created. AuthCore never ends it; attach your own
   * `pool.on('error')` listener, as pg requires of every pool.
   */
  pool?: PgPoolLike
  /** A connection string (`postgres://user@host:5432/db`); AuthCore creates and ends the pool. */
  connectionString?: string
  /** Size of the pool AuthCore creates from `connectionString`. Default 10. */
  max?: number
}

const NAME = 'postgresStorage'

/**
 * Storage in PostgreSQL, for several application instances sharing users.
 * Options are checked now and frozen; `pg` is imported on first use.
 *
 * @example
 * ```ts
 * const storage = postgresStorage({ connectionString: process.env.DATABASE_URL })
 * ```
 * @throws TypeError when the options are not valid.
 */
export function postgresStorage(options: PostgresStorageOptions): KyselyStoragePlugin {
  assertOptionsObject(options, NAME)
  const { pool, connectionString, max = 10 } = options
  if ((pool === undefined) === (connectionString === undefined)) {
    throw new UsageError(`${NAME}: pass exactly one of options.pool and options.connectionString`)
  }
  if (pool !== undefined && (pool === null || typeof pool !== 'object' || typeof pool.connect !== 'function')) {
    throw new UsageError(`${NAME}: options.pool must be a pg Pool`)
  }
  if (connectionString !== undefined && (typeof connectionString !== 'string' || connectionString === '')) {
    throw new UsageError(`${NAME}: options.connectionString must be a non-empty string`)
  }
  if (!Number.isInteger(max) || max < 1) throw new UsageError(`${NAME}: options.max must be a positive integer`)
  const tables = resolveTableNames(options.tables, NAME)
  const onWarning = resolveOnWarning(options.onWarning, NAME)
  const openPool = async (): Promise<PgPoolLike> => {
    if (pool !== undefined) return pool
    const pg = (await import('pg').catch((cause: unknown) => {
      throw new UsageError(`${NAME}: the pg package is needed for a connectionString (npm install pg)`, { cause })
    })) as unknown as { default?: { Pool: PgPoolConstructor }; Pool?: PgPoolConstructor }
    const Pool = pg.default?.Pool ?? pg.Pool
    if (Pool === undefined) throw new UsageError(`${NAME}: the installed pg module has no Pool`)
    // A bounded wait for a connection: without it a call queued on a full or
    // ending pool never settles.
    const created = new Pool({ connectionString: connectionString as string, max, connectionTimeoutMillis: 10_000 })
    // An idle client dying (server restart) is reported on the pool; without a
    // listener node would crash. The next query fails and is mapped instead.
    created.on('error', () => {})
    return created
  }
  const engine = createPostgresEngine(openPool, pool === undefined)
  return Object.freeze(createKyselyStorage(engine, tables, onWarning))
}
