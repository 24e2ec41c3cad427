/**
 * The MySQL / MariaDB engine over a mysql2 pool. DDL commits implicitly on
 * these servers, so migrations serialise on a named lock (GET_LOCK) held by
 * one connection instead of a transaction. Identifier-like columns use a
 * binary, no-pad collation: keys compare byte for byte, never case- or
 * accent-insensitively, and a trailing space is significant.
 */
import { Kysely, MysqlDialect, sql } from 'kysely'
import type { MysqlPoolLike } from '../kysely/driver-types.js'
import { errorCode, errorMessage, isUnavailableError } from '../kysely/error-mapping.js'
import type {
  AnyKysely, ColumnTypes, ErrorClass, StorageEngine,
} from '../kysely/storage-engine.js'
import { uniqueIndexClass } from '../kysely/storage-engine.js'

const LOCK_TIMEOUT_SECONDS = 60

const UNAVAILABLE_CODES = new Set([
  'ER_CON_COUNT_ERROR', 'ER_LOCK_WAIT_TIMEOUT', 'ER_LOCK_DEADLOCK', 'ER_SERVER_SHUTDOWN', 'ER_QUERY_INTERRUPTED',
  'ER_CONNECTION_KILLED', 'ER_NET_READ_INTERRUPTED', 'ER_NET_WRITE_INTERRUPTED', 'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_STATEMENT_TIMEOUT', 'ER_QUERY_TIMEOUT', 'ER_CLIENT_INTERACTION_TIMEOUT',
])

/** Builds the MySQL engine around a pool factory (called on first query). */
export function createMysqlEngine(pool: () => Promise<MysqlPoolLike>, ownsPool: boolean): StorageEngine {
  return new MysqlEngine(pool, ownsPool)
}

class MysqlEngine implements StorageEngine {
  readonly name = 'mysql'
  readonly updateReturning = false
  readonly counterUpsert = 'on-duplicate-key'
  readonly db: AnyKysely
  #collation: Promise<string> | undefined

  constructor(pool: () => Promise<MysqlPoolLike>, ownsPool: boolean) {
    this.db = new Kysely({
      dialect: new MysqlDialect({
        pool: async () => {
          const real = await pool()
          // kysely ends the pool on destroy; a pool the caller passed in is theirs.
          return ownsPool ? real : { getConnection: (cb) => real.getConnection(cb as never), end: (cb) => cb(null) }
        },
      }),
    })
  }

  encodeTime(date: Date): unknown {
    return date
  }

  encodeBool(value: boolean): unknown {
    return value
  }

  withMigrationLock<T>(fn: (db: AnyKysely) => Promise<T>): Promise<T> {
    // GET_LOCK belongs to a session, so everything runs on one connection.
    return this.db.connection().execute(async (conn) => {
      const { rows } = await sql<{ locked: number | null }>`select get_lock(concat('authcore:', database()), ${LOCK_TIMEOUT_SECONDS}) as locked`
        .execute(conn)
      if (Number(rows[0]?.locked) !== 1) throw new Error('Timed out waiting for the AuthCore migration lock (GET_LOCK)')
      try {
        return await fn(conn)
      } finally {
        await sql`select release_lock(concat('authcore:', database()))`.execute(conn).catch(() => {})
      }
    })
  }

