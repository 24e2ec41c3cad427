/** Conformance: misuse of the user and session operations is a TypeError, before anything is read or written. */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { newSession, newUser, plain, plainSession, rejectsTypeError, sessionsOf, withPlugin } from './kit-helpers.js'

/** Registers the user misuse subtests. */
export function userMisuseCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('user operations: a non-string id or key, a field of the wrong type or a missing argument is a TypeError and changes nothing', (t) =>
    withPlugin(options, async (plugin) => {
      const user = await plugin.createUser(newUser('misuse'))
      const bad: [string, () => Promise<unknown>][] = [
        ['createUser(null)', () => plugin.createUser(null as never)],
        ['createUser with a numeric id', () => plugin.createUser(newUser('misuse-1', { id: 1 as never }))],
        ['createUser with a null email', () => plugin.createUser(newUser('misuse-2', { email: null as never }))],
        ['createUser with a numeric emailKey', () => plugin.createUser(newUser('misuse-3', { emailKey: 3 as never }))],
        ['createUser with an object name', () => plugin.createUser(newUser('misuse-4', { name: {} as never }))],
        ['createUser without a role', () => plugin.createUser(newUser('misuse-5', { role: undefined as never }))],
        ['createUser with a numeric passwordHash', () => plugin.createUser(newUser('misuse-6', { passwordHash: 6 as never }))],
        ['findUserById(1)', () => plugin.findUserById(1 as never)],
        ['findUserById(undefined)', () => plugin.findUserById(undefined as never)],
        ['findUserById with an object that prints as the id', () => plugin.findUserById({ toString: () => user.id } as never)],
        ['findUserByEmailKey(null)', () => plugin.findUserByEmailKey(null as never)],
        ['updateUser with a numeric id', () => plugin.updateUser(1 as never, { name: 'x' })],
        ['updateUser with a null patch', () => plugin.updateUser(user.id, null as never)],
        ['updateUser with a numeric name', () => plugin.updateUser(user.id, { name: 1 as never })],
        ['updateUser with a null email', () => plugin.updateUser(user.id, { email: null as never })],
        ['updateUser with a numeric emailKey', () => plugin.updateUser(user.id, { emailKey: 1 as never })],
        ['updateUser with a boolean role', () => plugin.updateUser(user.id, { role: true as never })],
        ['updateUser with a numeric passwordHash', () => plugin.updateUser(user.id, { passwordHash: 1 as never })],
        ["updateUser with disabled 'yes'", () => plugin.updateUser(user.id, { disabled: 'yes' as never })],
        ['updateUser with a numeric ifPasswordHash', () => plugin.updateUser(user.id, { name: 'x', ifPasswordHash: 1 as never })],
        ['deleteUser with a numeric id', () => plugin.deleteUser(1 as never)],
        ['listUsers(null)', () => plugin.listUsers(null as never)],
      ]
      for (const [label, run] of bad) await rejectsTypeError(t, run, `rule: misuse is a TypeError: ${label}`)
      t.same(plain(await plugin.findUserById(user.id)), plain(user), 'the user is unchanged')
      t.same((await plugin.listUsers({ limit: 10 })).users.map((u) => u.id), [user.id], 'no user was created')
    }))
}

/** Registers the session misuse subtests. */
export function sessionMisuseCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('session operations: a non-string id, an invalid Date or a time that is not a Date is a TypeError and changes nothing', (t) =>
    withPlugin(options, async (plugin) => {
      const sessions = sessionsOf(t, plugin)
      const now = new Date()
      const invalid = new Date(Number.NaN)
      const session = await sessions.createSession(newSession('misuse-user', now))
      const successor = () => newSession('misuse-user', now, { familyId: session.familyId })
      const bad: [string, () => Promise<unknown>][] = [
        ['createSession(null)', () => sessions.createSession(null as never)],
        ['createSession with a numeric id', () => sessions.createSession(newSession('misuse-user', now, { id: 1 as never }))],
        ['createSession with a null familyId', () => sessions.createSession(newSession('misuse-user', now, { familyId: null as never }))],
        ['createSession with a numeric userId', () => sessions.createSession(newSession(2 as never, now))],
        ['createSession with a numeric secretHash', () => sessions.createSession(newSession('misuse-user', now, { secretHash: 3 as never }))],
        ['createSession with an invalid createdAt', () => sessions.createSession(newSession('misuse-user', now, { createdAt: invalid }))],
        ['createSession with a string expiresAt', () => sessions.createSession(newSession('misuse-user', now, { expiresAt: '2030-01-01' as never }))],
        ['createSession with a numeric idleExpiresAt', () => sessions.createSession(newSession('misuse-user', now, { idleExpiresAt: now.getTime() as never }))],
        ['createSession with a numeric method', () => sessions.createSession(newSession('misuse-user', now, { method: 1 as never }))],
        ['createSession with a null method', () => sessions.createSession(newSession('misuse-user', now, { method: null as never }))],
        ['createSession with an empty method', () => sessions.createSession(newSession('misuse-user', now, { method: '' }))],
        ['createSession with a method of 65 characters', () => sessions.createSession(newSession('misuse-user', now, { method: 'm'.repeat(65) }))],
        ['findSession(1)', () => sessions.findSession(1 as never)],
        ['rotateSession with a numeric id', () => sessions.rotateSession(1 as never, successor(), now)],
        ['rotateSession with an invalid successor expiresAt', () => sessions.rotateSession(session.id, { ...successor(), expiresAt: invalid }, now)],
        ['rotateSession with a numeric successor method', () => sessions.rotateSession(session.id, { ...successor(), method: 7 as never }, now)],
        ['rotateSession with a successor method of 65 characters', () => sessions.rotateSession(session.id, { ...successor(), method: 'm'.repeat(65) }, now)],
        ['rotateSession with an invalid now', () => sessions.rotateSession(session.id, successor(), invalid)],
        ['rotateSession with a numeric now', () => sessions.rotateSession(session.id, successor(), now.getTime() as never)],
        ['revokeFamily with a numeric familyId', () => sessions.revokeFamily(1 as never, now)],
        ['revokeFamily with an invalid now', () => sessions.revokeFamily(session.familyId, invalid)],
        ['revokeUserSessions with a null userId', () => sessions.revokeUserSessions(null as never, now)],
        ['revokeUserSessions with a string now', () => sessions.revokeUserSessions('misuse-user', now.toISOString() as never)],
        ['listUserSessions with a numeric userId', () => sessions.listUserSessions(1 as never, now)],
        ['listUserSessions with an invalid now', () => sessions.listUserSessions('misuse-user', invalid)],
        ['deleteExpiredSessions with an invalid now', () => sessions.deleteExpiredSessions(invalid)],
        ['deleteExpiredSessions with a number', () => sessions.deleteExpiredSessions(now.getTime() as never)],
      ]
      for (const [label, run] of bad) await rejectsTypeError(t, run, `rule: misuse is a TypeError: ${label}`)
      t.same(plainSession(await sessions.findSession(session.id)), plainSession(session), 'the session is unchanged: not consumed, not revoked')
      t.same((await sessions.listUserSessions('misuse-user', now)).map((s) => s.id), [session.id], 'no session was created or deleted')
    }))
}
