/**
 * The session part of the storage contract: refresh-token sessions grouped in
 * rotation families. A storage plugin offers it as `storage.sessions`; the
 * core checks it is there at `ready()`.
 *
 * A session row holds only a hash of its secret. Each refresh consumes one
 * session and creates its successor in the same family; the family shares one
 * absolute expiry.
 */

/** One refresh session as stored. */
export interface SessionRecord {
  /** Random id; the public half of the refresh token. */
  id: string
  /** The rotation family: the first session's id, shared by every successor. */
  familyId: string
  userId: string
  /** SHA-256 of the secret half of the refresh token, base64url. Never the secret. */
  secretHash: string
  createdAt: Date
  /** When the family must end, whatever happens (absolute lifetime). */
  expiresAt: Date
  /** When this session ends if it is not used (idle timeout). */
  idleExpiresAt: Date
  /** When it was rotated; null while it is the family's current session. */
  consumedAt: Date | null
  /** The session that replaced it, once rotated. */
  successorId: string | null
  /** When it was revoked (sign-out, reuse, revoke-all); null while live. */
  revokedAt: Date | null
  /**
   * How the family's user signed in: the method name `user:signed-in`
   * reported (`'basic'`, `'oauth:google'`, `'email-link'`, ...), copied to
   * every successor; access tokens carry it as `amr`. Null for a session
   * stored without one (rows written before AuthCore kept it).
   */
  method: string | null
}

/** What the core passes to create a session. */
export interface NewSession extends Omit<SessionRecord, 'consumedAt' | 'successorId' | 'revokedAt' | 'method'> {
  /**
   * How the user signed in (1 to {@link MAX_SESSION_METHOD_LENGTH} characters);
   * stored as {@link SessionRecord.method}, which reads null when it is left out.
   */
  method?: string
}

/** The longest {@link NewSession.method}, in characters (UTF-16 code units): a varchar(64) column. */
export const MAX_SESSION_METHOD_LENGTH = 64

/** The answer of {@link SessionStore.rotateSession}. */
export type RotateResult =
  | { readonly rotated: true; readonly successor: SessionRecord }
  /** Another request consumed or revoked it first; `current` is the row as it is now. */
  | { readonly rotated: false; readonly current: SessionRecord | undefined }

/**
 * Session operations, each atomic on its own. A session is live while it is
 * neither consumed nor revoked and both its expiries are after `now`: one
 * expiring exactly at `now` is expired for every operation. Every record
 * handed out is new (its Dates too); misuse (a non-string id, an invalid
 * Date) is a TypeError before anything is written.
 */
export interface SessionStore {
  /** Inserts a session; a duplicate id is `ERR_AUTH_STORAGE_FAILED` (never overwritten). */
  createSession(session: NewSession): Promise<SessionRecord>
  /** The session with this id, or undefined. */
  findSession(id: string): Promise<SessionRecord | undefined>
  /**
   * Consumes session `id` and inserts `successor`, in one transaction, only if
   * `id` is neither consumed nor revoked (a conditional update, so of two
   * concurrent rotations at most one wins). The loser gets `rotated: false`.
   */
  rotateSession(id: string, successor: NewSession, now: Date): Promise<RotateResult>
  /** Revokes every live session of a family; returns how many. */
  revokeFamily(familyId: string, now: Date): Promise<number>
  /** Revokes every live session of a user; returns how many. */
  revokeUserSessions(userId: string, now: Date): Promise<number>
  /** A user's live sessions (not consumed, not revoked, not expired at `now`), newest first. */
  listUserSessions(userId: string, now: Date): Promise<SessionRecord[]>
  /** Deletes sessions whose absolute or idle expiry is at or before `now` (consumed and revoked ones too); returns how many. */
  deleteExpiredSessions(now: Date): Promise<number>
}

/** Names of the session operations the core requires. */
export const REQUIRED_SESSION_OPERATIONS = [
  'createSession', 'findSession', 'rotateSession', 'revokeFamily', 'revokeUserSessions', 'listUserSessions',
  'deleteExpiredSessions',
] as const satisfies readonly (keyof SessionStore)[]
