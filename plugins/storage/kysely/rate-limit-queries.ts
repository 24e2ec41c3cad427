/**
 * The RateLimitStore over the storage plugin's own counters table
 * (`storage.rateLimits`). A hit is one atomic upsert: a window that has ended
 * (`reset_at <= now`) restarts at 1, otherwise the count goes up by one.
 *
 * - SQLite (>= 3.35) and Postgres: `INSERT ... ON CONFLICT (key) DO UPDATE ...
 *   RETURNING`, one statement. Every SET expression reads the row as it was.
 * - MySQL / MariaDB: `INSERT ... ON DUPLICATE KEY UPDATE` (count assigned
 *   first, reset_at last, since MySQL applies assignments left to right and
 *   later ones see earlier results), then a locking read of the row in the
 *   same transaction: the upsert holds the row lock until commit, so the read
 *   sees exactly this hit's result.
 */
import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import type { CounterState, RateLimitStore } from '../../../lib/index.js'
import { checkKey, checkNow, checkWindow } from '../../rate-limit/arguments.js'
import { retryDeadlocks } from './conditional-update.js'
import { toDate } from './row-mapping.js'
import type { AnyKysely } from './storage-engine.js'
import { TableStore } from './table-store.js'

/** Longest key stored as-is, in UTF-8 bytes (the column holds 255 characters). */
const MAX_LITERAL_KEY_BYTES = 255
const HASHED_PREFIX = 'sha256:'
// A deadlock (possible when many connections create one new key at once) aborts only that attempt; it is retried.
const ATTEMPTS = 5
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

interface CounterRow {
  count: number | string
  reset_at: Date | number | string
}

/**
 * The key as stored: the key itself, or, for one longer than 255 bytes, with
 * a NUL, not well-formed UTF-16, or starting with `sha256:`, `sha256:` and
 * its SHA-256 (so such keys still work, and never collide with a literal one).
 */
export function storedCounterKey(key: string): string {
  if (Buffer.byteLength(key) <= MAX_LITERAL_KEY_BYTES && !key.includes('\0') && !LONE_SURROGATE.test(key) && !key.startsWith(HASHED_PREFIX)) {
    return key
  }
  return HASHED_PREFIX + createHash('sha256').update(key, 'utf16le').digest('base64url')
}

/** Counters in a table of the plugin's database. */
export class KyselyRateLimitStore extends TableStore implements RateLimitStore {
  async hit(key: string, windowSeconds: number, now: number): Promise<CounterState> {
    checkKey(key, 'hit')
    const windowMs = checkWindow(windowSeconds, 'hit')
    const at = checkNow(now, 'hit')
    const stored = storedCounterKey(key)
    const nowTime = this.engine.encodeTime(new Date(at))
    const resetTime = this.engine.encodeTime(new Date(at + windowMs))
    return this.query(async () => {
      const row = await retryDeadlocks(() => this.engine.counterUpsert === 'on-conflict'
        ? this.#upsertReturning(stored, nowTime, resetTime)
        : this.db.transaction().execute((trx) => this.#upsertThenRead(trx, stored, nowTime, resetTime)), ATTEMPTS)
      if (row === undefined) throw new Error('The counter upsert returned no row')
      return { count: Number(row.count), resetAt: toDate(row.reset_at).getTime() }
    })
  }

  async #upsertReturning(key: string, now: unknown, resetAt: unknown): Promise<CounterRow | undefined> {
    const table = sql.table(this.table)
    const old = (column: string) => sql.ref(`${this.table}.${column}`)
    const { rows } = await sql<CounterRow>`insert into ${table} (${sql.ref('key')}, ${sql.ref('count')}, ${sql.ref('reset_at')})
      values (${key}, 1, ${resetAt})
      on conflict (${sql.ref('key')}) do update set
        ${sql.ref('count')} = case when ${old('reset_at')} <= ${now} then 1 else ${old('count')} + 1 end,
        ${sql.ref('reset_at')} = case when ${old('reset_at')} <= ${now} then ${resetAt} else ${old('reset_at')} end
      returning ${sql.ref('count')}, ${sql.ref('reset_at')}`.execute(this.db)
    return rows[0]
  }

  async #upsertThenRead(trx: AnyKysely, key: string, now: unknown, resetAt: unknown): Promise<CounterRow | undefined> {
    const table = sql.table(this.table)
    const count = sql.ref('count')
    const reset = sql.ref('reset_at')
    // reset_at is assigned last: the count's condition must read the old reset_at.
    await sql`insert into ${table} (${sql.ref('key')}, ${count}, ${reset}) values (${key}, 1, ${resetAt})
      on duplicate key update
        ${count} = if(${reset} <= ${now}, 1, ${count} + 1),
        ${reset} = if(${reset} <= ${now}, ${resetAt}, ${reset})`.execute(trx)
    const { rows } = await sql<CounterRow>`select ${count}, ${reset} from ${table} where ${sql.ref('key')} = ${key} for update`
      .execute(trx)
    return rows[0]
  }

  async peek(key: string, now: number): Promise<CounterState | undefined> {
    checkKey(key, 'peek')
    const at = checkNow(now, 'peek')
    return this.query(async () => {
      const row = await this.db.selectFrom(this.table).select(['count', 'reset_at'])
        .where('key', '=', storedCounterKey(key)).where('reset_at', '>', this.engine.encodeTime(new Date(at)))
        .executeTakeFirst() as CounterRow | undefined
      return row === undefined ? undefined : { count: Number(row.count), resetAt: toDate(row.reset_at).getTime() }
    })
  }

  async reset(key: string): Promise<void> {
    checkKey(key, 'reset')
    await this.query(() => this.db.deleteFrom(this.table).where('key', '=', storedCounterKey(key)).execute())
  }

  async purge(now: number): Promise<number> {
    const at = checkNow(now, 'purge')
    return this.query(async () => {
      const result = await this.db.deleteFrom(this.table)
        .where('reset_at', '<=', this.engine.encodeTime(new Date(at))).executeTakeFirst()
      return Number(result.numDeletedRows)
    })
  }
}
