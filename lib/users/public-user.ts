import type { UserRecord } from '../storage-types.js'

/**
 * A user as AuthCore returns it: never the password hash, the canonical key,
 * the token version or the disabled flag.
 */
export interface PublicUser {
  readonly id: string
  readonly email: string
  readonly name: string
  readonly role: string
  /** Whether the user proved they receive mail at `email`. */
  readonly emailVerified: boolean
  /** ISO 8601. */
  readonly createdAt: string
  /** ISO 8601. */
  readonly updatedAt: string
}

/** Picks the public fields of a stored user into a new frozen object. */
export function toPublicUser(record: UserRecord): PublicUser {
  return Object.freeze({
    id: record.id,
    email: record.email,
    name: record.name,
    role: record.role,
    emailVerified: record.emailVerified === true,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  })
}
