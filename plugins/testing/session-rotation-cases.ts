/** Conformance (sessions): rotation, its conditional update, and concurrent rotations. */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { describe, hasCode, newSession, plainSession, sessionsOf, withPlugin } from './kit-helpers.js'

/** Registers the rotation subtests. */
export function sessionRotationCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('rotate succeeds once; rotating again answers rotated:false with the consumed row', (t) => withPlugin(options, async (plugin) => {
    const sessions = sessionsOf(t, plugin)
    const start = new Date(Date.now() - 60_000)
    const first = await sessions.createSession(newSession('rot-user', start, { method: 'basic' }))
    const now = new Date(start.getTime() + 1000)
    const successor = newSession('rot-user', now, { familyId: first.familyId, expiresAt: first.expiresAt, method: 'basic' })
    const result = await sessions.rotateSession(first.id, successor, now)
    t.equal(result.rotated, true, 'rotated')
    if (result.rotated) {
      t.same(plainSession(result.successor), plainSession({ ...successor, consumedAt: null, successorId: null, revokedAt: null }), 'the successor record')
    }
    const consumed = await sessions.findSession(first.id)
    t.equal(consumed?.consumedAt?.getTime(), now.getTime(), 'consumedAt is now')
    t.equal(consumed?.successorId, successor.id, 'successorId set')
    t.equal(consumed?.revokedAt, null, 'not revoked')
    t.same(plainSession(await sessions.findSession(successor.id)), plainSession({ ...successor, consumedAt: null, successorId: null, revokedAt: null }),
      'the successor is stored, live')

    const later = new Date(now.getTime() + 1000)
    const again = newSession('rot-user', later, { familyId: first.familyId })
    const second = await sessions.rotateSession(first.id, again, later)
    t.equal(second.rotated, false, 'a second rotation of the same session fails')
    if (!second.rotated) {
      t.equal(second.current?.consumedAt?.getTime(), now.getTime(), 'current: consumed at the first rotation')
      t.equal(second.current?.successorId, successor.id, 'current: successorId is the first successor')
    }
    t.equal(await sessions.findSession(again.id), undefined, 'the losing successor was not stored')
    const chained = await sessions.rotateSession(successor.id, again, later)
    t.equal(chained.rotated, true, 'the successor rotates in turn')
  }))

  t.test("rotateSession stores the successor's method as given (null when it has none), and leaves the consumed session's", (t) =>
    withPlugin(options, async (plugin) => {
      const sessions = sessionsOf(t, plugin)
      const now = new Date()
      const rule = "rule: the successor keeps the method the caller passes"
      const first = await sessions.createSession(newSession('rot-method', now, { method: 'email-link:code' }))
      const second = newSession('rot-method', now, { familyId: first.familyId, method: 'email-link:code' })
      const result = await sessions.rotateSession(first.id, second, now)
      t.equal(result.rotated && result.successor.method, 'email-link:code', `${rule} (rotateSession's answer)`)
      t.equal((await sessions.findSession(second.id))?.method, 'email-link:code', `${rule} (the stored successor)`)
      t.equal((await sessions.findSession(first.id))?.method, 'email-link:code', 'the consumed session keeps its own')
      // A family stored before methods were kept: its successors have none either.
      const third = newSession('rot-method', now, { familyId: first.familyId })
      await sessions.rotateSession(second.id, third, now)
      t.equal((await sessions.findSession(third.id))?.method, null, `${rule} (none given: null)`)
    }))

  t.test('a revoked session cannot rotate; an unknown one answers current undefined', (t) => withPlugin(options, async (plugin) => {
    const sessions = sessionsOf(t, plugin)
    const now = new Date()
    const session = await sessions.createSession(newSession('rev-user', now))
    t.equal(await sessions.revokeFamily(session.familyId, now), 1, 'revoked')
    const successor = newSession('rev-user', now, { familyId: session.familyId })
    const result = await sessions.rotateSession(session.id, successor, now)
    t.equal(result.rotated, false, 'not rotated')
    if (!result.rotated) {
      t.equal(result.current?.revokedAt?.getTime(), now.getTime(), 'current: revoked')
      t.equal(result.current?.consumedAt, null, 'current: not consumed')
    }
    t.equal(await sessions.findSession(successor.id), undefined, 'no successor stored')
    const unknown = await sessions.rotateSession('no-such-session', newSession('rev-user', now), now)
    t.same(unknown, { rotated: false, current: undefined }, 'unknown id: rotated false, current undefined')
  }))

  t.test('a failing successor insert rolls the consumption back', (t) => withPlugin(options, async (plugin) => {
    const sessions = sessionsOf(t, plugin)
    const now = new Date()
    const taken = await sessions.createSession(newSession('fail-user', now))
    const session = await sessions.createSession(newSession('fail-user', now))
    let error: unknown
    try {
      await sessions.rotateSession(session.id, newSession('fail-user', now, { id: taken.id, familyId: session.familyId }), now)
    } catch (err) {
      error = err
    }
    t.ok(hasCode(error, 'ERR_AUTH_STORAGE_FAILED'), `a duplicate successor id is ERR_AUTH_STORAGE_FAILED (got ${describe(error)})`)
    const after = await sessions.findSession(session.id)
    t.same([after?.consumedAt, after?.successorId], [null, null], 'the session is still unconsumed')
    t.equal((await sessions.rotateSession(session.id, newSession('fail-user', now, { familyId: session.familyId }), now)).rotated, true,
      'and can still rotate')
  }))

  for (const racers of [2, 20]) {
    t.test(`${racers} concurrent rotations of one session: exactly one wins`, (t) => withPlugin(options, async (plugin) => {
      const sessions = sessionsOf(t, plugin)
      const now = new Date()
      const session = await sessions.createSession(newSession('race-user', now))
      const successors = Array.from({ length: racers }, () => newSession('race-user', now, { familyId: session.familyId }))
      const results = await Promise.allSettled(successors.map((s) => sessions.rotateSession(session.id, s, now)))
      const errors = results.filter((r) => r.status === 'rejected').map((r) => describe((r as PromiseRejectedResult).reason))
      t.same(errors, [], 'no rotation failed')
      const answers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))
      const winners = answers.filter((r) => r.rotated)
      t.equal(winners.length, 1, 'one rotated:true')
      t.equal(answers.filter((r) => !r.rotated && r.current?.consumedAt !== null && r.current?.successorId !== null).length, racers - 1,
        'the others: rotated:false with the consumed row')
      const winner = winners[0]
      const stored = await Promise.all(successors.map((s) => sessions.findSession(s.id)))
      t.equal(stored.filter((s) => s !== undefined).length, 1, 'one successor stored')
      if (winner?.rotated) t.equal((await sessions.findSession(session.id))?.successorId, winner.successor.id, 'the stored successorId is the winner')
      t.equal((await sessions.listUserSessions('race-user', now)).length, 1, 'one live session in the family')
    }))
  }
}
