/**
 * One set of SQLite connections per database file per process. better-sqlite3
 * waits for a lock synchronously, blocking the event loop; if two plugin
 * instances in one process held separate connections to one file, the second
 * would wait on a transaction the first can never finish (its event loop is
 * blocked) and fail with SQLITE_BUSY. Sharing the connections, and kysely's
 * mutex over the writer, makes them take turns instead. Processes still use
 * the file's locks (busy timeout) as usual.
 */
import { resolve } from 'node:path'
import { Kysely, SqliteDialect } from 'kysely'
import type { SqliteDatabaseConstructor, SqliteDatabaseHandle } from '../kysely/driver-types.js'
import type { AnyKysely } from '../kysely/storage-engine.js'

/** The writer (through kysely) and, for a file, a read-only connection. */
export interface SqliteConnections {
  readonly db: AnyKysely
  /** Set once kysely has opened the writer. */
  writer: SqliteDatabaseHandle | undefined
  /** A second connection for hot-path reads; undefined for an in-memory database. */
  reader: SqliteDatabaseHandle | undefined
}

interface Entry extends SqliteConnections {
  key: unknown
  refs: number
}

/** What to open: a file path, or a handle the caller owns. */
export interface SqliteTarget {
  readonly filename: string | undefined
  readonly database: SqliteDatabaseHandle | undefined
  readonly busyTimeout: number
}

const shared = new Map<unknown, Entry>()

/** Takes a reference on the connections for `target`, creating them (lazily opened) if needed. */
export function acquireConnections(target: SqliteTarget): SqliteConnections {
  const key = keyOf(target)
  let entry = shared.get(key)
  if (entry === undefined) {
    const state = { writer: undefined, reader: undefined } as Pick<Entry, 'writer' | 'reader'>
    const created: Entry = Object.assign(state, {
      key, refs: 0, db: new Kysely({ dialect: new SqliteDialect({ database: () => open(target, created) }) }) as AnyKysely,
    })
    entry = created
    shared.set(key, entry)
  }
  entry.refs++
  return entry
}

/** Drops a reference; the last one closes the connections. */
export async function releaseConnections(connections: SqliteConnections): Promise<void> {
  const entry = connections as Entry
  if (--entry.refs > 0) return
  if (shared.get(entry.key) === entry) shared.delete(entry.key)
  try {
    await entry.db.destroy()
  } finally {
    if (entry.reader?.open) entry.reader.close()
  }
}

function keyOf(target: SqliteTarget): unknown {
  if (target.database !== undefined) return target.database
  const name = target.filename ?? ':memory:'
  // Every ':memory:' open is a separate database, so it is never shared.
  return name === ':memory:' ? Symbol('memory') : resolve(name)
}

async function open(target: SqliteTarget, entry: Entry) {
  const { filename, database, busyTimeout } = target
  let writer: SqliteDatabaseHandle
  if (database !== undefined) {
    writer = database
  } else {
    writer = new (await loadDriver())(filename ?? ':memory:', { timeout: busyTimeout })
    // WAL lets the read connection see committed rows while a write is open.
    if (!writer.memory) writer.pragma('journal_mode = WAL')
  }
  if (!writer.memory && writer.name !== '') {
    const reader = new (await loadDriver())(writer.name, { timeout: busyTimeout, fileMustExist: true })
    reader.pragma('query_only = ON')
    entry.reader = reader
  }
  entry.writer = writer
  return {
    prepare: (text: string) => writer.prepare(text) as never,
    // A handle the caller passed in is theirs to close.
    close: () => {
      if (database === undefined) writer.close()
    },
  }
}

// Loaded on first open so that importing AuthCore never loads the native addon.
async function loadDriver(): Promise<SqliteDatabaseConstructor> {
  return (await import('better-sqlite3')).default as unknown as SqliteDatabaseConstructor
}
