import { allowed } from '../access.js'
import { AuthError } from '../errors.js'
import { assertMailable, normalizeEmail } from '../email.js'
import { parseInput } from '../input.js'
import type { UserPatch } from '../storage-types.js'
import { normalizeName } from '../users/name.js'
import { toPublicUser, type PublicUser } from '../users/public-user.js'
import { loadCaller, type AsCaller, type CoreContext } from './context.js'
import { readableTarget } from './profiles.js'
import { familyStart, updateAndRevoke } from './sessions.js'
import type { RequestContext } from '../plugin-types.js'

/**
 * Changes a user's email, name or password. Changing your own email or
 * password needs `currentPass` (an admin editing someone else does not). A
 * password or email change advances the token version and ends the user's
 * other sessions. With email verification on, an email change waits: a
 * link goes to the new address (and a notice to the old one), and nothing
 * changes until it is used; the answer names the pending address. Answers
 * the user and a fresh token for the caller (for themselves when they
 * edited themselves).
 */
export async function editProfile(
  ctx: CoreContext,
  id: unknown,
  input: unknown,
  options: AsCaller,
  request: RequestContext = {},
): Promise<EditProfileResult> {
  const caller = await loadCaller(ctx, options)
  const changes = parseInput('editProfile', input)
  if (changes.email === undefined && changes.name === undefined && changes.pass === undefined) {
    throw new AuthError('ERR_AUTH_INPUT_INVALID', 'Invalid input: give at least one of email, name or pass')
  }
  const email = changes.email === undefined ? undefined : normalizeEmail(changes.email)
  const name = changes.name === undefined ? undefined : normalizeName(changes.name)
  const pass = changes.pass === undefined ? undefined : ctx.passwords.checkNew(changes.pass)

  const target = await readableTarget(ctx, caller, id)
  if (!(await allowed(ctx.rules.canEdit, caller, target.user))) throw new AuthError('ERR_AUTH_FORBIDDEN')
  const self = target.record.id === caller.id
  if (self && (email !== undefined || pass !== undefined)) {
    if (changes.currentPass === undefined) throw new AuthError('ERR_AUTH_REAUTH_REQUIRED')
    const current = ctx.passwords.normalize(changes.currentPass, 'currentPass')
    // A password check like sign-in's, under the same counters: a stolen
    // token must not become an unlimited password-guessing oracle.
    ctx.passwords.assertCapacity()
    const { emailKey } = target.record
    const limits = ctx.limiter.begin()
    await limits.address('sign-in', request.clientAddress)
    await limits.beforeAttempt(emailKey)
    if (!(await ctx.passwords.verify(target.record.passwordHash, current))) {
      await limits.afterFailure(emailKey, target.record.id)
      throw new AuthError('ERR_AUTH_REAUTH_REQUIRED')
    }
    await limits.afterSuccess(emailKey)
  }
  await ctx.hooks.run('beforeEditProfile', {
    userId: target.record.id,
    changes: Object.freeze({
      ...(email && { email: email.key }),
      ...(name !== undefined && { name }),
      ...(pass !== undefined && { pass: true as const }),
    }),
  })

  // With verification on, the address is changed only by the link sent to it.
  // The same key is the same mailbox (a change of case, say): nothing to confirm.
  const same = email !== undefined && email.key === target.record.emailKey
  const deferred = email !== undefined && !same && ctx.options.emailVerification !== 'off' && ctx.accountEmail !== undefined ? email : undefined
  // Checked before anything is written: the link must reach what was checked.
  if (deferred) assertMailable(deferred)
  const patch: UserPatch = {}
  if (email && !deferred) Object.assign(patch, { email: email.email, emailKey: email.key, emailVerified: same && target.record.emailVerified })
  if (name !== undefined) patch.name = name
  if (pass !== undefined) patch.passwordHash = await ctx.passwords.hash(pass)
  if (patch.email !== undefined || pass !== undefined) patch.bumpTokenVersion = true
  // A new password or email ends the tokens and sessions issued for the old
  // ones, in the same transaction; the caller's own session survives their own change.
  const keepFamily = self ? options.as.sid : undefined
  const updated = patch.bumpTokenVersion
    ? await updateAndRevoke(ctx, target.record.id, patch, keepFamily)
    : Object.keys(patch).length > 0 ? await ctx.storage.updateUser(target.record.id, patch) : target.record
  if (!updated) throw new AuthError('ERR_AUTH_USER_NOT_FOUND')
  if (deferred) await ctx.accountEmail!.emailChangeRequested(updated, deferred, keepFamily, request)
  const user = toPublicUser(updated)
  // The fresh token goes on naming the caller's session, and how it signed in (no amr when that family is gone or ended).
  const method = (await familyStart(ctx.storage, options.as))?.method ?? undefined
  const token = await ctx.issueToken(self ? updated : caller.record, options.as.sid, method)
  const changed = (['email', 'name', 'pass'] as const).filter((field) => (field === 'email' ? patch.email !== undefined : changes[field] !== undefined))
  if (changed.length > 0) ctx.events.emit('user:updated', { user, changed, by: caller.id })
  return deferred ? { user, token, pendingEmail: deferred.email } : { user, token }
}

/** What `editProfile` answers. */
export interface EditProfileResult {
  /** The user as stored now. */
  user: PublicUser
  /** A fresh access token for the caller. */
  token: string
  /** With email verification on: the address a confirmation link was sent to; the email changes when it is used. */
  pendingEmail?: string
}