  // MariaDB and MySQL name their binary no-pad utf8mb4 collations differently.
  #binaryCollation(db: AnyKysely): Promise<string> {
    this.#collation ??= sql<{ v: string }>`select version() as v`.execute(db).then(
      ({ rows }) => (/mariadb/i.test(rows[0]?.v ?? '') ? 'utf8mb4_nopad_bin' : 'utf8mb4_0900_bin'),
      (err: unknown) => {
        this.#collation = undefined
        throw err
      },
    )
    return this.#collation
  }

  async columnTypes(db: AnyKysely): Promise<ColumnTypes> {
    // Keys compare byte for byte, padding included: the binary no-pad collation.
    const key = `character set utf8mb4 collate ${await this.#binaryCollation(db)}`
    return {
      users: {
        id: `varchar(64) ${key} not null primary key`,
        email: 'varchar(255)', name: 'varchar(255)', pass: 'varchar(255)', role: 'varchar(255)',
        email_key: `varchar(255) ${key}`,
        created_at: 'datetime(3) not null default current_timestamp(3)',
        updated_at: 'datetime(3) not null default current_timestamp(3)',
        token_version: 'int not null default 0',
        disabled: 'boolean not null default false',
        email_verified: 'boolean not null default false',
      },
      sessions: {
        // Session ids are UUIDs; user ids follow the users table (adopted ids up to 255).
        id: `varchar(128) ${key} not null primary key`,
        family_id: `varchar(128) ${key} not null`, user_id: `varchar(255) ${key} not null`,
        secret_hash: `varchar(255) ${key} not null`,
        created_at: 'datetime(3) not null', expires_at: 'datetime(3) not null', idle_expires_at: 'datetime(3) not null',
        consumed_at: 'datetime(3) null', successor_id: `varchar(128) ${key} null`, revoked_at: 'datetime(3) null',
        method: 'varchar(64) null',
      },
      rateLimits: { key: `varchar(255) ${key} not null primary key`, count: 'int not null', reset_at: 'datetime(3) not null' },
      // InnoDB keys hold at most 3072 bytes and utf8mb4 takes up to 4 bytes a
      // character: the widest index here, (purpose or kind 64, user id or
      // subject 255), needs 1276. JSON is text (65,535 bytes, four times the
      // largest the contract allows).
      oneTimeTokens: {
        id: `varchar(128) ${key} not null primary key`, purpose: `varchar(64) ${key} not null`, user_id: `varchar(255) ${key} null`,
        secret_hash: `varchar(255) ${key} not null`, payload: 'text null',
        created_at: 'datetime(3) not null', expires_at: 'datetime(3) not null', consumed_at: 'datetime(3) null',
        revoked: 'boolean not null default false',
      },
      credentials: {
        id: `varchar(128) ${key} not null primary key`, user_id: `varchar(255) ${key} not null`,
        kind: `varchar(64) ${key} not null`, subject: `varchar(255) ${key} not null`, data: 'text not null',
        version: 'int not null default 0', created_at: 'datetime(3) not null', last_used_at: 'datetime(3) null',
      },
    }
  }

  async createTableSuffix(db: AnyKysely): Promise<string> {
    return ` character set utf8mb4 collate ${await this.#binaryCollation(db)}`
  }

  async existingColumns(db: AnyKysely, table: string): Promise<Set<string>> {
    const { rows } = await sql<{ name: string }>`select column_name as name from information_schema.columns
      where table_schema = database() and table_name = ${table}`.execute(db)
    return new Set(rows.map((r) => String(r.name).toLowerCase()))
  }

  async addColumn(db: AnyKysely, table: string, column: string, type: string): Promise<void> {
    // MariaDB tolerates a column another tool added meanwhile; MySQL lacks the clause
    // (our own processes are serialised by the lock, and the caller checked first).
    const ifNotExists = (await this.#binaryCollation(db)) === 'utf8mb4_nopad_bin' ? sql`if not exists ` : sql``
    await sql`alter table ${sql.table(table)} add column ${ifNotExists}${sql.ref(column)} ${sql.raw(type)}`.execute(db)
  }

  async createIndex(db: AnyKysely, table: string, index: string, columns: readonly string[], unique = false): Promise<void> {
    // No CREATE INDEX IF NOT EXISTS on MySQL; our processes are serialised by the migration lock.
    const { rows } = await sql`select 1 from information_schema.statistics
      where table_schema = database() and table_name = ${table} and index_name = ${index}`.execute(db)
    if (rows.length > 0) return
    await sql`create ${sql.raw(unique ? 'unique ' : '')}index ${sql.id(index)} on ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})`
      .execute(db)
  }

  classify(err: unknown): ErrorClass {
    const code = errorCode(err) ?? ''
    if (code === 'ER_DUP_ENTRY' || code === 'ER_DUP_KEY') {
      // "Duplicate entry '<value>' for key '[table.]<index>'": anchored at the end, since the value is caller data.
      return uniqueIndexClass(/for key '(?:[^'.]*\.)?([^'.]*)'$/.exec(errorMessage(err))?.[1])
    }
    if (UNAVAILABLE_CODES.has(code) || (err as { fatal?: unknown } | null)?.fatal === true) return 'unavailable'
    return isUnavailableError(err) ? 'unavailable' : 'other'
  }

  async destroy(): Promise<void> {
    await this.db.destroy()
  }
}
