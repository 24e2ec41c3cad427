/**
 * The SessionStore operations written once in kysely. One instance serves the
 * plugin itself, another each transaction (bound to its `Transaction`).
 *
 * A session is live while it is neither consumed nor revoked and both its
 * absolute and idle expiries are after `now` (one expiring exactly at `now`
 * is expired); revocations touch only live rows, and deleteExpiredSessions
 * deletes every row that is expired at `now`.
 */
import { MAX_SESSION_METHOD_LENGTH, UsageError, type NewSession, type RotateResult, type SessionRecord, type SessionStore } from '../../../lib/index.js'
import { assertDate, assertKey, assertString } from './arguments.js'
import { atomically } from './conditional-update.js'
import { mapSessionRow, type SessionRow } from './row-mapping.js'
import type { AnyKysely } from './storage-engine.js'
import { SESSION_COLUMNS } from './storage-engine.js'
import { TableStore } from './table-store.js'

// Thrown inside the rotation transaction to roll it back when nothing was consumed.
const NOT_ROTATED = Symbol('authcore.session.not-rotated')

/** SessionStore over a kysely instance or transaction. */
export class KyselySessionStore extends TableStore implements SessionStore {
  async createSession(session: NewSession): Promise<SessionRecord> {
    assertNewSession(session, 'createSession: session')
    await this.query(() => this.db.insertInto(this.table).values(this.#toRow(session)).execute())
    return newRecord(session)
  }

  async findSession(id: string): Promise<SessionRecord | undefined> {
    assertString(id, 'findSession: id')
    return this.query(async () => {
      const row = await this.db.selectFrom(this.table).select([...SESSION_COLUMNS]).where('id', '=', id).executeTakeFirst()
      return row === undefined ? undefined : mapSessionRow(row as SessionRow)
    })
  }

  async rotateSession(id: string, successor: NewSession, now: Date): Promise<RotateResult> {
    assertString(id, 'rotateSession: id')
    assertNewSession(successor, 'rotateSession: successor')
    assertDate(now, 'rotateSession: now')
    // The conditional update is the arbiter: of concurrent rotations only one
    // finds the row unconsumed (the others wait on its row lock, or on
    // SQLite's single writer, and then match nothing).
    const run = async (db: AnyKysely): Promise<void> => {
      const result = await db.updateTable(this.table)
        .set({ consumed_at: this.engine.encodeTime(now), successor_id: successor.id })
        .where('id', '=', id).where('consumed_at', 'is', null).where('revoked_at', 'is', null)
        .executeTakeFirst()
      if (result.numUpdatedRows === 0n) throw NOT_ROTATED
      await db.insertInto(this.table).values(this.#toRow(successor)).execute()
    }
    try {
      // Inside the caller's transaction, that one commits or rolls back as a whole.
      await atomically(this.db, run)
    } catch (err) {
      if (err !== NOT_ROTATED) throw this.toAuthError(err)
      return { rotated: false, current: await this.findSession(id) }
    }
    return { rotated: true, successor: newRecord(successor) }
  }

  async revokeFamily(familyId: string, now: Date): Promise<number> {
    assertString(familyId, 'revokeFamily: familyId')
    assertDate(now, 'revokeFamily: now')
    return this.#revokeWhere('family_id', familyId, now)
  }

  async revokeUserSessions(userId: string, now: Date): Promise<number> {
    assertString(userId, 'revokeUserSessions: userId')
    assertDate(now, 'revokeUserSessions: now')
    return this.#revokeWhere('user_id', userId, now)
  }

  async #revokeWhere(column: 'family_id' | 'user_id', value: string, now: Date): Promise<number> {
    const time = this.engine.encodeTime(now)
    return this.query(async () => {
      const result = await this.db.updateTable(this.table).set({ revoked_at: time })
        .where(column, '=', value).where('consumed_at', 'is', null).where('revoked_at', 'is', null)
        .where('expires_at', '>', time).where('idle_expires_at', '>', time)
        .executeTakeFirst()
      return Number(result.numUpdatedRows)
    })
  }

  async listUserSessions(userId: string, now: Date): Promise<SessionRecord[]> {
    assertString(userId, 'listUserSessions: userId')
    assertDate(now, 'listUserSessions: now')
    const time = this.engine.encodeTime(now)
    return this.query(async () => {
      const rows = await this.db.selectFrom(this.table).select([...SESSION_COLUMNS])
        .where('user_id', '=', userId).where('consumed_at', 'is', null).where('revoked_at', 'is', null)
        .where('expires_at', '>', time).where('idle_expires_at', '>', time)
        .orderBy('created_at', 'desc').orderBy('id', 'desc')
        .execute()
      return (rows as SessionRow[]).map(mapSessionRow)
    })
  }

  async deleteExpiredSessions(now: Date): Promise<number> {
    assertDate(now, 'deleteExpiredSessions: now')
    const time = this.engine.encodeTime(now)
    return this.query(async () => {
      const result = await this.db.deleteFrom(this.table)
        // At or before now: a session expiring exactly at now is not live (listing and revoking agree).
        .where((eb) => eb.or([eb('expires_at', '<=', time), eb('idle_expires_at', '<=', time)]))
        .executeTakeFirst()
      return Number(result.numDeletedRows)
    })
  }

  #toRow(session: NewSession): Record<string, unknown> {
    const time = (date: Date) => this.engine.encodeTime(date)
    return {
      id: session.id, family_id: session.familyId, user_id: session.userId, secret_hash: session.secretHash,
      created_at: time(session.createdAt), expires_at: time(session.expiresAt), idle_expires_at: time(session.idleExpiresAt),
      consumed_at: null, successor_id: null, revoked_at: null, method: session.method ?? null,
    }
  }
}

// The row is exactly what was sent, so no read-back round trip.
function newRecord(session: NewSession): SessionRecord {
  return {
    id: session.id, familyId: session.familyId, userId: session.userId, secretHash: session.secretHash,
    createdAt: new Date(session.createdAt.getTime()), expiresAt: new Date(session.expiresAt.getTime()),
    idleExpiresAt: new Date(session.idleExpiresAt.getTime()), consumedAt: null, successorId: null, revokedAt: null,
    method: session.method ?? null,
  }
}

function assertNewSession(session: NewSession, name: string): void {
  if (session === null || typeof session !== 'object') throw new UsageError(`${name} must be an object`)
  for (const key of ['id', 'familyId', 'userId', 'secretHash'] as const) {
    if (typeof session[key] !== 'string' || session[key] === '') throw new UsageError(`${name}.${key} must be a non-empty string`)
  }
  for (const key of ['createdAt', 'expiresAt', 'idleExpiresAt'] as const) assertDate(session[key], `${name}.${key}`)
  if (session.method !== undefined) assertKey(session.method, `${name}.method`, MAX_SESSION_METHOD_LENGTH)
}
