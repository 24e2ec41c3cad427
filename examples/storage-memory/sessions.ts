/**
 * The refresh-session operations. A session is live while it is neither
 * consumed nor revoked and both its expiries are after `now`: one expiring
 * exactly at `now` is expired, for listing, revoking and deleting alike.
 */
import { AuthError, type NewSession, type SessionRecord, type SessionStore } from '../../lib/index.js'
import { copy, date, key, LIMITS, object, text } from './arguments.js'
import type { Run, Tables } from './database.js'
import { byBytes } from './users.js'

function expired(session: SessionRecord, now: Date): boolean {
  return session.expiresAt.getTime() <= now.getTime() || session.idleExpiresAt.getTime() <= now.getTime()
}

function live(session: SessionRecord, now: Date): boolean {
  return session.consumedAt === null && session.revokedAt === null && !expired(session, now)
}

// A checked copy of a new session, as stored.
function newRecord(input: NewSession, name: string): Readonly<SessionRecord> {
  object(input, name)
  return Object.freeze({
    id: key(input.id, `${name}.id`, LIMITS.id), familyId: key(input.familyId, `${name}.familyId`, LIMITS.id),
    userId: key(input.userId, `${name}.userId`, LIMITS.userId), secretHash: key(input.secretHash, `${name}.secretHash`, LIMITS.secretHash),
    createdAt: date(input.createdAt, `${name}.createdAt`), expiresAt: date(input.expiresAt, `${name}.expiresAt`),
    idleExpiresAt: date(input.idleExpiresAt, `${name}.idleExpiresAt`), consumedAt: null, successorId: null, revokedAt: null,
    // Optional: how the user signed in; a session created without one reads null.
    method: input.method === undefined ? null : key(input.method, `${name}.method`, LIMITS.method),
  })
}

function insert(tables: Tables, session: Readonly<SessionRecord>): void {
  if (tables.sessions.has(session.id)) throw new AuthError('ERR_AUTH_STORAGE_FAILED', 'A session with this id exists')
  tables.sessions.set(session.id, session)
}

// Revokes the live sessions `match` selects; answers how many.
function revokeWhere(tables: Tables, now: Date, match: (session: SessionRecord) => boolean): number {
  let count = 0
  for (const session of tables.sessions.values()) {
    if (!match(session) || !live(session, now)) continue
    tables.sessions.set(session.id, Object.freeze({ ...session, revokedAt: new Date(now) }))
    count++
  }
  return count
}

/** The session operations, reaching the tables through `run`. */
export function sessionStore(run: Run): SessionStore {
  return {
    async createSession(input) {
      const session = newRecord(input, 'createSession: session')
      return run((tables) => {
        insert(tables, session)
        return copy(session)
      })
    },

    async findSession(id) {
      text(id, 'findSession: id')
      return run((tables) => copy(tables.sessions.get(id)))
    },

    async rotateSession(id, input, now) {
      text(id, 'rotateSession: id')
      const successor = newRecord(input, 'rotateSession: successor')
      const at = date(now, 'rotateSession: now')
      return run((tables) => {
        const current = tables.sessions.get(id)
        // Only the first rotation finds it unconsumed; everyone else learns what it is now.
        if (current === undefined || current.consumedAt !== null || current.revokedAt !== null) return { rotated: false, current: copy(current) }
        // Checked before anything changes, so a failing successor leaves the session unconsumed.
        insert(tables, successor)
        tables.sessions.set(id, Object.freeze({ ...current, consumedAt: at, successorId: successor.id }))
        return { rotated: true, successor: copy(successor) }
      })
    },

    async revokeFamily(familyId, now) {
      text(familyId, 'revokeFamily: familyId')
      const at = date(now, 'revokeFamily: now')
      return run((tables) => revokeWhere(tables, at, (s) => s.familyId === familyId))
    },

    async revokeUserSessions(userId, now) {
      text(userId, 'revokeUserSessions: userId')
      const at = date(now, 'revokeUserSessions: now')
      return run((tables) => revokeWhere(tables, at, (s) => s.userId === userId))
    },

    async listUserSessions(userId, now) {
      text(userId, 'listUserSessions: userId')
      const at = date(now, 'listUserSessions: now')
      return run((tables) => [...tables.sessions.values()]
        .filter((s) => s.userId === userId && live(s, at))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || byBytes(b.id, a.id))
        .map(copy))
    },

    async deleteExpiredSessions(now) {
      const at = date(now, 'deleteExpiredSessions: now')
      return run((tables) => {
        let count = 0
        for (const session of tables.sessions.values()) if (expired(session, at) && tables.sessions.delete(session.id)) count++
        return count
      })
    },
  }
}
