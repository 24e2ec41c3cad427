/**
 * The one storage plugin implementation shared by the SQLite, Postgres and
 * MySQL drivers. Each engine folder's engine.ts only builds a {@link StorageEngine}.
 */
import type { CredentialStore } from '../../../lib/index.js'
import { REQUIRED_CREDENTIAL_OPERATIONS, UsageError } from '../../../lib/index.js'
import type { OneTimeTokenStore } from '../../../lib/index.js'
import { REQUIRED_ONE_TIME_TOKEN_OPERATIONS } from '../../../lib/index.js'
import type { RateLimitStore } from '../../../lib/index.js'
import type { SessionStore } from '../../../lib/index.js'
import { REQUIRED_SESSION_OPERATIONS } from '../../../lib/index.js'
import type {
  ListUsersQuery, NewUser, StoragePlugin, TransactionStore, UserPage, UserPatch, UserRecord,
} from '../../../lib/index.js'
import { AuthError } from '../../../lib/index.js'
import { KyselyCredentialStore } from './credential-queries.js'
import { toAuthError } from './error-mapping.js'
import { DEADLOCK_ATTEMPTS, isDeadlock } from './conditional-update.js'
import { migrate } from './migrations.js'
import { mapUserRow, type UserRow } from './row-mapping.js'
import { USE_SLOW_PATH, type AnyKysely, type FastRead, type StorageEngine } from './storage-engine.js'
import type { AdoptionConflict, ResolvedTableNames, StorageWarning } from './storage-options.js'
import { KyselyOneTimeTokenStore } from './one-time-token-queries.js'
import { KyselyRateLimitStore } from './rate-limit-queries.js'
import { KyselySessionStore } from './session-queries.js'
import { compileLookups, KyselyUserStore, type CompiledLookups } from './user-queries.js'

/**
 * A storage plugin built on kysely: what `sqliteStorage()`, `postgresStorage()`
 * and `mysqlStorage()` return. Beyond {@link StoragePlugin} it reports the
 * conflicts its last `init()` found while adopting an existing users table.
 */
export interface KyselyStoragePlugin extends StoragePlugin {
  /**
   * Rows of an adopted users table left without an email key by the last
   * `init()` because another row holds the same canonical key. Empty when
   * there are none. The same list is passed to the `onWarning` option.
   */
  readonly adoptionConflicts: readonly AdoptionConflict[]
  /** Refresh sessions in the `tables.sessions` table (default `authcore_sessions`). */
  readonly sessions: SessionStore
  /** Atomic fixed-window counters in the `tables.rateLimits` table (default `authcore_rate_limits`). */
  readonly rateLimits: RateLimitStore
  /** Hashed single-use tokens in the `tables.oneTimeTokens` table (default `authcore_one_time_tokens`). */
  readonly oneTimeTokens: OneTimeTokenStore
  /** Per-user credentials in the `tables.credentials` table (default `authcore_credentials`). */
  readonly credentials: CredentialStore
}

/** Builds the plugin over an engine. Internal: use the dialect factories. */
export function createKyselyStorage(
  engine: StorageEngine,
  tables: ResolvedTableNames,
  onWarning: (warning: StorageWarning) => void,
): KyselyStoragePlugin {
  return new KyselyStorage(engine, tables, onWarning)
}

// The user operations and, bound to the same transaction, the session, one-time-token and credential ones.
class KyselyTransactionStore extends KyselyUserStore implements TransactionStore {
  readonly sessions: SessionStore
  readonly oneTimeTokens: OneTimeTokenStore
  readonly credentials: CredentialStore

  constructor(trx: AnyKysely, engine: StorageEngine, tables: ResolvedTableNames, lookups: CompiledLookups) {
    super(trx, engine, tables.users, lookups)
    this.sessions = new KyselySessionStore(trx, engine, tables.sessions)
    this.oneTimeTokens = new KyselyOneTimeTokenStore(trx, engine, tables.oneTimeTokens)
    this.credentials = new KyselyCredentialStore(trx, engine, tables.credentials)
  }
}

const RATE_LIMIT_OPERATIONS = ['hit', 'peek', 'reset', 'purge'] as const

// An object with `methods` of `target` that first run `check` (which throws once the plugin is closed).
function guarded<T extends object>(target: T, methods: readonly (keyof T & string)[], check: () => void): T {
  const out: Record<string, unknown> = {}
  for (const method of methods) {
    const fn = target[method] as (...args: unknown[]) => Promise<unknown>
    out[method] = async (...args: unknown[]) => {
      check()
      return fn.apply(target, args)
    }
  }
  return Object.freeze(out) as T
}

class KyselyStorage implements KyselyStoragePlugin {
  readonly name: string
  readonly sessions: SessionStore
  readonly rateLimits: RateLimitStore
  readonly oneTimeTokens: OneTimeTokenStore
  readonly credentials: CredentialStore
  readonly #engine: StorageEngine
  readonly #tables: ResolvedTableNames
  readonly #onWarning: (warning: StorageWarning) => void
  readonly #lookups: CompiledLookups
  readonly #store: KyselyUserStore
  readonly #classify: StorageEngine['classify']
  #fastById: FastRead | undefined
  #fastByEmailKey: FastRead | undefined
  #conflicts: readonly AdoptionConflict[] = Object.freeze([])
  #closing: Promise<void> | undefined
  #closed = false

