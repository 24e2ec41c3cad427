import { randomUUID } from 'node:crypto'
import { allowed } from '../access.js'
import { AuthError } from '../errors.js'
import type { NewSession, SessionRecord, SessionStore } from '../session-types.js'
import type { StoragePlugin, TransactionStore, UserPatch, UserRecord } from '../storage-types.js'
import type { AccessClaims } from '../tokens/claims.js'
import {
  formatRefreshToken, hashSecret, newRefreshToken, parseRefreshToken, secretMatches, successorToken,
  type RefreshTokenParts,
} from '../sessions/refresh-token.js'
import type { RequestContext } from '../plugin-types.js'
import { loadCaller, type AsCaller, type CoreContext } from './context.js'
import { readableTarget } from './profiles.js'

/** A fresh token pair from `refresh`. */
export interface TokenPair {
  token: string
  refreshToken: string
}

/** A session as `auth.sessions()` lists it: no secret, no hash. */
export interface SessionInfo {
  readonly id: string
  readonly familyId: string
  readonly createdAt: string
  readonly expiresAt: string
  readonly idleExpiresAt: string
}

function store(ctx: CoreContext): SessionStore {
  if (!ctx.storage.sessions) {
    throw new AuthError('ERR_AUTH_STORAGE_INCOMPLETE', `Storage plugin '${ctx.storage.name}' has no session operations`)
  }
  return ctx.storage.sessions
}

function serverKey(ctx: CoreContext): Buffer {
  if (!ctx.refreshKey) throw new AuthError('ERR_AUTH_NO_SIGNING_KEY')
  return ctx.refreshKey
}

const live = (s: SessionRecord, now: number) =>
  s.consumedAt === null && s.revokedAt === null && now < s.expiresAt.getTime() && now < s.idleExpiresAt.getTime()

/**
 * A new rotation family for `user`, who signed in by `method` (the name
 * `user:signed-in` reports, kept for the tokens' `amr`): the row to store and
 * the refresh token to hand out, or undefined without session storage.
 * Synchronous, so the caller can sign the access token (which names the
 * family) while the row is stored.
 */
export function newSession(
  ctx: CoreContext,
  user: UserRecord,
  method: string,
): { row: NewSession; refreshToken: string; familyId: string } | undefined {
  if (!ctx.storage.sessions) return undefined
  serverKey(ctx)
  const now = ctx.options.now()
  const parts = newRefreshToken()
  const row: NewSession = {
    id: parts.sessionId,
    familyId: parts.sessionId,
    userId: user.id,
    secretHash: hashSecret(parts.secret),
    createdAt: new Date(now),
    expiresAt: new Date(now + ctx.options.refreshTokenTtl * 1000),
    idleExpiresAt: new Date(now + Math.min(ctx.options.sessionIdleTimeout, ctx.options.refreshTokenTtl) * 1000),
    method,
  }
  return { row, refreshToken: formatRefreshToken(parts), familyId: parts.sessionId }
}

/** Finds the session a refresh token names, checking its secret in constant time. */
async function presented(ctx: CoreContext, parts: RefreshTokenParts): Promise<{ parts: RefreshTokenParts; session: SessionRecord }> {
  const session = await store(ctx).findSession(parts.sessionId)
  if (!session || !secretMatches(parts.secret, session.secretHash)) throw new AuthError('ERR_AUTH_REFRESH_INVALID')
  return { parts, session }
}

/** The user behind a session, or the end of the family if they are gone or disabled. */
async function sessionUser(ctx: CoreContext, session: SessionRecord, now: number): Promise<UserRecord> {
  const user = await ctx.storage.findUserById(session.userId)
  if (!user || user.disabled) {
    await store(ctx).revokeFamily(session.familyId, new Date(now))
    throw new AuthError('ERR_AUTH_SESSION_REVOKED')
  }
  // A session from before verification was required (or made by a plugin)
  // gets no new tokens until the address is proven; it goes on after that.
  if (ctx.options.emailVerification === 'required' && !user.emailVerified) throw new AuthError('ERR_AUTH_EMAIL_UNVERIFIED')
  return user
}

/**
 * A token that was already rotated. Inside the grace window, while its
 * successor is still the family's live session, the client gets that same
 * successor again (it lost the first answer). Otherwise it is reuse: a stolen
 * token or a stolen successor, so the whole family ends.
 */
