/**
 * The OneTimeTokenStore operations written once in kysely. One instance
 * serves the plugin itself, another each transaction (bound to it).
 *
 * A token is usable while `consumed_at` is NULL and `expires_at > now`;
 * consuming and revoking both set `consumed_at`, so a token is spent at most
 * once whichever comes first. A revocation also sets `revoked` in the same
 * statement, so a spent token tells which of the two it was. Only the
 * secret's hash is ever stored.
 */
import type { NewOneTimeToken, OneTimeTokenRecord, OneTimeTokenStore } from '../../../lib/index.js'
import { MAX_ONE_TIME_PAYLOAD_BYTES, UsageError } from '../../../lib/index.js'
import { assertDate, assertKey, assertObject, assertString, copyDate } from './arguments.js'
import { atomically, updateOne, whereAll, type Condition } from './conditional-update.js'
import { decodeJsonObject, encodeJsonObject } from './json-column.js'
import { toDate } from './row-mapping.js'
import type { AnyKysely } from './storage-engine.js'
import { ONE_TIME_TOKEN_COLUMNS } from './storage-engine.js'
import { TableStore } from './table-store.js'

/** Longest purpose, in characters (the column is varchar(64) on Postgres and MySQL). */
const MAX_PURPOSE_LENGTH = 64
// Sized like the sessions table's columns on MySQL.
const MAX_ID_LENGTH = 128
const MAX_USER_ID_LENGTH = 255
const MAX_SECRET_HASH_LENGTH = 255

/** A one-time-tokens row as the drivers return it. */
interface TokenRow {
  id: string
  purpose: string
  user_id: string | null
  secret_hash: string
  payload: string | Buffer | null
  created_at: Date | number | string
  expires_at: Date | number | string
  consumed_at: Date | number | string | null
  /** Boolean on Postgres, 0/1 on SQLite and MySQL/MariaDB (boolean is tinyint(1) there). */
  revoked: boolean | number
}

/** OneTimeTokenStore over a kysely instance or transaction. */
export class KyselyOneTimeTokenStore extends TableStore implements OneTimeTokenStore {
  async createToken(token: NewOneTimeToken, options: { revokeOthers?: boolean } = {}): Promise<OneTimeTokenRecord> {
    const row = this.#toRow(token)
    assertObject(options, 'createToken: options')
    const revokeOthers = options.revokeOthers ?? false
    if (typeof revokeOthers !== 'boolean') throw new UsageError('createToken: options.revokeOthers must be a boolean')
    // Revoking "the user's other tokens" needs a user: with none it would reach every anonymous token of the purpose.
    if (revokeOthers && token.userId === null) throw new UsageError('createToken: revokeOthers needs a token with a userId')
    const insert = (db: AnyKysely) => db.insertInto(this.table).values(row).execute()
    return this.query(async () => {
      if (!revokeOthers) {
        await insert(this.db)
      } else {
        // Revoke first: on MySQL that takes the row locks of the user's existing tokens, so concurrent creates
        // queue on them rather than deadlock over each other's new rows (the one deadlock left, between the
        // very first tokens of a user, is retried by atomically). A failing insert rolls the revocation back.
        await atomically(this.db, async (db) => {
          // Postgres: without it, concurrent creates each miss the others' uncommitted rows and all stay usable.
          await this.engine.lockInTransaction?.(db, `${this.table}:${token.purpose}:${token.userId as string}`)
          await this.#revoke(db, token.purpose, token.userId as string, token.createdAt)
          await insert(db)
        })
      }
      return mapTokenRow(row)
    })
  }

  async lookupToken(purpose: string, secretHash: string): Promise<OneTimeTokenRecord | undefined> {
    assertKey(purpose, 'lookupToken: purpose', MAX_PURPOSE_LENGTH)
    assertString(secretHash, 'lookupToken: secretHash')
    return this.query(async () => {
      const row = await this.db.selectFrom(this.table).select([...ONE_TIME_TOKEN_COLUMNS])
        .where('purpose', '=', purpose).where('secret_hash', '=', secretHash)
        .executeTakeFirst()
      return row === undefined ? undefined : mapTokenRow(row as TokenRow)
    })
  }

  async findToken(purpose: string, secretHash: string, now: Date): Promise<OneTimeTokenRecord | undefined> {
    const conditions = this.#usable('findToken', purpose, secretHash, now)
    return this.query(async () => {
      const row = await whereAll(this.db.selectFrom(this.table).select([...ONE_TIME_TOKEN_COLUMNS]), conditions).executeTakeFirst()
      return row === undefined ? undefined : mapTokenRow(row as TokenRow)
    })
  }