  constructor(engine: StorageEngine, tables: ResolvedTableNames, onWarning: (warning: StorageWarning) => void) {
    this.name = engine.name
    this.#engine = engine
    this.#tables = tables
    this.#onWarning = onWarning
    this.#classify = engine.classify.bind(engine)
    this.#lookups = compileLookups(engine.db, tables.users)
    this.#store = new KyselyUserStore(engine.db, engine, tables.users, this.#lookups)
    const check = () => this.#assertOpen()
    this.sessions = guarded<SessionStore>(new KyselySessionStore(engine.db, engine, tables.sessions), REQUIRED_SESSION_OPERATIONS, check)
    this.rateLimits = guarded<RateLimitStore>(new KyselyRateLimitStore(engine.db, engine, tables.rateLimits), RATE_LIMIT_OPERATIONS, check)
    this.oneTimeTokens = guarded<OneTimeTokenStore>(
      new KyselyOneTimeTokenStore(engine.db, engine, tables.oneTimeTokens), REQUIRED_ONE_TIME_TOKEN_OPERATIONS, check)
    this.credentials = guarded<CredentialStore>(
      new KyselyCredentialStore(engine.db, engine, tables.credentials), REQUIRED_CREDENTIAL_OPERATIONS, check)
    // Bound once so the hot path is a plain call on a cached statement.
    this.#fastById = engine.fastRead?.(this.#lookups.byId)
    this.#fastByEmailKey = engine.fastRead?.(this.#lookups.byEmailKey)
  }

  get adoptionConflicts(): readonly AdoptionConflict[] {
    return this.#conflicts
  }

  async init(): Promise<void> {
    this.#assertOpen()
    let conflicts: AdoptionConflict[]
    try {
      conflicts = await migrate(this.#engine, this.#tables)
    } catch (err) {
      throw toAuthError(err, this.#classify)
    }
    this.#conflicts = Object.freeze(conflicts.map((c) => Object.freeze(c)))
    if (conflicts.length > 0) {
      const warning: StorageWarning = {
        code: 'AUTHCORE_ADOPTION_CONFLICT',
        message: `${conflicts.length} adopted row(s) of ${this.#tables.users} share an email key with another row and ` +
          `were left without one (ids: ${conflicts.slice(0, 10).map((c) => JSON.stringify(c.id)).join(', ')}` +
          `${conflicts.length > 10 ? ', ...' : ''}); they cannot sign in by email until resolved`,
        conflicts: this.#conflicts,
      }
      try {
        this.#onWarning(warning)
      } catch {
        // A throwing warning handler must not turn a finished migration into a failure.
      }
    }
  }

  close(): Promise<void> {
    this.#closed = true
    this.#closing ??= this.#engine.destroy().catch(() => {
      // Closing is best effort: a connection that already died is closed enough.
    })
    return this.#closing
  }

  async transaction<T>(fn: (tx: TransactionStore) => Promise<T>): Promise<T> {
    if (typeof fn !== 'function') throw new UsageError('transaction: fn must be a function')
    // A deadlock aborts the whole transaction, so the database undid every
    // write of fn: run it again (fn uses only tx, as the contract says). On
    // MySQL, redeeming a link while a newer one is made can deadlock on the
    // tokens' indexes; the caller should not see a 503 for that.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#transactionOnce(fn)
      } catch (err) {
        if (attempt >= DEADLOCK_ATTEMPTS || !isDeadlock(err)) throw err
      }
    }
  }

  async #transactionOnce<T>(fn: (tx: TransactionStore) => Promise<T>): Promise<T> {
    this.#assertOpen()
    let thrown: { error: unknown } | undefined
    try {
      return await this.#engine.db.transaction().execute(async (trx) => {
        try {
          return await fn(new KyselyTransactionStore(trx, this.#engine, this.#tables, this.#lookups))
        } catch (error) {
          thrown = { error }
          throw error
        }
      })
    } catch (err) {
      // fn's own error is rethrown untouched; a failed begin/commit/rollback is mapped.
      if (thrown !== undefined && thrown.error === err) throw err
      throw toAuthError(err, this.#classify)
    }
  }

  async createUser(user: NewUser): Promise<UserRecord> {
    this.#assertOpen()
    return this.#store.createUser(user)
  }

  async findUserById(id: string): Promise<UserRecord | undefined> {
    this.#assertOpen()
    if (this.#fastById === undefined || typeof id !== 'string') return this.#store.findUserById(id)
    const found = this.#fast(this.#fastById, id)
    return found === USE_SLOW_PATH ? this.#store.findUserById(id) : found
  }

  async findUserByEmailKey(emailKey: string): Promise<UserRecord | undefined> {
    this.#assertOpen()
    if (this.#fastByEmailKey === undefined || typeof emailKey !== 'string') return this.#store.findUserByEmailKey(emailKey)
    const found = this.#fast(this.#fastByEmailKey, emailKey)
    return found === USE_SLOW_PATH ? this.#store.findUserByEmailKey(emailKey) : found
  }

  // Connections may be shared with other instances (SQLite), so a closed
  // plugin refuses work itself rather than relying on the driver to.
  #assertOpen(): void {
    if (this.#closed) {
      throw new AuthError('ERR_AUTH_STORAGE_UNAVAILABLE', 'This storage plugin is closed', {
        cause: new Error(`${this.name} storage was closed`),
      })
    }
  }

  #fast(read: FastRead, parameter: string): UserRecord | undefined | typeof USE_SLOW_PATH {
    let row: unknown
    try {
      row = read(parameter)
    } catch (err) {
      throw toAuthError(err, this.#classify)
    }
    if (row === undefined || row === USE_SLOW_PATH) return row
    return mapUserRow(row as UserRow)
  }

  async updateUser(id: string, patch: UserPatch): Promise<UserRecord | undefined> {
    this.#assertOpen()
    return this.#store.updateUser(id, patch)
  }

  async listUsers(query: ListUsersQuery): Promise<UserPage> {
    this.#assertOpen()
    return this.#store.listUsers(query)
  }

  async deleteUser(id: string): Promise<boolean> {
    this.#assertOpen()
    return this.#store.deleteUser(id)
  }
}
