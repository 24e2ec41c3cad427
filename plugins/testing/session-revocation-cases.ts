/** Conformance (sessions): revocation by family and by user, and sessions inside transactions. */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { newSession, newUser, sessionsOf, withPlugin } from './kit-helpers.js'

/** Registers the revocation and transaction subtests. */
export function sessionRevocationCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('revokeFamily revokes only the live rows of that family and returns the count', (t) => withPlugin(options, async (plugin) => {
    const sessions = sessionsOf(t, plugin)
    const now = new Date()
    const at = (ms: number) => new Date(now.getTime() + ms)
    const first = await sessions.createSession(newSession('fam-user', at(-3000)))
    const second = newSession('fam-user', at(-2000), { familyId: first.familyId })
    await sessions.rotateSession(first.id, second, at(-2000))
    const third = newSession('fam-user', at(-1000), { familyId: first.familyId })
    await sessions.rotateSession(second.id, third, at(-1000))
    const stale = await sessions.createSession(newSession('fam-user', at(-3000), { familyId: first.familyId, idleExpiresAt: at(-1) }))
    const otherFamily = await sessions.createSession(newSession('fam-user', at(-3000)))
    t.equal(await sessions.revokeFamily(first.familyId, now), 1, 'one live session in the family: 1')
    t.equal((await sessions.findSession(third.id))?.revokedAt?.getTime(), now.getTime(), 'the current session is revoked at now')
    for (const [label, id] of [['consumed', first.id], ['consumed', second.id], ['expired', stale.id]] as const) {
      t.equal((await sessions.findSession(id))?.revokedAt, null, `a ${label} row is left as it was`)
    }
    t.equal((await sessions.findSession(otherFamily.id))?.revokedAt, null, 'another family is untouched')
    t.equal(await sessions.revokeFamily(first.familyId, at(1000)), 0, 'revoking again: 0')
    t.equal((await sessions.findSession(third.id))?.revokedAt?.getTime(), now.getTime(), 'revokedAt is not moved by a second revoke')
    t.equal(await sessions.revokeFamily('no-such-family', now), 0, 'an unknown family: 0')
  }))

  t.test('revokeUserSessions revokes every live session of that user only', (t) => withPlugin(options, async (plugin) => {
    const sessions = sessionsOf(t, plugin)
    const now = new Date()
    const at = (ms: number) => new Date(now.getTime() + ms)
    await sessions.createSession(newSession('all-user', at(-3000)))
    await sessions.createSession(newSession('all-user', at(-2000)))
    const consumed = await sessions.createSession(newSession('all-user', at(-2000)))
    await sessions.rotateSession(consumed.id, newSession('all-user', at(-1000), { familyId: consumed.familyId }), at(-1000))
    const revoked = await sessions.createSession(newSession('all-user', at(-2000)))
    await sessions.revokeFamily(revoked.familyId, at(-1500))
    const other = await sessions.createSession(newSession('all-user-2', at(-1000)))
    t.equal(await sessions.revokeUserSessions('all-user', now), 3, 'three live sessions revoked')
    t.same(await sessions.listUserSessions('all-user', now), [], 'none left live')
    t.equal((await sessions.findSession(revoked.id))?.revokedAt?.getTime(), at(-1500).getTime(), 'an earlier revocation keeps its time')
    t.equal((await sessions.findSession(consumed.id))?.revokedAt, null, 'a consumed row is left as it was')
    t.same((await sessions.listUserSessions('all-user-2', now)).map((s) => s.id), [other.id], "another user's session is untouched")
    t.equal(await sessions.revokeUserSessions('all-user', now), 0, 'again: 0')
  }))

  t.test('transaction(): tx.sessions takes part; a rollback removes the sessions it wrote', (t) => withPlugin(options, async (plugin) => {
    const sessions = sessionsOf(t, plugin)
    const now = new Date()
    const outside = await sessions.createSession(newSession('tx-user', now))
    const created = newSession('tx-user', now)
    const successor = newSession('tx-user', now, { familyId: outside.familyId })
    const user = newUser('tx-session')
    const fault = new Error('injected fault')
    let caught: unknown
    try {
      await plugin.transaction(async (tx) => {
        const txSessions = tx.sessions
        t.ok(txSessions !== undefined, 'the transaction offers sessions')
        if (txSessions === undefined) return
        await tx.createUser(user)
        await txSessions.createSession(created)
        t.ok(await txSessions.findSession(created.id), 'the transaction sees its own session')
        t.equal((await txSessions.rotateSession(outside.id, successor, now)).rotated, true, 'rotation inside the transaction')
        t.equal(await txSessions.revokeUserSessions('tx-user', now), 2, 'revocation inside sees the transaction state')
        throw fault
      })
    } catch (err) {
      caught = err
    }
    t.equal(caught, fault, "fn's error rethrown as-is")
    t.equal(await sessions.findSession(created.id), undefined, 'the session created in the rolled-back transaction does not exist')
    t.equal(await sessions.findSession(successor.id), undefined, 'nor the successor')
    const after = await sessions.findSession(outside.id)
    t.same([after?.consumedAt, after?.successorId, after?.revokedAt], [null, null, null], 'the rotation and revocation were rolled back')
    t.equal(await plugin.findUserById(user.id), undefined, 'the user write was rolled back with them')

    const committed = newSession('tx-user', now)
    await plugin.transaction(async (tx) => {
      await tx.createUser(user)
      await tx.sessions?.createSession(committed)
    })
    t.ok(await sessions.findSession(committed.id), 'a committed transaction keeps its session')
  }))
}
