// The conformance kit catches each mistake a storage plugin author is likely
// to make: each is planted in the reference plugin (examples/storage-memory)
// by a small wrapper, the kit runs in-process with a recording test object,
// and it must fail, naming the rule that was broken.
import t from 'tap'
import { AuthCore, type StoragePlugin, type UserPatch, type UserRecord } from '../lib/index.js'
import { runStorageConformance } from '../plugins/testing/index.js'
import { encodeCursor } from '../examples/storage-memory/cursor.js'
import { memoryKitOptions } from '../examples/storage-memory/kit-options.js'
import type { MemoryDatabase } from '../examples/storage-memory/memory-storage.js'
import { RecordingTest, type Recording } from './helpers/recording-test.js'

type Mutation = (plugin: StoragePlugin, database: MemoryDatabase) => StoragePlugin

/** Runs the whole kit on the reference plugin with `mutation` applied to every instance. */
async function runKit(mutation: Mutation): Promise<Recording> {
  const base = memoryKitOptions()
  const recorder = new RecordingTest()
  await runStorageConformance(recorder, { ...base, create: async (scope) => mutation(await base.create(scope), base.database(scope)) })
  await recorder.settled()
  return recorder.recording
}

const sessionsOf = (plugin: StoragePlugin) => plugin.sessions!

// A stored user record as it is, Dates and all (what a plugin handing out shallow copies shares).
const storedUser = (database: MemoryDatabase, id: string) => database.exclusive((tables) => tables.users.get(id))

// The docs' first in-memory example kept the empty key as a key; here it is kept under a stand-in.
const EMPTY = '\u0000empty'
const keepEmpty = (user: UserRecord | undefined) => user && { ...user, emailKey: user.emailKey === EMPTY ? '' : user.emailKey }

