/**
 * The write patterns the kysely stores share: a conditional single-row
 * update whose winner is decided by the database, and a group of statements
 * run in one transaction, retried when the database aborts it as a deadlock.
 */
import { errorCode } from './error-mapping.js'
import type { AnyKysely, StorageEngine } from './storage-engine.js'

// Deadlock (MySQL, Postgres) and serialization failure (Postgres): the
// database aborted the whole attempt, so running it again is safe.
const RETRY_CODES = new Set(['ER_LOCK_DEADLOCK', '40P01', '40001'])
// InnoDB resolves each deadlock by aborting one party, so every round lets at
// least one of N racers through; ten rounds cover the bursts a single user makes.
const TRANSACTION_ATTEMPTS = 10

/** One condition of a WHERE clause: `column op value`. */
export type Condition = readonly [column: string, op: '=' | '>' | 'is', value: unknown]

/**
 * Applies `set` to the one row matching every condition, only while they
 * hold at the moment of the write, and answers that row as written, or
 * undefined when this call wrote nothing. `conditions` must identify at most
 * one row (they name a unique key) and `set` holds plain values only.
 *
 * - SQLite and Postgres: one `UPDATE ... WHERE <conditions> RETURNING`.
 *   Concurrent callers queue on the row lock (Postgres) or the single writer
 *   (SQLite); each re-checks the conditions on the row as the previous one
 *   left it, so once they stop holding every later update matches nothing.
 * - MySQL / MariaDB (no RETURNING): a locking read of the row, then `UPDATE
 *   ... WHERE <conditions> AND id = <its id>`. The conditions are checked
 *   again by the update itself, on the latest row version under its lock, and
 *   the affected-row count decides: 1 is this call's write, 0 means another
 *   caller changed the row in between. The read is `FOR UPDATE` so that
 *   inside a transaction it sees the latest row, not the transaction's snapshot.
 */
export async function updateOne(
  db: AnyKysely, engine: StorageEngine, table: string, columns: readonly string[],
  conditions: readonly Condition[], set: Record<string, unknown>,
): Promise<Record<string, unknown> | undefined> {
  if (engine.updateReturning) {
    const row: unknown = await whereAll(db.updateTable(table).set(set), conditions).returning([...columns]).executeTakeFirst()
    return row as Record<string, unknown> | undefined
  }
  const row = await whereAll(db.selectFrom(table).select([...columns]), conditions).forUpdate().executeTakeFirst() as
    Record<string, unknown> | undefined
  if (row === undefined) return undefined
  const result = await whereAll(db.updateTable(table).set(set), [...conditions, ['id', '=', row.id]]).executeTakeFirst()
  return result.numUpdatedRows === 1n ? { ...row, ...set } : undefined
}

/** The slice of a kysely query builder that {@link whereAll} filters. */
interface Filterable<Q> {
  where(column: string, op: Condition[1], value: unknown): Q
}

/** `query` with every condition ANDed to its WHERE clause. */
export function whereAll<Q extends Filterable<Q>>(query: Q, conditions: readonly Condition[]): Q {
  return conditions.reduce((q, [column, op, value]) => q.where(column, op, value), query)
}

/**
 * True when the database aborted a transaction to break a deadlock (or a
 * serialization failure): it undid all of it, so running it again is safe.
 * Looks through an AuthError to the driver error it wraps.
 */
export function isDeadlock(err: unknown): boolean {
  return RETRY_CODES.has(errorCode(err) ?? '') || RETRY_CODES.has(errorCode((err as { cause?: unknown } | null)?.cause) ?? '')
}

/** How many times in all a whole transaction the database aborted as a deadlock is run. */
export const DEADLOCK_ATTEMPTS = 5

/** Runs `attempt` again, up to `attempts` times in all, while it fails with a deadlock or serialization failure. */
export async function retryDeadlocks<T>(attempt: () => Promise<T>, attempts: number): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt()
    } catch (err) {
      if (n >= attempts || !RETRY_CODES.has(errorCode(err) ?? '')) throw err
    }
  }
}

/**
 * Runs `fn` in a transaction: on `db` itself when it already is one (the
 * caller's transaction commits or rolls back as a whole, and a deadlock
 * aborts all of it, so only the caller could run it again), else in a new
 * one, run again when the database aborts it as a deadlock (MySQL's gap locks
 * make two inserts followed by updates of one index range deadlock readily).
 */
export function atomically<T>(db: AnyKysely, fn: (db: AnyKysely) => Promise<T>): Promise<T> {
  return db.isTransaction ? fn(db) : retryDeadlocks(() => db.transaction().execute(fn), TRANSACTION_ATTEMPTS)
}
