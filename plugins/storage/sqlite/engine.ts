/**
 * The SQLite engine over better-sqlite3. Writes go through kysely on one
 * connection (kysely serialises it with a mutex). The two hot-path lookups run
 * on cached prepared statements: for a file, on a second, read-only
 * connection, which in WAL mode sees only committed rows, so an open
 * transaction's writes stay invisible; for ':memory:' (one connection only),
 * on the writer, deferring to kysely while a transaction is open.
 */
import type { CompiledQuery } from 'kysely'
import { sql } from 'kysely'
import type { SqliteDatabaseHandle, SqliteStatementHandle } from '../kysely/driver-types.js'
import { acquireConnections, releaseConnections, type SqliteConnections } from './connections.js'
import { errorCode, errorMessage, isUnavailableError } from '../kysely/error-mapping.js'
import type {
  AnyKysely, ColumnTypes, CredentialColumn, ErrorClass, FastRead, OneTimeTokenColumn, RateLimitColumn, SessionColumn, StorageEngine, UserColumn,
} from '../kysely/storage-engine.js'
import { USE_SLOW_PATH, uniqueColumnsClass } from '../kysely/storage-engine.js'

/** What the SQLite engine needs: a file to open, or a handle the caller owns. */
export interface SqliteEngineConfig {
  readonly filename: string | undefined
  readonly database: SqliteDatabaseHandle | undefined
  readonly busyTimeout: number
}

const COLUMN_TYPES: Record<UserColumn, string> = {
  id: 'text not null primary key',
  email: 'text', name: 'text', pass: 'text', role: 'text', email_key: 'text',
  // Epoch milliseconds: exact, compact, and a cheap `new Date(n)` on read.
  created_at: 'integer', updated_at: 'integer',
  token_version: 'integer not null default 0',
  disabled: 'integer not null default 0',
  email_verified: 'integer not null default 0',
}

const SESSION_COLUMN_TYPES: Record<SessionColumn, string> = {
  id: 'text not null primary key',
  family_id: 'text not null', user_id: 'text not null', secret_hash: 'text not null',
  created_at: 'integer not null', expires_at: 'integer not null', idle_expires_at: 'integer not null',
  consumed_at: 'integer', successor_id: 'text', revoked_at: 'integer',
  method: 'text',
}

const RATE_LIMIT_COLUMN_TYPES: Record<RateLimitColumn, string> = {
  key: 'text not null primary key', count: 'integer not null', reset_at: 'integer not null',
}

// SQLite enforces no varchar length: the stores check the contract's limits before writing.
const ONE_TIME_TOKEN_COLUMN_TYPES: Record<OneTimeTokenColumn, string> = {
  id: 'text not null primary key', purpose: 'text not null', user_id: 'text', secret_hash: 'text not null',
  payload: 'text', created_at: 'integer not null', expires_at: 'integer not null', consumed_at: 'integer',
  revoked: 'integer not null default 0',
}

const CREDENTIAL_COLUMN_TYPES: Record<CredentialColumn, string> = {
  id: 'text not null primary key', user_id: 'text not null', kind: 'text not null', subject: 'text not null',
  data: 'text not null', version: 'integer not null default 0', created_at: 'integer not null', last_used_at: 'integer',
}

const COLUMN_TYPES_BY_TABLE: ColumnTypes = Object.freeze({
  users: COLUMN_TYPES,
  sessions: SESSION_COLUMN_TYPES,
  rateLimits: RATE_LIMIT_COLUMN_TYPES,
  oneTimeTokens: ONE_TIME_TOKEN_COLUMN_TYPES,
  credentials: CREDENTIAL_COLUMN_TYPES,
})

const UNAVAILABLE_PREFIXES = ['SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_CANTOPEN', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_FULL', 'SQLITE_NOTADB', 'SQLITE_CORRUPT']

/** Builds the SQLite engine; nothing is opened until the first query. Instances on one file share connections. */
export function createSqliteEngine(config: SqliteEngineConfig): StorageEngine {
  return new SqliteEngine(config)
}

class SqliteEngine implements StorageEngine {
  readonly name = 'sqlite'
  readonly updateReturning = true
  readonly counterUpsert = 'on-conflict'
  readonly db: AnyKysely
  readonly #connections: SqliteConnections
  #released = false

  constructor(config: SqliteEngineConfig) {
    this.#connections = acquireConnections(config)
    this.db = this.#connections.db
  }

  encodeTime(date: Date): unknown {
    return date.getTime()
  }

  encodeBool(value: boolean): unknown {
    return value ? 1 : 0
  }

  async withMigrationLock<T>(fn: (db: AnyKysely) => Promise<T>): Promise<T> {
    // BEGIN IMMEDIATE takes the write lock at once, so a second process waits
    // (busy timeout) instead of both reading "table missing" and racing.
    return this.db.connection().execute(async (conn) => {
      await sql`begin immediate`.execute(conn)
      try {
        const result = await fn(conn)
        await sql`commit`.execute(conn)
        return result
      } catch (err) {
        await sql`rollback`.execute(conn).catch(() => {})
        throw err
      }
    })
  }

  async columnTypes(): Promise<ColumnTypes> {
    return COLUMN_TYPES_BY_TABLE
  }

  async createTableSuffix(): Promise<string> {
    return ''
  }

  async existingColumns(db: AnyKysely, table: string): Promise<Set<string>> {
    const { rows } = await sql<{ name: string }>`select name from pragma_table_info(${table})`.execute(db)
    return new Set(rows.map((r) => r.name.toLowerCase()))
  }

  async addColumn(db: AnyKysely, table: string, column: string, type: string): Promise<void> {
    await sql`alter table ${sql.table(table)} add column ${sql.ref(column)} ${sql.raw(type)}`.execute(db)
  }

  async createIndex(db: AnyKysely, table: string, index: string, columns: readonly string[], unique = false): Promise<void> {
    await sql`create ${sql.raw(unique ? 'unique ' : '')}index if not exists ${sql.id(index)} on ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})`
      .execute(db)
  }

  classify(err: unknown): ErrorClass {
    const code = errorCode(err) ?? ''
    if (code.startsWith('SQLITE_CONSTRAINT_UNIQUE') || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      // "UNIQUE constraint failed: t.kind, t.subject": SQLite names the columns, not the index.
      const columns = errorMessage(err).replace(/^UNIQUE constraint failed: /, '').split(', ')
      return uniqueColumnsClass(columns.map((c) => c.slice(c.lastIndexOf('.') + 1)))
    }
    if (UNAVAILABLE_PREFIXES.some((p) => code.startsWith(p))) return 'unavailable'
    return isUnavailableError(err) ? 'unavailable' : 'other'
  }

  fastRead(query: CompiledQuery): FastRead {
    let statement: SqliteStatementHandle | undefined
    return (parameter: string) => {
      const { writer, reader } = this.#connections
      // Not opened yet, or closed: kysely opens it, or reports the driver's error.
      if (writer === undefined || !writer.open) return USE_SLOW_PATH
      if (reader === undefined) {
        // One connection: an open transaction's rows must not leak to readers.
        if (writer.inTransaction) return USE_SLOW_PATH
        statement ??= writer.prepare(query.sql)
      } else {
        if (!reader.open) return USE_SLOW_PATH
        statement ??= reader.prepare(query.sql)
      }
      return statement.get(parameter)
    }
  }

  async destroy(): Promise<void> {
    if (this.#released) return
    this.#released = true
    await releaseConnections(this.#connections)
  }
}