const MISTAKES: [string, RegExp, Mutation][] = [
  ['a duplicate user id overwrites the user holding it', /user ids are unique/, (p) => ({
    ...p,
    async createUser(user) {
      if (typeof user?.id === 'string') await p.deleteUser(user.id)
      return p.createUser(user)
    },
  })],
  ['a duplicate session id overwrites the session holding it', /session ids are unique/, (p, database) => ({
    ...p,
    sessions: {
      ...sessionsOf(p),
      async createSession(session) {
        await database.exclusive((tables) => tables.sessions.delete(session?.id))
        return sessionsOf(p).createSession(session)
      },
    },
  })],
  ['a duplicate one-time-token id overwrites the token holding it', /one-time-token ids are unique/, (p, database) => ({
    ...p,
    oneTimeTokens: {
      ...p.oneTimeTokens!,
      async createToken(token, options) {
        await database.exclusive((tables) => tables.tokens.delete(token?.id))
        return p.oneTimeTokens!.createToken(token, options)
      },
    },
  })],
  ['a duplicate credential id overwrites the credential holding it', /credential ids are unique/, (p, database) => ({
    ...p,
    credentials: {
      ...p.credentials!,
      async createCredential(credential) {
        await database.exclusive((tables) => tables.credentials.delete(credential?.id))
        return p.credentials!.createCredential(credential)
      },
    },
  })],
  ['user operations take a non-string id', /misuse is a TypeError: findUserById\(1\)/, (p) => ({
    ...p,
    findUserById: (id) => p.findUserById(String(id)),
    deleteUser: (id) => p.deleteUser(String(id)),
  })],
  ['session operations take an invalid Date (comparisons with NaN match nothing)', /misuse is a TypeError: deleteExpiredSessions with an invalid now/,
    (p) => {
      const valid = (now: Date) => now instanceof Date && !Number.isNaN(now.getTime())
      return {
        ...p,
        sessions: {
          ...sessionsOf(p),
          deleteExpiredSessions: async (now) => (valid(now) ? sessionsOf(p).deleteExpiredSessions(now) : 0),
          listUserSessions: async (userId, now) => (valid(now) ? sessionsOf(p).listUserSessions(userId, now) : []),
        },
      }
    }],
  ['findUserById hands out the stored Dates (a shallow copy)', /records are copies/, (p, database) => ({
    ...p,
    async findUserById(id) {
      const found = await p.findUserById(id)
      const stored = found && await storedUser(database, id)
      return stored && { ...stored }
    },
  })],
  ['listUsers takes an invented but well-formed cursor (no checksum)', /a cursor the plugin did not issue is refused/, (p) => ({
    ...p,
    async listUsers(query) {
      const cursor = query?.cursor
      let after: string | undefined
      if (cursor !== undefined) {
        after = Buffer.from(cursor, 'base64url').toString()
        if (!/^[A-Za-z0-9_-]+$/.test(cursor) || !after.startsWith('u:')) return p.listUsers(query)
      }
      const page = await p.listUsers({ limit: query.limit, ...(after === undefined ? {} : { cursor: encodeCursor(after.slice(2)) }) })
      const last = page.users.at(-1)
      return page.next === undefined || last === undefined ? page : { ...page, next: Buffer.from(`u:${last.id}`).toString('base64url') }
    },
  })],
  ['deleteExpiredSessions keeps a session expiring exactly at now', /one expiring at now is expired/, (p) => ({
    ...p,
    sessions: { ...sessionsOf(p), deleteExpiredSessions: (now) => sessionsOf(p).deleteExpiredSessions(new Date(now.getTime() - 1)) },
  })],
  ['a session\'s method is dropped (created and rotated as if none were given)', /NewSession\.method is stored as SessionRecord\.method/, (p) => {
    const drop = <T>(session: T) => (session !== null && typeof session === 'object' ? { ...session, method: undefined } : session)
    return {
      ...p,
      sessions: {
        ...sessionsOf(p),
        createSession: (session) => sessionsOf(p).createSession(drop(session)),
        rotateSession: (id, successor, now) => sessionsOf(p).rotateSession(id, drop(successor), now),
      },
    }
  }],
  ['rotateSession drops the successor\'s method', /the successor keeps the method the caller passes/, (p) => ({
    ...p,
    sessions: {
      ...sessionsOf(p),
      rotateSession: (id, successor, now) => sessionsOf(p).rotateSession(id, successor && { ...successor, method: undefined }, now),
    },
  })],
  ['listUserSessions counts a session expiring exactly at now as live', /one expiring at now is expired/, (p) => ({
    ...p,
    sessions: { ...sessionsOf(p), listUserSessions: (userId, now) => sessionsOf(p).listUserSessions(userId, new Date(now.getTime() - 1)) },
  })],
  ['updateUser erases a field present but undefined', /undefined fields change nothing/, (p) => ({
    ...p,
    updateUser(id, patch) {
      const erased: UserPatch = { ...patch }
      for (const name of ['email', 'name', 'role'] as const) if (name in erased && erased[name] === undefined) erased[name] = ''
      if ('passwordHash' in erased && erased.passwordHash === undefined) erased.passwordHash = null
      if ('disabled' in erased && erased.disabled === undefined) erased.disabled = false
      return p.updateUser(id, erased)
    },
  })],
  ['an empty email key is stored, unique like any other', /an empty email key is refused/, (p) => ({
    ...p,
    createUser: async (user) => keepEmpty(await p.createUser(user?.emailKey === '' ? { ...user, emailKey: EMPTY } : user))!,
    findUserByEmailKey: async (key) => keepEmpty(await p.findUserByEmailKey(key === '' ? EMPTY : key)),
    updateUser: async (id, patch) => keepEmpty(await p.updateUser(id, patch?.emailKey === '' ? { ...patch, emailKey: EMPTY } : patch)),
  })],
  ['listUsers orders ids by UTF-16 code units', /UTF-8 byte order/, (p) => ({
    ...p,
    async listUsers(query) {
      const page = await p.listUsers(query)
      return { ...page, users: [...page.users].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)) }
    },
  })],
  ['close() ends a database the plugin was given', /close\(\) leaves open a connection, pool or database the plugin was given/, (p, database) => ({
    ...p,
    async close() {
      await p.close()
      database.end()
    },
  })],
  ['transaction() writes through to the shared tables and restores a snapshot on failure', /no dirty reads/, (p, database) => ({
    ...p,
    async transaction(fn) {
      const before = await database.exclusive((tables) => new Map(tables.users))
      try {
        return await fn(p)
      } catch (err) {
        await database.exclusive((tables) => {
          tables.users.clear()
          for (const [id, user] of before) tables.users.set(id, user)
        })
        throw err
      }
    },
  })],
  ['purge keeps a counter window ending exactly at now', /purge\(now\) deletes the one ending at now/, (p) => ({
    ...p,
    rateLimits: { ...p.rateLimits!, purge: (now) => p.rateLimits!.purge!(now - 1) },
  })],
]

