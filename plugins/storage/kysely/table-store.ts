/**
 * The base of the kysely stores that each work on one table (sessions,
 * counters, one-time tokens, credentials): what they hold, and the one way
 * they run a query, so that no driver error escapes any of them.
 */
import type { AuthError, UsageError } from '../../../lib/index.js'
import { toAuthError } from './error-mapping.js'
import type { AnyKysely, StorageEngine } from './storage-engine.js'

/** A store over one table, on a kysely instance or a transaction. */
export abstract class TableStore {
  /** The kysely instance, or the transaction this store is bound to. */
  protected readonly db: AnyKysely
  /** The dialect's half: time encoding, RETURNING support, error classes. */
  protected readonly engine: StorageEngine
  /** The table's name. */
  protected readonly table: string
  readonly #classify: StorageEngine['classify']

  constructor(db: AnyKysely, engine: StorageEngine, table: string) {
    this.db = db
    this.engine = engine
    this.table = table
    this.#classify = engine.classify.bind(engine)
  }

  /** Runs `work`, turning whatever it throws into an AuthError (AuthErrors pass through). */
  protected async query<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (err) {
      throw this.toAuthError(err)
    }
  }

  /** `err` as an AuthError, classified by the engine (a usage error passes through as it is). */
  protected toAuthError(err: unknown): AuthError | UsageError {
    return toAuthError(err, this.#classify)
  }
}
