/**
 * The data of the memory storage plugin, and the one lock every operation
 * takes: the stand-in for a database server. Several plugins may share one
 * `MemoryDatabase` (as several instances share a PostgreSQL database), which
 * is how the conformance kit's cross-instance cases run against it.
 */
import type { CounterState, CredentialRecord, OneTimeTokenRecord, SessionRecord, UserRecord } from '../../lib/index.js'

/**
 * The tables: maps of records. A stored record is frozen and replaced on
 * every write, never changed in place, so copying the maps is a snapshot.
 */
export interface Tables {
  readonly users: Map<string, Readonly<UserRecord>>
  readonly sessions: Map<string, Readonly<SessionRecord>>
  /** Counter windows by key. */
  readonly counters: Map<string, CounterState>
  readonly tokens: Map<string, Readonly<OneTimeTokenRecord>>
  readonly credentials: Map<string, Readonly<CredentialRecord>>
}

function emptyTables(): Tables {
  return { users: new Map(), sessions: new Map(), counters: new Map(), tokens: new Map(), credentials: new Map() }
}

function copyTables(tables: Tables): Tables {
  return {
    users: new Map(tables.users), sessions: new Map(tables.sessions), counters: new Map(tables.counters),
    tokens: new Map(tables.tokens), credentials: new Map(tables.credentials),
  }
}

/** Data shared by every plugin created over it, until {@link MemoryDatabase.end}. */
export class MemoryDatabase {
  #tables = emptyTables()
  #queue: Promise<unknown> = Promise.resolve()
  #ended = false

  /** True once {@link MemoryDatabase.end} ran: every operation then fails as a database that went away. */
  get ended(): boolean {
    return this.#ended
  }

  /** Drops every table and refuses all later work (a server shut down). */
  end(): void {
    this.#ended = true
    this.#tables = emptyTables()
  }

  /**
   * Runs `work` alone: after everything queued before it, and before
   * anything queued after. A plain operation is synchronous inside, so it is
   * atomic; a transaction holds the lock for as long as its callback runs,
   * so nothing outside sees its writes before it ends (serializable).
   */
  exclusive<T>(work: (tables: Tables) => T | Promise<T>): Promise<T> {
    const run = this.#queue.then(() => work(this.#tables))
    this.#queue = run.then(() => undefined, () => undefined)
    return run
  }

  /**
   * Runs `work` (under the lock) on the tables, and puts back the tables as
   * they were before if it throws: a transaction's rollback. The maps are
   * copied up front; the records in them are shared, since none is ever
   * changed in place.
   */
  transaction<T>(work: (tables: Tables) => Promise<T>): Promise<T> {
    return this.exclusive(async (tables) => {
      const before = copyTables(tables)
      try {
        return await work(tables)
      } catch (error) {
        if (!this.#ended) this.#tables = before
        throw error
      }
    })
  }
}

/**
 * How a store reaches the tables: the plugin's own stores through the
 * database's lock, a transaction's directly (the transaction holds the lock).
 * `work` is synchronous, so each operation is one atomic step.
 */
export type Run = <T>(work: (tables: Tables) => T) => Promise<T>
