import { AuthError, isAuthError } from '../errors.js'
import { assertMailable, normalizeEmail } from '../email.js'
import { parseInput } from '../input.js'
import { normalizeName } from '../users/name.js'
import { toPublicUser, type PublicUser } from '../users/public-user.js'
import type { CoreContext } from './context.js'
import { randomUUID } from 'node:crypto'
import type { UserRecord } from '../storage-types.js'
import type { RequestContext } from '../plugin-types.js'
import { newSession } from './sessions.js'

/** What sign-up and sign-in answer. */
export interface SignedIn {
  /** The user, without any secret. */
  user: PublicUser
  /** A fresh access token. */
  token: string
  /** An opaque refresh token for `auth.refresh()`; absent when the storage plugin has no sessions. */
  refreshToken?: string
}

/**
 * An access token and, with session storage, a new refresh family for
 * `record`, the row the caller's check (a password verified, a user created)
 * was made against; both remember `method`, how they signed in (the token's
 * `amr`).
 *
 * A revocation (password, email or role change, disable, `revokeSessions`)
 * that commits while that check runs must end this family too. So once the
 * row exists the user is read again: if their token version has moved (or
 * they are gone or disabled), the family is revoked here and the sign-in
 * refused with `ERR_AUTH_SESSION_REVOKED` (fail closed: the client signs in
 * again, against the user as they are now). Otherwise the revocation commits
 * after the row exists, and its own revoke, or its second pass (see
 * `updateAndRevoke`), ends it. Without session storage, only the access
 * token's version protects (strict verification refuses it).
 */
async function tokensFor(ctx: CoreContext, record: UserRecord, method: string, onRevoked: () => void): Promise<{ token: string; refreshToken?: string }> {
  const session = newSession(ctx, record, method)
  if (!session) return { token: await ctx.issueToken(record, undefined, method) }
  // The token names the family before the row exists; both happen at once,
  // and the answer waits for both, so no token is handed out for a session
  // that failed to be stored.
  const [token] = await Promise.all([ctx.issueToken(record, session.familyId, method), ctx.storage.sessions!.createSession(session.row)])
  const fresh = await ctx.storage.findUserById(record.id)
  if (fresh && !fresh.disabled && fresh.tokenVersion === record.tokenVersion) return { token, refreshToken: session.refreshToken }
  await ctx.storage.sessions!.revokeFamily(session.familyId, new Date(ctx.options.now()))
  onRevoked()
  throw new AuthError('ERR_AUTH_SESSION_REVOKED')
}

/**
 * With `emailVerification: 'required'`, an unverified user gets no tokens:
 * a fresh link is queued (at most once per window) and the sign-in is
 * refused with `ERR_AUTH_EMAIL_UNVERIFIED`. Checked only once the user has
 * proven who they are, so the answer tells nothing to anyone else.
 */
async function requireVerified(ctx: CoreContext, record: UserRecord, request: RequestContext): Promise<void> {
  if (ctx.options.emailVerification !== 'required' || record.emailVerified) return
  await ctx.accountEmail?.unverifiedSignIn(record, request)
  throw new AuthError('ERR_AUTH_EMAIL_UNVERIFIED')
}

/**
 * Creates a user through the credentials method and signs them in. With
 * email verification on, a verification link is queued; with it required,
 * the answer is `ERR_AUTH_EMAIL_UNVERIFIED` instead of tokens, and a taken
 * address answers the same (its owner is told by mail), so sign-up does not
 * say which addresses are registered.
 */
export async function signUp(ctx: CoreContext, input: unknown, request: RequestContext = {}): Promise<SignedIn> {
  const parsed = parseInput('signUp', input)
  // Input that is refused for free is refused before any window is charged,
  // so junk cannot fill the counter store (the method checks again, as it must).
  const normalized = normalizeEmail(parsed.email)
  normalizeName(parsed.name)
  ctx.passwords.checkNew(parsed.pass)
  const verification = ctx.options.emailVerification
  // With verification on, a link goes to this address: it must be one mail reaches as checked.
  if (verification !== 'off') assertMailable(normalized)
  await ctx.limiter.begin().address('sign-up', request.clientAddress)
  let record: UserRecord
  try {
    record = await ctx.method.signUp(parsed, ctx.methodContext)
  } catch (err) {
    // The method hashed before the insert failed: a taken address cost the same as a new one.
    if (verification !== 'required' || !isAuthError(err, 'ERR_AUTH_USER_EXISTS')) throw err
    const existing = await ctx.storage.findUserByEmailKey(normalized.key)
    if (existing) await ctx.accountEmail?.signUpTaken(existing, request)
    throw new AuthError('ERR_AUTH_EMAIL_UNVERIFIED')
  }
  const user = toPublicUser(record)
  // The user exists from here on, whether or not a session can be made for them.
  const created = () => ctx.events.emit('user:created', { user, via: 'sign-up' })
  if (verification !== 'off' && !record.emailVerified) await ctx.accountEmail?.signedUp(record, request)
  if (verification === 'required' && !record.emailVerified) {
    created()
    throw new AuthError('ERR_AUTH_EMAIL_UNVERIFIED')
  }
  const tokens = await tokensFor(ctx, record, ctx.method.name, created)
  created()
  return { user, ...tokens }
}