t.jobs = 4

t.test('the reference plugin passes the whole kit, with no group skipped', async (t) => {
  const { failures, skips } = await runKit((p) => p)
  t.same(failures, [], 'no failure')
  t.same(skips, [], 'no skip')
})

for (const [mistake, rule, mutation] of MISTAKES) {
  t.test(`the kit fails a plugin where ${mistake}, naming the rule`, async (t) => {
    const { failures } = await runKit(mutation)
    t.ok(failures.length > 0, 'the kit failed')
    t.ok(failures.some((f) => rule.test(f)), `a failure names the rule ${rule}`, { failures: failures.slice(0, 5) })
  })
}

t.test('a missing method is one failure with ready()\'s own message, not one per case', async (t) => {
  const mutation: Mutation = (p) => {
    const { deleteUser: _deleteUser, ...rest } = p
    return { ...rest, sessions: { ...sessionsOf(p), findSession: undefined } } as unknown as StoragePlugin
  }
  const { failures, skips } = await runKit(mutation)
  const auth = new AuthCore({ secret: 'x'.repeat(32), storage: mutation(memoryKitOptions().create('probe') as StoragePlugin, null as never) })
  const ready = await auth.ready().then(() => undefined, (err: Error) => err)
  await auth.close()
  t.match(ready, { code: 'ERR_AUTH_STORAGE_INCOMPLETE' }, 'ready() refuses the plugin')
  t.same(failures.filter((f) => !f.endsWith('the other groups are skipped, since each would only repeat it')),
    [`memory: contract shape > every operation is there, and records have the contract's field types > ERR_AUTH_STORAGE_INCOMPLETE: ${ready!.message}`],
    "one failure, with ready()'s message")
  t.notOk(failures.some((f) => /is not a function/.test(f)), 'no "is not a function"')
  t.ok(skips.length >= 10, `every other group is announced as skipped (${skips.length})`)
})

t.test('a field of the wrong type is named once, before anything crashes on it', async (t) => {
  const { failures, skips } = await runKit((p) => ({
    ...p,
    findUserById: async (id) => {
      const user = await p.findUserById(id)
      return user && { ...user, createdAt: user.createdAt.toISOString() as never }
    },
  }))
  t.ok(failures.some((f) => /UserRecord\.createdAt \(from findUserById\) must be a valid Date, got string/.test(f)), 'the field, the operation and what it got')
  t.notOk(failures.some((f) => /getTime is not a function/.test(f)), 'no crash inside the kit')
  t.ok(skips.length >= 10, 'the other groups are announced as skipped')
})

t.test('every group that does not run is announced as skipped, saying why', async (t) => {
  const base = memoryKitOptions()
  const recorder = new RecordingTest()
  await runStorageConformance(recorder, {
    name: 'partial',
    create: async (scope) => {
      const { sessions: _s, oneTimeTokens: _o, ...rest } = await base.create(scope)
      return rest
    },
    destroy: base.destroy,
    sharedScope: false,
  })
  await recorder.settled()
  const { failures, skips } = recorder.recording
  t.same(failures, [], 'the rest passes')
  for (const reason of [
    /the plugin has no sessions/, /the plugin has no oneTimeTokens/, /sharedScope is false/, /no breakConnection given, so operations after the database goes away/,
    /storage\.rateLimits: backend-gone cases: no breakConnection given/,
  ]) {
    t.ok(skips.some((s) => reason.test(s)), `announced: ${reason}`)
  }
})
