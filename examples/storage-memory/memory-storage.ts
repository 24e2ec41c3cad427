/**
 * A complete storage plugin kept in memory: users, sessions, counters,
 * one-time tokens, credentials and real transactions. It passes the whole
 * conformance kit (memory-storage.test.ts), so a plugin for another database
 * can start from it: keep the checks and the answers, replace the maps.
 *
 * Not for production: data lives in one process and is gone when it exits.
 */
import { AuthError, UsageError, type StoragePlugin, type TransactionStore } from '../../lib/index.js'
import { counterStore } from './counters.js'
import { credentialStore } from './credentials.js'
import { MemoryDatabase, type Run, type Tables } from './database.js'
import { oneTimeTokenStore } from './one-time-tokens.js'
import { sessionStore } from './sessions.js'
import { userStore } from './users.js'

export { MemoryDatabase }

/** Options of {@link memoryStorage}. */
export interface MemoryStorageOptions {
  /**
   * The database to work on, shared with every plugin given it; the plugin
   * never ends it (whoever made it does, with `end()`). Default: a database
   * of the plugin's own, ended by `close()`.
   */
  readonly database?: MemoryDatabase
}

function unavailable(reason: string): AuthError {
  return new AuthError('ERR_AUTH_STORAGE_UNAVAILABLE', undefined, { cause: new Error(reason) })
}

// The stores a plugin and each of its transactions offer, over one way to the tables.
function stores(run: Run): TransactionStore {
  return { ...userStore(run), sessions: sessionStore(run), oneTimeTokens: oneTimeTokenStore(run), credentials: credentialStore(run) }
}

/** A storage plugin over a {@link MemoryDatabase}. */
export function memoryStorage(options: MemoryStorageOptions = {}): StoragePlugin {
  const database = options.database ?? new MemoryDatabase()
  const owned = options.database === undefined
  let closed = false
  const open = () => {
    if (closed) throw unavailable('this memory storage plugin is closed')
    if (database.ended) throw unavailable('the memory database was ended')
  }
  const locked: Run = (work) => database.exclusive((tables) => {
    open()
    return work(tables)
  })
  return {
    name: 'memory',
    ...stores(locked),
    rateLimits: counterStore(locked),
    // Nothing to create; a closed plugin refuses, as every operation does.
    async init() {
      open()
    },
    async close() {
      closed = true
      // Only what it opened: a database passed in may serve other plugins.
      if (owned) database.end()
    },
    // Holds the database's lock until fn settles: use only tx inside, since
    // a call on the plugin itself would wait for this very transaction.
    async transaction(fn) {
      if (typeof fn !== 'function') throw new UsageError('transaction: fn must be a function')
      return database.transaction(async (tables: Tables) => {
        open()
        let active = true
        const direct: Run = async (work) => {
          if (!active) throw new UsageError('this transaction has ended: use tx only inside fn')
          open()
          return work(tables)
        }
        try {
          return await fn(stores(direct))
        } finally {
          active = false
        }
      })
    },
  }
}
