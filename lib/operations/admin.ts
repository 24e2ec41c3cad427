import { allowed } from '../access.js'
import { AuthError, UsageError } from '../errors.js'
import { parseInput } from '../input.js'
import { toPublicUser, type PublicUser } from '../users/public-user.js'
import { loadCaller, type AsCaller, type CoreContext } from './context.js'
import { readableTarget } from './profiles.js'
import { updateAndRevoke } from './sessions.js'

/** Gives a user a new role (admins by default). Takes effect at once: the token version advances and their sessions end. */
export async function setRole(ctx: CoreContext, id: unknown, role: unknown, options: AsCaller): Promise<PublicUser> {
  const caller = await loadCaller(ctx, options)
  const { role: to } = parseInput('setRole', { role })
  const target = await readableTarget(ctx, caller, id)
  if (!(await allowed(ctx.rules.canSetRole, caller, target.user, to))) throw new AuthError('ERR_AUTH_FORBIDDEN')
  const from = target.record.role
  if (from === to) return target.user
  const updated = await updateAndRevoke(ctx, target.record.id, { role: to })
  if (!updated) throw new AuthError('ERR_AUTH_USER_NOT_FOUND')
  const user = toPublicUser(updated)
  ctx.events.emit('user:role-changed', { user, from, to, by: caller.id })
  return user
}

/** Disables (or enables again) a user (admins by default). Disabling ends every session and token of theirs at once. */
export async function setDisabled(ctx: CoreContext, id: unknown, disabled: unknown, options: AsCaller): Promise<PublicUser> {
  if (typeof disabled !== 'boolean') throw new UsageError('setDisabled(id, disabled, { as }) needs disabled as a boolean')
  const caller = await loadCaller(ctx, options)
  const target = await readableTarget(ctx, caller, id)
  if (!(await allowed(ctx.rules.canDisable, caller, target.user))) throw new AuthError('ERR_AUTH_FORBIDDEN')
  if (target.record.disabled === disabled) return target.user
  const updated = await updateAndRevoke(ctx, target.record.id, { disabled })
  if (!updated) throw new AuthError('ERR_AUTH_USER_NOT_FOUND')
  const user = toPublicUser(updated)
  ctx.events.emit('user:disabled-changed', { user, disabled, by: caller.id })
  return user
}

/** Clears a user's sign-in lockout and delays (admins by default). */
export async function unlock(ctx: CoreContext, id: unknown, options: AsCaller): Promise<void> {
  const caller = await loadCaller(ctx, options)
  const target = await readableTarget(ctx, caller, id)
  if (!(await allowed(ctx.rules.canUnlock, caller, target.user))) throw new AuthError('ERR_AUTH_FORBIDDEN')
  await ctx.limiter.begin().unlock(target.record.emailKey)
}
