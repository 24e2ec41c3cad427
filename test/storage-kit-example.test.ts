// The in-memory plugin from docs/storage.md ("Writing your own storage
// plugin"), verbatim but for the import path, run through the conformance kit:
// proves the example works and that the kit serves plugins not built on kysely.
import t from 'tap'
import { runStorageConformance } from '../plugins/testing/index.js'
import { AuthError, MAX_PAGE_SIZE, type StoragePlugin, type UserRecord, type UserStore } from '../lib/index.js'

export function mapStorage(): StoragePlugin {
  let users = new Map<string, UserRecord>()
  let closed = false
  const check = () => {
    if (closed) throw new AuthError('ERR_AUTH_STORAGE_UNAVAILABLE', undefined, { cause: new Error('closed') })
  }
  const keyTaken = (key: string, except?: string) =>
    [...users.values()].some((u) => u.emailKey === key && u.id !== except)
  const checkVerified = (value: unknown) => {
    if (value !== undefined && typeof value !== 'boolean') throw new TypeError('emailVerified must be a boolean')
  }
  const store = (): UserStore => ({
    async createUser(u) {
      check()
      checkVerified(u.emailVerified)
      if (keyTaken(u.emailKey)) throw new AuthError('ERR_AUTH_USER_EXISTS')
      const now = new Date()
      const user = { ...u, tokenVersion: 0, disabled: false, emailVerified: u.emailVerified ?? false, createdAt: now, updatedAt: now }
      users.set(u.id, user)
      return { ...user }
    },
    async findUserById(id) { check(); const u = users.get(id); return u && { ...u } },
    async findUserByEmailKey(key) { check(); const u = [...users.values()].find((x) => x.emailKey === key); return u && { ...u } },
    async updateUser(id, { bumpTokenVersion, ifPasswordHash, ...patch }) {
      check()
      checkVerified(patch.emailVerified)
      const u = users.get(id)
      if (!u) return undefined
      // A conditional update (a sign-in's re-hash): only while the hash is still the verified one.
      if (ifPasswordHash !== undefined && u.passwordHash !== ifPasswordHash) return undefined
      if (patch.emailKey !== undefined && keyTaken(patch.emailKey, id)) throw new AuthError('ERR_AUTH_USER_EXISTS')
      const next = { ...u, ...patch, tokenVersion: u.tokenVersion + (bumpTokenVersion ? 1 : 0), updatedAt: new Date() }
      users.set(id, next)
      return { ...next }
    },
    async listUsers({ limit, cursor }) {
      check()
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) throw new TypeError('limit must be 1..100')
      let after = ''
      if (cursor !== undefined) {
        after = Buffer.from(cursor, 'base64url').toString()
        if (!/^[A-Za-z0-9_-]+$/.test(cursor) || !after.startsWith('u:')) throw new AuthError('ERR_AUTH_INPUT_INVALID')
        after = after.slice(2)
      }
      const rows = [...users.values()].filter((u) => u.id > after).sort((a, b) => (a.id < b.id ? -1 : 1))
      const page = rows.slice(0, limit).map((u) => ({ ...u }))
      return rows.length > limit ? { users: page, next: Buffer.from('u:' + page.at(-1)!.id).toString('base64url') } : { users: page }
    },
    async deleteUser(id) { check(); return users.delete(id) },
  })
  return {
    name: 'map',
    async init() { check() },
    async close() { closed = true },
    async transaction(fn) {
      check()
      const before = new Map(users)
      try {
        return await fn(store())
      } catch (err) {
        users = before // all or nothing
        throw err
      }
    },
    ...store(),
  }
}
runStorageConformance(t, { name: 'docs map example', create: () => mapStorage(), sharedScope: false })
