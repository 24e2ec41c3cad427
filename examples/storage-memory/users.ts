/** The user operations. Ids are ordered by their UTF-8 bytes, as in the built-in drivers. */
import {
  AuthError, MAX_PAGE_SIZE, UsageError, type NewUser, type UserPage, type UserPatch, type UserRecord, type UserStore,
} from '../../lib/index.js'
import { bool, copy, object, text } from './arguments.js'
import { decodeCursor, encodeCursor } from './cursor.js'
import type { Run, Tables } from './database.js'

/** Compares two ids by their UTF-8 bytes (not UTF-16 code units: '\u{1F600}' sorts after '\uFFFD'). */
export function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

function hash(value: unknown, name: string): string | null {
  return value === null ? null : text(value, name)
}

// '' is what a row without a key reads as: it is never stored as a key, so it is never unique and never found.
function refuseEmptyKey(key: string): void {
  if (key === '') throw new AuthError('ERR_AUTH_INPUT_INVALID', 'The email key is empty')
}

function keyHolder(tables: Tables, key: string): Readonly<UserRecord> | undefined {
  for (const user of tables.users.values()) if (user.emailKey === key) return user
  return undefined
}

// The fields a patch sets: those present and not undefined, each checked.
function changes(patch: UserPatch): Partial<UserRecord> {
  const set: Partial<UserRecord> = {}
  for (const name of ['email', 'emailKey', 'name', 'role'] as const) {
    if (patch[name] !== undefined) set[name] = text(patch[name], `updateUser: patch.${name}`)
  }
  if (patch.passwordHash !== undefined) set.passwordHash = hash(patch.passwordHash, 'updateUser: patch.passwordHash')
  if (patch.disabled !== undefined) set.disabled = bool(patch.disabled, 'updateUser: patch.disabled')
  if (patch.emailVerified !== undefined) set.emailVerified = bool(patch.emailVerified, 'updateUser: patch.emailVerified')
  if (set.emailKey !== undefined) refuseEmptyKey(set.emailKey)
  return set
}

/** The user operations, reaching the tables through `run`. */
export function userStore(run: Run): UserStore {
  return {
    async createUser(input: NewUser) {
      object(input, 'createUser: user')
      const fields = {
        id: text(input.id, 'createUser: user.id'), email: text(input.email, 'createUser: user.email'),
        emailKey: text(input.emailKey, 'createUser: user.emailKey'), name: text(input.name, 'createUser: user.name'),
        role: text(input.role, 'createUser: user.role'), passwordHash: hash(input.passwordHash, 'createUser: user.passwordHash'),
        emailVerified: input.emailVerified === undefined ? false : bool(input.emailVerified, 'createUser: user.emailVerified'),
      }
      refuseEmptyKey(fields.emailKey)
      return run((tables) => {
        if (tables.users.has(fields.id)) throw new AuthError('ERR_AUTH_STORAGE_FAILED', 'A user with this id exists')
        if (keyHolder(tables, fields.emailKey) !== undefined) throw new AuthError('ERR_AUTH_USER_EXISTS')
        const now = new Date()
        const user = Object.freeze({ ...fields, tokenVersion: 0, disabled: false, createdAt: now, updatedAt: new Date(now) })
        tables.users.set(user.id, user)
        return copy(user)
      })
    },

    async findUserById(id) {
      text(id, 'findUserById: id')
      return run((tables) => copy(tables.users.get(id)))
    },

    async findUserByEmailKey(emailKey) {
      text(emailKey, 'findUserByEmailKey: emailKey')
      return run((tables) => (emailKey === '' ? undefined : copy(keyHolder(tables, emailKey))))
    },

    async updateUser(id, patch) {
      text(id, 'updateUser: id')
      object(patch, 'updateUser: patch')
      const set = changes(patch)
      const expected = patch.ifPasswordHash === undefined ? undefined : hash(patch.ifPasswordHash, 'updateUser: patch.ifPasswordHash')
      const bump = patch.bumpTokenVersion === undefined ? false : bool(patch.bumpTokenVersion, 'updateUser: patch.bumpTokenVersion')
      return run((tables) => {
        const user = tables.users.get(id)
        // A conditional update (a sign-in's re-hash) applies only while the stored hash is the expected one.
        if (user === undefined || (expected !== undefined && user.passwordHash !== expected)) return undefined
        const holder = set.emailKey === undefined ? undefined : keyHolder(tables, set.emailKey)
        if (holder !== undefined && holder.id !== id) throw new AuthError('ERR_AUTH_USER_EXISTS')
        const next = Object.freeze({ ...user, ...set, tokenVersion: user.tokenVersion + (bump ? 1 : 0), updatedAt: new Date() })
        tables.users.set(id, next)
        return copy(next)
      })
    },

    async listUsers(query) {
      const { limit, cursor } = object(query, 'listUsers: query')
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
        throw new UsageError(`listUsers: limit must be an integer from 1 to ${MAX_PAGE_SIZE}`)
      }
      const after = cursor === undefined ? undefined : decodeCursor(cursor)
      return run((tables): UserPage => {
        const rows = [...tables.users.values()].filter((u) => after === undefined || byBytes(u.id, after) > 0).sort((a, b) => byBytes(a.id, b.id))
        const users = rows.slice(0, limit).map(copy)
        const last = users.at(-1)
        return rows.length > limit && last !== undefined ? { users, next: encodeCursor(last.id) } : { users }
      })
    },

    async deleteUser(id) {
      text(id, 'deleteUser: id')
      return run((tables) => tables.users.delete(id))
    },
  }
}