/**
 * Checks credentials. Every failure (unknown email, wrong password, no hash,
 * disabled user) answers the same `ERR_AUTH_INVALID_CREDENTIALS`; only the
 * `user:sign-in-failed` event carries the reason. Address limits and account
 * throttling apply first, keyed the same for unknown and known emails.
 */
export async function signIn(ctx: CoreContext, input: unknown, request: RequestContext = {}): Promise<SignedIn> {
  const parsed = parseInput('signIn', input)
  // What is refused for free (a malformed email, an over-long password, a
  // full hash queue) charges no window: it must not count as an attempt, or
  // anyone could lock an account at no cost, nor fill the counter store.
  const { key } = normalizeEmail(parsed.email)
  ctx.passwords.normalize(parsed.pass)
  ctx.passwords.assertCapacity()
  const limits = ctx.limiter.begin()
  await limits.address('sign-in', request.clientAddress)
  // Locked or delayed accounts are refused here, before any hash is computed.
  await limits.beforeAttempt(key)
  const outcome = await ctx.method.signIn(parsed, ctx.methodContext)
  if (!outcome.ok) {
    const { reason, email, userId } = outcome
    await limits.afterFailure(key, userId)
    ctx.events.emit('user:sign-in-failed', { email, reason, method: ctx.method.name, ...(userId !== undefined && { userId }) })
    throw new AuthError('ERR_AUTH_INVALID_CREDENTIALS')
  }
  await limits.afterSuccess(key)
  const { user: checked } = outcome
  await requireVerified(ctx, checked, request)
  const tokens = await tokensFor(ctx, checked, ctx.method.name, () =>
    ctx.events.emit('user:sign-in-failed', { email: key, reason: 'changed-meanwhile', method: ctx.method.name, userId: checked.id }),
  )
  const user = toPublicUser(checked)
  ctx.events.emit('user:signed-in', { user, method: ctx.method.name })
  return { user, ...tokens }
}

/**
 * Signs in a user a plugin has proven by its own means (an invite, a
 * provider's identity, a mailed link): the same tokens and session as a
 * password sign-in, with the same check against a revocation made while
 * the plugin was proving them. `user` is the row as read before that proof.
 */
export async function signInProven(ctx: CoreContext, user: UserRecord, method: string): Promise<SignedIn> {
  if (user.disabled) throw new AuthError('ERR_AUTH_INVALID_CREDENTIALS')
  await requireVerified(ctx, user, {})
  const tokens = await tokensFor(ctx, user, method, () =>
    ctx.events.emit('user:sign-in-failed', { email: user.emailKey, reason: 'changed-meanwhile', method, userId: user.id }),
  )
  const publicUser = toPublicUser(user)
  ctx.events.emit('user:signed-in', { user: publicUser, method })
  return { user: publicUser, ...tokens }
}

/**
 * Server-side creation with any role, for trusted code only (never exposed
 * over HTTP): how the first admin is made. The password policy still applies.
 */
export async function createUser(ctx: CoreContext, input: unknown): Promise<PublicUser> {
  const parsed = parseInput('signUp', input)
  const { email, key } = normalizeEmail(parsed.email)
  const pass = ctx.passwords.checkNew(parsed.pass)
  const name = normalizeName(parsed.name)
  const role = parsed.role ?? ctx.options.defaultRole
  const passwordHash = await ctx.passwords.hash(pass)
  const record = await ctx.storage.createUser({ id: randomUUID(), email, emailKey: key, name, role, passwordHash })
  const user = toPublicUser(record)
  ctx.events.emit('user:created', { user, via: 'create-user' })
  return user
}
