/**
 * Options every built-in storage driver shares, and their validation. Checked
 * when a factory is called so a mistake surfaces at start-up, not on a request.
 */
import { UsageError } from '../../../lib/index.js'

/** Table names; each must be a plain SQL identifier (letters, digits, `_`). */
export interface StorageTableNames {
  /** The users table. Default `users` (Space Cloud's name, so it can be adopted). */
  users?: string
  /** The table recording applied migrations. Default `authcore_migrations`. */
  migrations?: string
  /** Refresh sessions (`storage.sessions`). Default `authcore_sessions`. */
  sessions?: string
  /** Rate-limit counters (`storage.rateLimits`). Default `authcore_rate_limits`. */
  rateLimits?: string
  /** One-time tokens (`storage.oneTimeTokens`). Default `authcore_one_time_tokens`. */
  oneTimeTokens?: string
  /** Credentials (`storage.credentials`). Default `authcore_credentials`. */
  credentials?: string
}

/** A non-fatal event a storage plugin reports, for example during adoption. */
export interface StorageWarning {
  /** Stable identifier of the warning kind. */
  code: 'AUTHCORE_ADOPTION_CONFLICT'
  /** A human-readable summary. Never contains an email address or a hash. */
  message: string
  /** The conflicts found by the last `init()`. */
  conflicts: readonly AdoptionConflict[]
}

/**
 * An adopted row whose canonical email key collides with another row's. Its
 * `email_key` stays NULL, so it can never be found by email and can never sign
 * in by email until an operator resolves it; the row itself is kept intact.
 */
export interface AdoptionConflict {
  /** Id of the row left without an email key. */
  id: string
  /** Id of the row that holds the key. */
  keptId: string
}

/** Options shared by the SQLite, Postgres and MySQL drivers. */
export interface CommonStorageOptions {
  /** Table names, when the defaults clash with tables of your own. */
  tables?: StorageTableNames
  /**
   * Called with non-fatal findings of `init()`, such as adoption conflicts.
   * Default: `process.emitWarning()` with the warning's code.
   */
  onWarning?: (warning: StorageWarning) => void
}

/** Resolved table names. */
export interface ResolvedTableNames {
  readonly users: string
  readonly migrations: string
  readonly sessions: string
  readonly rateLimits: string
  readonly oneTimeTokens: string
  readonly credentials: string
}

const DEFAULT_TABLES: ResolvedTableNames = Object.freeze({
  users: 'users', migrations: 'authcore_migrations', sessions: 'authcore_sessions', rateLimits: 'authcore_rate_limits',
  oneTimeTokens: 'authcore_one_time_tokens', credentials: 'authcore_credentials',
})
const TABLE_KEYS = Object.keys(DEFAULT_TABLES) as (keyof ResolvedTableNames)[]

// Postgres truncates identifiers at 63 bytes and MySQL allows 64; index names
// add a suffix, so table names stay well below both.
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/

/** Validates and resolves `tables`; throws `TypeError` on misuse. */
export function resolveTableNames(tables: unknown, factory: string): ResolvedTableNames {
  if (tables === undefined) return DEFAULT_TABLES
  if (tables === null || typeof tables !== 'object') {
    throw new UsageError(`${factory}: options.tables must be an object`)
  }
  const given = tables as Record<string, unknown>
  for (const key of Object.keys(given)) {
    if (!(TABLE_KEYS as string[]).includes(key)) {
      throw new UsageError(`${factory}: options.tables.${key} is not a known table`)
    }
  }
  const resolved: Record<string, unknown> = {}
  for (const key of TABLE_KEYS) resolved[key] = given[key] ?? DEFAULT_TABLES[key]
  for (const [key, value] of Object.entries(resolved)) {
    if (typeof value !== 'string' || !IDENTIFIER.test(value)) {
      throw new UsageError(
        `${factory}: options.tables.${key} must be a plain identifier (a letter or _, then letters, digits or _, at most 48)`,
      )
    }
  }
  // Unquoted identifiers fold case on some engines and file systems, so names differing only in case clash.
  const seen = new Map<string, string>()
  for (const key of TABLE_KEYS) {
    const folded = String(resolved[key]).toLowerCase()
    const other = seen.get(folded)
    if (other !== undefined) throw new UsageError(`${factory}: options.tables.${other} and options.tables.${key} must differ`)
    seen.set(folded, key)
  }
  return Object.freeze(resolved as unknown as ResolvedTableNames)
}

/** Validates `onWarning`; throws `TypeError` on misuse. */
export function resolveOnWarning(onWarning: unknown, factory: string): (warning: StorageWarning) => void {
  if (onWarning === undefined) return defaultOnWarning
  if (typeof onWarning !== 'function') throw new UsageError(`${factory}: options.onWarning must be a function`)
  return onWarning as (warning: StorageWarning) => void
}

function defaultOnWarning(warning: StorageWarning): void {
  process.emitWarning(warning.message, { code: warning.code })
}

/** Throws `TypeError` unless `options` is a plain object. */
export function assertOptionsObject(options: unknown, factory: string): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new UsageError(`${factory}: options must be an object`)
  }
}