async function consumedAgain(ctx: CoreContext, parts: RefreshTokenParts, session: SessionRecord, now: number): Promise<TokenPair> {
  const sessions = store(ctx)
  if (session.consumedAt && session.successorId && now - session.consumedAt.getTime() <= ctx.options.refreshGraceWindow * 1000) {
    const successor = await sessions.findSession(session.successorId)
    const again = successorToken(parts, session.successorId, serverKey(ctx))
    if (successor && live(successor, now) && secretMatches(again.secret, successor.secretHash)) {
      const user = await sessionUser(ctx, successor, now)
      return { token: await ctx.issueToken(user, successor.familyId, successor.method ?? undefined), refreshToken: formatRefreshToken(again) }
    }
  }
  await sessions.revokeFamily(session.familyId, new Date(now))
  ctx.events.emit('session:reuse-detected', { userId: session.userId, familyId: session.familyId })
  throw new AuthError('ERR_AUTH_SESSION_REUSED')
}

/**
 * Rotates a refresh token: the presented session is consumed atomically and
 * a successor issued, with a new access token.
 */
export async function refresh(ctx: CoreContext, token: unknown, request: RequestContext = {}): Promise<TokenPair> {
  // A token that is not even well-formed is refused before a window is charged.
  const wellFormed = parseRefreshToken(token)
  await ctx.limiter.begin().address('refresh', request.clientAddress)
  const { parts, session } = await presented(ctx, wellFormed)
  const now = ctx.options.now()
  if (session.revokedAt) throw new AuthError('ERR_AUTH_SESSION_REVOKED')
  if (now >= session.expiresAt.getTime() || now >= session.idleExpiresAt.getTime()) throw new AuthError('ERR_AUTH_SESSION_EXPIRED')
  if (session.consumedAt) return consumedAgain(ctx, parts, session, now)

  const user = await sessionUser(ctx, session, now)
  const next = successorToken(parts, randomUUID(), serverKey(ctx))
  const successor: NewSession = {
    id: next.sessionId,
    familyId: session.familyId,
    userId: session.userId,
    secretHash: hashSecret(next.secret),
    createdAt: new Date(now),
    expiresAt: session.expiresAt,
    idleExpiresAt: new Date(Math.min(now + ctx.options.sessionIdleTimeout * 1000, session.expiresAt.getTime())),
    // How the family signed in goes on with it (a row from before AuthCore kept it has none).
    ...(session.method !== null && { method: session.method }),
  }
  const result = await store(ctx).rotateSession(session.id, successor, new Date(now))
  if (!result.rotated) {
    // A concurrent refresh won the race (or a revocation landed first).
    if (!result.current || result.current.revokedAt) throw new AuthError('ERR_AUTH_SESSION_REVOKED')
    return consumedAgain(ctx, parts, result.current, now)
  }
  ctx.events.emit('session:refreshed', { userId: user.id, familyId: session.familyId })
  return { token: await ctx.issueToken(user, session.familyId, successor.method), refreshToken: formatRefreshToken(next) }
}

/**
 * The first session of the family a token's `sid` names (a family's first
 * session has the family's id, and it is kept, rotated rather than deleted,
 * while the family lives), when it belongs to the token's user and is not
 * revoked; undefined otherwise, or without session storage.
 */
export async function familyStart(storage: StoragePlugin, claims: Pick<AccessClaims, 'sid' | 'sub'> | undefined): Promise<SessionRecord | undefined> {
  const sessions = storage.sessions
  if (!sessions || typeof claims?.sid !== 'string' || typeof claims.sub !== 'string') return undefined
  const first = await sessions.findSession(claims.sid)
  if (!first || first.userId !== claims.sub || first.familyId !== claims.sid || first.revokedAt) return undefined
  return first
}

/** Ends the session a refresh token belongs to (its whole family). Ending an ended one is not an error. */
export async function signOut(ctx: CoreContext, token: unknown): Promise<void> {
  const { session } = await presented(ctx, parseRefreshToken(token))
  const ended = await store(ctx).revokeFamily(session.familyId, new Date(ctx.options.now()))
  if (ended > 0) ctx.events.emit('session:ended', { userId: session.userId, familyId: session.familyId, reason: 'sign-out' })
}

