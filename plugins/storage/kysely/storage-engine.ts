/**
 * What differs between SQLite, Postgres and MySQL, behind one small internal
 * interface. The shared kysely implementation (storage-plugin.ts) talks only to
 * this; each engine folder's engine.ts (sqlite/, postgres/, mysql/) fills it in.
 */
import type { BackendFailure } from '../../../lib/index.js'
import type { CompiledQuery, Kysely } from 'kysely'

/** Kysely over tables whose names are chosen at run time. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyKysely = Kysely<any>

/** Columns of the users table that AuthCore reads and writes. */
export const USER_COLUMNS = [
  'id', 'email', 'name', 'pass', 'role', 'email_key', 'created_at', 'updated_at', 'token_version', 'disabled',
  'email_verified',
] as const

/** One of {@link USER_COLUMNS}. */
export type UserColumn = (typeof USER_COLUMNS)[number]

/** Columns of the sessions table. */
export const SESSION_COLUMNS = [
  'id', 'family_id', 'user_id', 'secret_hash', 'created_at', 'expires_at', 'idle_expires_at', 'consumed_at',
  'successor_id', 'revoked_at', 'method',
] as const

/** One of {@link SESSION_COLUMNS}. */
export type SessionColumn = (typeof SESSION_COLUMNS)[number]

/** Columns of the rate-limit counters table. */
export const RATE_LIMIT_COLUMNS = ['key', 'count', 'reset_at'] as const

/** One of {@link RATE_LIMIT_COLUMNS}. */
export type RateLimitColumn = (typeof RATE_LIMIT_COLUMNS)[number]

/** Columns of the one-time-tokens table. */
export const ONE_TIME_TOKEN_COLUMNS = [
  'id', 'purpose', 'user_id', 'secret_hash', 'payload', 'created_at', 'expires_at', 'consumed_at', 'revoked',
] as const

/** One of {@link ONE_TIME_TOKEN_COLUMNS}. */
export type OneTimeTokenColumn = (typeof ONE_TIME_TOKEN_COLUMNS)[number]

/** Columns of the credentials table. */
export const CREDENTIAL_COLUMNS = ['id', 'user_id', 'kind', 'subject', 'data', 'version', 'created_at', 'last_used_at'] as const

/** One of {@link CREDENTIAL_COLUMNS}. */
export type CredentialColumn = (typeof CREDENTIAL_COLUMNS)[number]

/**
 * How a driver error is treated. A unique violation is told apart by the
 * index it hit: the email key (`ERR_AUTH_USER_EXISTS`), a credential's
 * (kind, subject) (`ERR_AUTH_CREDENTIAL_EXISTS`), or any other (a primary
 * key, a token's secret hash: a fault, not a conflict a caller can resolve).
 */
export type ErrorClass = BackendFailure

/** Marker a fast reader returns when it cannot answer now and the kysely path must. */
export const USE_SLOW_PATH: unique symbol = Symbol('authcore.storage.slow-path')

/** A compiled single-parameter select run outside kysely; returns the first row. */
export type FastRead = (parameter: string) => unknown

/** Every table's column types, as an engine writes them in CREATE TABLE and ADD COLUMN. */
export interface ColumnTypes {
  readonly users: Readonly<Record<UserColumn, string>>
  readonly sessions: Readonly<Record<SessionColumn, string>>
  readonly rateLimits: Readonly<Record<RateLimitColumn, string>>
  readonly oneTimeTokens: Readonly<Record<OneTimeTokenColumn, string>>
  readonly credentials: Readonly<Record<CredentialColumn, string>>
}

