/**
 * Database row -> UserRecord (and SessionRecord). On the hot path, so it is one object literal
 * with typeof checks and no allocation beyond the record and its two Dates.
 */
import type { SessionRecord } from '../../../lib/index.js'
import type { UserRecord } from '../../../lib/index.js'

/** A users row as the drivers return it (types vary by engine). */
export interface UserRow {
  id: string
  email: string | null
  name: string | null
  pass: string | null
  role: string | null
  email_key: string | null
  created_at: Date | number | string | null
  updated_at: Date | number | string | null
  token_version: number | string | null
  disabled: boolean | number | null
  email_verified: boolean | number | null
}

/**
 * Maps a row. Adopted rows may hold NULL where AuthCore never writes one:
 * name, role, email and email_key then read as `''` (an empty key never
 * matches a lookup), timestamps as the epoch.
 */
export function mapUserRow(row: UserRow): UserRecord {
  return {
    id: row.id,
    email: row.email ?? '',
    emailKey: row.email_key ?? '',
    name: row.name ?? '',
    role: row.role ?? '',
    passwordHash: row.pass,
    tokenVersion: typeof row.token_version === 'number' ? row.token_version : Number(row.token_version ?? 0),
    disabled: row.disabled === true || row.disabled === 1,
    emailVerified: row.email_verified === true || row.email_verified === 1,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  }
}

/** A sessions row as the drivers return it. */
export interface SessionRow {
  id: string
  family_id: string
  user_id: string
  secret_hash: string
  created_at: Date | number | string
  expires_at: Date | number | string
  idle_expires_at: Date | number | string
  consumed_at: Date | number | string | null
  successor_id: string | null
  revoked_at: Date | number | string | null
  method: string | null
}

/** Maps a sessions row. */
export function mapSessionRow(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    familyId: row.family_id,
    userId: row.user_id,
    secretHash: row.secret_hash,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    idleExpiresAt: toDate(row.idle_expires_at),
    consumedAt: row.consumed_at === null ? null : toDate(row.consumed_at),
    successorId: row.successor_id,
    revokedAt: row.revoked_at === null ? null : toDate(row.revoked_at),
    method: row.method,
  }
}

/** A stored timestamp as a Date: SQLite's epoch milliseconds, or the driver's Date. */
export function toDate(value: Date | number | string | null): Date {
  // Always a new Date: a record never shares a mutable object with the row
  // it came from (a driver's cache, or the values just written).
  if (value instanceof Date) return new Date(value.getTime())
  // SQLite stores epoch milliseconds; a string only appears in adopted data.
  return new Date(value ?? 0)
}