  async consumeToken(purpose: string, secretHash: string, now: Date): Promise<OneTimeTokenRecord | undefined> {
    const conditions = this.#usable('consumeToken', purpose, secretHash, now)
    return this.query(async () => {
      const row = await updateOne(this.db, this.engine, this.table, ONE_TIME_TOKEN_COLUMNS, conditions,
        { consumed_at: this.engine.encodeTime(now), revoked: this.engine.encodeBool(false) })
      return row === undefined ? undefined : mapTokenRow(row as unknown as TokenRow)
    })
  }

  async revokeTokens(purpose: string, userId: string, now: Date): Promise<number> {
    assertKey(purpose, 'revokeTokens: purpose', MAX_PURPOSE_LENGTH)
    assertString(userId, 'revokeTokens: userId')
    assertDate(now, 'revokeTokens: now')
    return this.query(() => this.#revoke(this.db, purpose, userId, now))
  }

  async deleteExpiredTokens(now: Date): Promise<number> {
    assertDate(now, 'deleteExpiredTokens: now')
    const time = this.engine.encodeTime(now)
    return this.query(async () => {
      const result = await this.db.deleteFrom(this.table)
        .where((eb) => eb.or([eb('expires_at', '<=', time), eb('consumed_at', '<=', time)]))
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    })
  }

  // Marks the usable tokens of (purpose, user) consumed at `now` and revoked; answers how many.
  async #revoke(db: AnyKysely, purpose: string, userId: string, now: Date): Promise<number> {
    const time = this.engine.encodeTime(now)
    const result = await db.updateTable(this.table).set({ consumed_at: time, revoked: this.engine.encodeBool(true) })
      .where('purpose', '=', purpose).where('user_id', '=', userId)
      .where('consumed_at', 'is', null).where('expires_at', '>', time)
      .executeTakeFirst()
    return Number(result.numUpdatedRows)
  }

  // The checked arguments of a lookup, as the conditions of a usable token.
  #usable(operation: string, purpose: string, secretHash: string, now: Date): Condition[] {
    assertKey(purpose, `${operation}: purpose`, MAX_PURPOSE_LENGTH)
    assertString(secretHash, `${operation}: secretHash`)
    assertDate(now, `${operation}: now`)
    return [
      ['purpose', '=', purpose], ['secret_hash', '=', secretHash],
      ['consumed_at', 'is', null], ['expires_at', '>', this.engine.encodeTime(now)],
    ]
  }

  #toRow(token: NewOneTimeToken): TokenRow {
    assertObject(token, 'createToken: token')
    assertKey(token.id, 'createToken: token.id', MAX_ID_LENGTH)
    assertKey(token.purpose, 'createToken: token.purpose', MAX_PURPOSE_LENGTH)
    if (token.userId !== null) assertKey(token.userId, 'createToken: token.userId (or null)', MAX_USER_ID_LENGTH)
    assertKey(token.secretHash, 'createToken: token.secretHash', MAX_SECRET_HASH_LENGTH)
    assertDate(token.createdAt, 'createToken: token.createdAt')
    assertDate(token.expiresAt, 'createToken: token.expiresAt')
    const payload = token.payload === null ? null : encodeJsonObject(token.payload, 'createToken: token.payload', MAX_ONE_TIME_PAYLOAD_BYTES)
    const time = (date: Date) => this.engine.encodeTime(copyDate(date)) as TokenRow['created_at']
    return {
      id: token.id, purpose: token.purpose, user_id: token.userId, secret_hash: token.secretHash, payload,
      created_at: time(token.createdAt), expires_at: time(token.expiresAt), consumed_at: null,
      revoked: this.engine.encodeBool(false) as TokenRow['revoked'],
    }
  }
}

/** Maps a row (or the row just written) to a record with its own Dates and payload object. */
function mapTokenRow(row: TokenRow): OneTimeTokenRecord {
  return {
    id: row.id,
    purpose: row.purpose,
    userId: row.user_id,
    secretHash: row.secret_hash,
    payload: row.payload === null ? null : decodeJsonObject(row.payload),
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    consumedAt: row.consumed_at === null ? null : toDate(row.consumed_at),
    revoked: row.revoked === true || row.revoked === 1,
  }
}
