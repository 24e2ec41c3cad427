import type { PublicUser } from './users/public-user.js'

/** Who is asking: the caller's verified token claims, with the role as stored now. */
export interface Caller {
  /** The caller's user id. */
  readonly id: string
  /** The caller's current role (read from storage, not from the token). */
  readonly role: string
  /** True when the role is one of `adminRoles`. */
  readonly isAdmin: boolean
}

/**
 * Access decisions. Each rule you give replaces the default for that
 * decision; a rule that throws denies. A user the caller may not read looks
 * exactly like a missing one.
 */
export interface AccessRules {
  /** May `caller` read `target`? Default: themselves, or an admin. */
  canRead?(caller: Caller, target: PublicUser): boolean | Promise<boolean>
  /** May `caller` edit `target`'s email, name or password? Default: themselves, or an admin. */
  canEdit?(caller: Caller, target: PublicUser): boolean | Promise<boolean>
  /** May `caller` list all users? Default: an admin. */
  canList?(caller: Caller): boolean | Promise<boolean>
  /** May `caller` give `target` the role `role`? Default: an admin. */
  canSetRole?(caller: Caller, target: PublicUser, role: string): boolean | Promise<boolean>
  /** May `caller` disable or enable `target`? Default: an admin, and never themselves. */
  canDisable?(caller: Caller, target: PublicUser): boolean | Promise<boolean>
  /** May `caller` clear `target`'s sign-in lockout? Default: an admin. */
  canUnlock?(caller: Caller, target: PublicUser): boolean | Promise<boolean>
}

const selfOrAdmin = (caller: Caller, target: PublicUser) => caller.isAdmin || caller.id === target.id

/** The default rules. */
export const DEFAULT_RULES: Required<AccessRules> = Object.freeze({
  canRead: selfOrAdmin,
  canEdit: selfOrAdmin,
  canList: (caller: Caller) => caller.isAdmin,
  canSetRole: (caller: Caller) => caller.isAdmin,
  canDisable: (caller: Caller, target: PublicUser) => caller.isAdmin && caller.id !== target.id,
  canUnlock: (caller: Caller) => caller.isAdmin,
})

/** Asks a rule; anything but `true` (including a throw) is a no. */
export async function allowed<A extends unknown[]>(
  rule: (...args: A) => boolean | Promise<boolean>,
  ...args: A
): Promise<boolean> {
  try {
    return (await rule(...args)) === true
  } catch {
    return false
  }
}
