import { allowed } from '../access.js'
import { AuthError } from '../errors.js'
import { parseInput, type ProfilesQuery } from '../input.js'
import type { UserRecord } from '../storage-types.js'
import { toPublicUser, type PublicUser } from '../users/public-user.js'
import { loadCaller, type AsCaller, type CoreContext } from './context.js'

/** Default page size for `profiles`. */
export const DEFAULT_PAGE_SIZE = 20

/**
 * The target user if the caller may read it. A user the caller may not read
 * throws exactly what a missing one throws.
 */
export async function readableTarget(
  ctx: CoreContext,
  caller: Awaited<ReturnType<typeof loadCaller>>,
  rawId: unknown,
): Promise<{ record: UserRecord; user: PublicUser }> {
  const id = parseInput('userId', rawId)
  const record = id === caller.id ? caller.record : await ctx.storage.findUserById(id)
  const user = record && toPublicUser(record)
  if (!record || !user || !(await allowed(ctx.rules.canRead, caller, user))) throw new AuthError('ERR_AUTH_USER_NOT_FOUND')
  return { record, user }
}

/** One user, if the caller may read them. */
export async function profile(ctx: CoreContext, id: unknown, options: AsCaller): Promise<PublicUser> {
  const caller = await loadCaller(ctx, options)
  return (await readableTarget(ctx, caller, id)).user
}

/** A page of users, for callers allowed to list (admins by default). */
export async function profiles(
  ctx: CoreContext,
  options: AsCaller & ProfilesQuery,
): Promise<{ users: PublicUser[]; next?: string }> {
  const caller = await loadCaller(ctx, options)
  const { as: _as, ...query } = options
  const { limit = DEFAULT_PAGE_SIZE, cursor } = parseInput('profiles', query)
  if (!(await allowed(ctx.rules.canList, caller))) throw new AuthError('ERR_AUTH_FORBIDDEN')
  const page = await ctx.storage.listUsers(cursor === undefined ? { limit } : { limit, cursor })
  const users = page.users.map(toPublicUser)
  return page.next === undefined ? { users } : { users, next: page.next }
}