/**
 * Applies `patch` with the token version advanced and ends every refresh
 * family of the user except `keepFamily`, in one transaction: what a password
 * or email change, a role change, disabling and `revokeSessions` share. After
 * the commit, drops this instance's cached tokens for the user. Undefined when
 * the user is gone. `atomicWith` runs first in the same transaction (a
 * plugin consuming the token that authorises the change).
 */
export async function updateAndRevoke(
  ctx: CoreContext,
  userId: string,
  patch: UserPatch,
  keepFamily?: string,
  atomicWith?: (tx: TransactionStore) => Promise<void>,
): Promise<UserRecord | undefined> {
  const now = new Date(ctx.options.now())
  const revoke = async (sessions: SessionStore) => {
    if (keepFamily === undefined) {
      await sessions.revokeUserSessions(userId, now)
      return
    }
    const others = (await sessions.listUserSessions(userId, now)).filter((s) => s.familyId !== keepFamily)
    for (const familyId of new Set(others.map((s) => s.familyId))) await sessions.revokeFamily(familyId, now)
  }
  const updated = await ctx.storage.transaction(async (tx) => {
    await atomicWith?.(tx)
    const row = await tx.updateUser(userId, { ...patch, bumpTokenVersion: true })
    if (row && tx.sessions) await revoke(tx.sessions)
    return row
  })
  if (!updated) return undefined
  ctx.forgetUser(userId)
  // A refresh that committed while the revocation ran may have stored a
  // successor the revoking statement could not see (PostgreSQL's READ
  // COMMITTED snapshot is taken when a statement starts). Once both have
  // committed it is visible, so a second pass ends it. The change itself is
  // already committed: a failure here is reported, not thrown.
  if (ctx.storage.sessions) await revoke(ctx.storage.sessions).catch((error: unknown) => ctx.events.report('sessions', error))
  return updated
}

/** Ends all of a user's sessions and tokens (the user themselves, or whoever may edit them). */
export async function revokeSessions(ctx: CoreContext, userId: unknown, options: AsCaller): Promise<void> {
  const caller = await loadCaller(ctx, options)
  const target = await readableTarget(ctx, caller, userId)
  if (!(await allowed(ctx.rules.canEdit, caller, target.user))) throw new AuthError('ERR_AUTH_FORBIDDEN')
  store(ctx)
  if (!(await updateAndRevoke(ctx, target.record.id, {}))) throw new AuthError('ERR_AUTH_USER_NOT_FOUND')
  ctx.events.emit('user:sessions-revoked', { userId: target.record.id, by: caller.id })
}

/** A user's live sessions, without secrets (the user themselves, or whoever may edit them). */
export async function listSessions(ctx: CoreContext, userId: unknown, options: AsCaller): Promise<SessionInfo[]> {
  const caller = await loadCaller(ctx, options)
  const target = await readableTarget(ctx, caller, userId)
  // Session ids are half of each refresh token: only who may end them may see them.
  if (!(await allowed(ctx.rules.canEdit, caller, target.user))) throw new AuthError('ERR_AUTH_FORBIDDEN')
  const rows = await store(ctx).listUserSessions(target.record.id, new Date(ctx.options.now()))
  return rows.map((s) =>
    Object.freeze({
      id: s.id,
      familyId: s.familyId,
      createdAt: s.createdAt.toISOString(),
      expiresAt: s.expiresAt.toISOString(),
      idleExpiresAt: s.idleExpiresAt.toISOString(),
    }),
  )
}

/** Maintenance: deletes expired sessions; returns how many. Run it from a timer or a cron job. */
export async function purgeExpiredSessions(ctx: CoreContext): Promise<number> {
  return store(ctx).deleteExpiredSessions(new Date(ctx.options.now()))
}

/** What `auth.purgeExpired()` deleted. */
export interface PurgeResult {
  /** Sessions past their absolute or idle expiry. */
  readonly sessions: number
  /** One-time tokens expired or used (their payloads, such as an invitee's address, go with them). */
  readonly oneTimeTokens: number
}

/** Maintenance: deletes expired sessions and expired or used one-time tokens, in each store the storage plugin has. */
export async function purgeExpired(ctx: CoreContext): Promise<PurgeResult> {
  const now = new Date(ctx.options.now())
  const sessions = (await ctx.storage.sessions?.deleteExpiredSessions(now)) ?? 0
  const oneTimeTokens = (await ctx.storage.oneTimeTokens?.deleteExpiredTokens(now)) ?? 0
  return Object.freeze({ sessions, oneTimeTokens })
}
