/**
 * The Postgres engine over a pg pool. Migrations run in one transaction
 * holding an advisory lock, so concurrent init() calls in several processes
 * take turns; Postgres DDL is transactional, so a failed migration leaves
 * nothing behind.
 */
import { Kysely, PostgresDialect, sql } from 'kysely'
import type { PgPoolLike } from '../kysely/driver-types.js'
import { errorCode, isUnavailableError } from '../kysely/error-mapping.js'
import type {
  AnyKysely, ColumnTypes, CredentialColumn, ErrorClass, OneTimeTokenColumn, RateLimitColumn, SessionColumn, StorageEngine, UserColumn,
} from '../kysely/storage-engine.js'
import { uniqueIndexClass } from '../kysely/storage-engine.js'

// Arbitrary but fixed: every AuthCore process on a database agrees on it.
const MIGRATION_LOCK_KEY = 0x4175_7468_436f

const COLUMN_TYPES: Record<UserColumn, string> = {
  // "C" collation: byte order, so paging order is the same on every host.
  id: 'text collate "C" not null primary key',
  email: 'text', name: 'text', pass: 'text', role: 'text',
  email_key: 'text collate "C"',
  created_at: 'timestamptz not null default now()',
  updated_at: 'timestamptz not null default now()',
  token_version: 'integer not null default 0',
  disabled: 'boolean not null default false',
  email_verified: 'boolean not null default false',
}

const SESSION_COLUMN_TYPES: Record<SessionColumn, string> = {
  id: 'text collate "C" not null primary key',
  family_id: 'text collate "C" not null', user_id: 'text collate "C" not null', secret_hash: 'text collate "C" not null',
  created_at: 'timestamptz not null', expires_at: 'timestamptz not null', idle_expires_at: 'timestamptz not null',
  consumed_at: 'timestamptz', successor_id: 'text collate "C"', revoked_at: 'timestamptz',
  // How the family signed in (the tokens' amr), bounded as the contract states.
  method: 'varchar(64)',
}

const RATE_LIMIT_COLUMN_TYPES: Record<RateLimitColumn, string> = {
  key: 'varchar(255) collate "C" not null primary key', count: 'integer not null', reset_at: 'timestamptz not null',
}

// JSON is kept as text, not jsonb: it reads back exactly as written, and
// jsonb would refuse a string holding \u0000 that JSON itself allows.
// Purpose, kind and subject are bounded as the contract states.
const ONE_TIME_TOKEN_COLUMN_TYPES: Record<OneTimeTokenColumn, string> = {
  id: 'text collate "C" not null primary key', purpose: 'varchar(64) collate "C" not null', user_id: 'text collate "C"',
  secret_hash: 'text collate "C" not null', payload: 'text',
  created_at: 'timestamptz not null', expires_at: 'timestamptz not null', consumed_at: 'timestamptz',
  revoked: 'boolean not null default false',
}

const CREDENTIAL_COLUMN_TYPES: Record<CredentialColumn, string> = {
  id: 'text collate "C" not null primary key', user_id: 'text collate "C" not null',
  kind: 'varchar(64) collate "C" not null', subject: 'varchar(255) collate "C" not null', data: 'text not null',
  version: 'integer not null default 0', created_at: 'timestamptz not null', last_used_at: 'timestamptz',
}

const COLUMN_TYPES_BY_TABLE: ColumnTypes = Object.freeze({
  users: COLUMN_TYPES,
  sessions: SESSION_COLUMN_TYPES,
  rateLimits: RATE_LIMIT_COLUMN_TYPES,
  oneTimeTokens: ONE_TIME_TOKEN_COLUMN_TYPES,
  credentials: CREDENTIAL_COLUMN_TYPES,
})

// SQLSTATE classes and codes meaning "cannot answer now": connection
// exceptions (08), operator intervention (57P0x), insufficient resources (53),
// serialization/deadlock (40001, 40P01), statement timeout (57014).
const UNAVAILABLE_STATES = ['08', '57P', '53', '40001', '40P01', '57014']

/** Builds the Postgres engine around a pool factory (called on first query). */
export function createPostgresEngine(pool: () => Promise<PgPoolLike>, ownsPool: boolean): StorageEngine {
  return new PostgresEngine(pool, ownsPool)
}

class PostgresEngine implements StorageEngine {
  readonly name = 'postgres'
  readonly updateReturning = true
  readonly counterUpsert = 'on-conflict'
  readonly db: AnyKysely

  constructor(pool: () => Promise<PgPoolLike>, ownsPool: boolean) {
    const guarded = new WeakSet<object>()
    this.db = new Kysely({
      dialect: new PostgresDialect({
        pool: async () => {
          const real = await pool()
          return {
            connect: async () => {
              const client = await real.connect()
              // pg emits 'error' on a checked-out client whose server
              // connection dies (a killed backend, a failover); with no
              // listener Node would crash on it. The query in flight rejects
              // anyway and is mapped to STORAGE_UNAVAILABLE, so this only
              // keeps the process alive.
              if (!guarded.has(client)) {
                guarded.add(client)
                ;(client as unknown as { on(event: 'error', listener: () => void): unknown }).on('error', () => {})
              }
              return client
            },
            // kysely ends the pool on destroy; a pool the caller passed in is theirs.
            end: ownsPool ? () => real.end() : async () => {},
          }
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

  async lockInTransaction(db: AnyKysely, key: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(db)
  }

  withMigrationLock<T>(fn: (db: AnyKysely) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(async (trx) => {
      await sql`select pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK_KEY)})`.execute(trx)
      return fn(trx)
    })
  }

  async columnTypes(): Promise<ColumnTypes> {
    return COLUMN_TYPES_BY_TABLE
  }

  async createTableSuffix(): Promise<string> {
    return ''
  }

  async existingColumns(db: AnyKysely, table: string): Promise<Set<string>> {
    const { rows } = await sql<{ name: string }>`select column_name as name from information_schema.columns
      where table_schema = current_schema() and table_name = ${table}`.execute(db)
    return new Set(rows.map((r) => r.name.toLowerCase()))
  }

  async addColumn(db: AnyKysely, table: string, column: string, type: string): Promise<void> {
    await sql`alter table ${sql.table(table)} add column if not exists ${sql.ref(column)} ${sql.raw(type)}`.execute(db)
  }

  async createIndex(db: AnyKysely, table: string, index: string, columns: readonly string[], unique = false): Promise<void> {
    await sql`create ${sql.raw(unique ? 'unique ' : '')}index if not exists ${sql.id(index)} on ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))})`
      .execute(db)
  }

  classify(err: unknown): ErrorClass {
    const code = errorCode(err) ?? ''
    if (code === '23505') {
      const constraint = (err as { constraint?: unknown }).constraint
      return uniqueIndexClass(typeof constraint === 'string' ? constraint : undefined)
    }
    if (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_STATES.some((s) => code.startsWith(s))) return 'unavailable'
    return isUnavailableError(err) ? 'unavailable' : 'other'
  }

  async destroy(): Promise<void> {
    await this.db.destroy()
  }
}