/** The engine-specific half of a kysely storage plugin. */
export interface StorageEngine {
  /** `'sqlite'`, `'postgres'` or `'mysql'`. */
  readonly name: string
  /** The kysely instance every query goes through. */
  readonly db: AnyKysely
  /** True when UPDATE ... RETURNING is available. */
  readonly updateReturning: boolean
  /** Converts a Date to what the driver binds for a timestamp column. */
  encodeTime(date: Date): unknown
  /** Converts a boolean to what the driver binds for a boolean column. */
  encodeBool(value: boolean): unknown
  /** Runs `fn` holding a lock that serialises migrations across processes. */
  withMigrationLock<T>(fn: (db: AnyKysely) => Promise<T>): Promise<T>
  /** SQL type (with defaults and constraints) of each column of each table AuthCore creates, asked once per migration. */
  columnTypes(db: AnyKysely): Promise<ColumnTypes>
  /**
   * How an atomic counter hit is written: `INSERT ... ON CONFLICT DO UPDATE
   * ... RETURNING` (SQLite >= 3.35, Postgres), or `INSERT ... ON DUPLICATE KEY
   * UPDATE` followed by a locking read in the same transaction (MySQL, MariaDB).
   */
  readonly counterUpsert: 'on-conflict' | 'on-duplicate-key'
  /** Appended to CREATE TABLE (MySQL's character set and collation). */
  createTableSuffix(db: AnyKysely): Promise<string>
  /** Lower-cased names of the columns `table` has now (empty when it does not exist). */
  existingColumns(db: AnyKysely, table: string): Promise<Set<string>>
  /** Adds `column` of `type` to `table`, tolerating a concurrent add where the engine allows. */
  addColumn(db: AnyKysely, table: string, column: string, type: string): Promise<void>
  /** Creates an index (a unique one with `unique`) on `table(columns)` unless it exists. */
  createIndex(db: AnyKysely, table: string, index: string, columns: readonly string[], unique?: boolean): Promise<void>
  /**
   * Optional: takes a lock on `key` until the transaction `db` ends, where
   * the engine's isolation would otherwise let two transactions miss each
   * other's inserts (Postgres: READ COMMITTED). SQLite has one writer, and
   * MySQL's locking update already serialises the writes it guards.
   */
  lockInTransaction?(db: AnyKysely, key: string): Promise<void>
  /** Classifies a driver error. */
  classify(err: unknown): ErrorClass
  /**
   * Optional: a reader for a compiled hot-path select that bypasses kysely
   * (SQLite only). It may return {@link USE_SLOW_PATH} to defer to kysely.
   */
  fastRead?(query: CompiledQuery): FastRead
  /** Releases what the engine opened. */
  destroy(): Promise<void>
}

/** The unique index on the canonical email key. */
export function emailKeyIndexName(usersTable: string): string {
  return `${usersTable}_email_key_uq`
}

/** The indexes of the sessions table. */
export function sessionIndexNames(sessionsTable: string): { readonly family: string; readonly user: string } {
  return { family: `${sessionsTable}_family_idx`, user: `${sessionsTable}_user_idx` }
}

// Suffixes of the unique indexes a violation is classified by (see uniqueIndexClass).
const SECRET_SUFFIX = '_secret_uq'
const SUBJECT_SUFFIX = '_subject_uq'

/** The indexes of the one-time-tokens table: unique (secret_hash); (purpose, user_id) for revocations. */
export function oneTimeTokenIndexNames(table: string): { readonly secret: string; readonly user: string; readonly expiry: string } {
  return { secret: `${table}${SECRET_SUFFIX}`, user: `${table}_user_idx`, expiry: `${table}_expiry_idx` }
}

/** The indexes of the credentials table: unique (kind, subject); (user_id, kind) for a user's listings. */
export function credentialIndexNames(table: string): { readonly subject: string; readonly user: string } {
  return { subject: `${table}${SUBJECT_SUFFIX}`, user: `${table}_user_idx` }
}

/**
 * The class of a unique violation on the index (Postgres: constraint) named
 * `index`. Anything that is not a primary key or one of the new tables' keys
 * stays an email conflict, as before: an adopted users table may carry a
 * unique index of its own on the email.
 */
export function uniqueIndexClass(index: string | undefined): ErrorClass {
  if (index === undefined) return 'unique-email'
  if (index === 'PRIMARY' || index.endsWith('_pkey')) return 'unique-other'
  if (index.endsWith(SUBJECT_SUFFIX)) return 'unique-credential'
  return index.endsWith(SECRET_SUFFIX) ? 'unique-other' : 'unique-email'
}

/**
 * The class of a unique violation from the columns it names, for SQLite,
 * whose message lists the columns (`t.kind, t.subject`) instead of the index.
 */
export function uniqueColumnsClass(columns: readonly string[]): ErrorClass {
  const key = columns.join(',')
  if (key === 'kind,subject') return 'unique-credential'
  return key === 'id' || key === 'secret_hash' ? 'unique-other' : 'unique-email'
}
