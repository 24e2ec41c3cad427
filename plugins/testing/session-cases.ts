/** Conformance (sessions): create, find, list and delete-expired. */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { newScope, newSession, plainSession, rejectsWith, sessionsOf, withPlugin } from './kit-helpers.js'
import { HOSTILE_STRINGS } from './string-cases.js'

/** Registers the basic session subtests. */
export function sessionCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('createSession returns the record; findSession reads it back', (t) => withPlugin(options, async (plugin) => {
    const sessions = sessionsOf(t, plugin)
    const input = newSession('user-1', new Date())
    const created = await sessions.createSession(input)
    t.same(plainSession(created), plainSession({ ...input, consumedAt: null, successorId: null, revokedAt: null }),
      'fields as given; consumedAt, successorId and revokedAt null')
    const found = await sessions.findSession(input.id)
    t.same(plainSession(found), plainSession(created), 'findSession returns the same record')
    for (const key of ['createdAt', 'expiresAt', 'idleExpiresAt'] as const) t.ok(found?.[key] instanceof Date, `${key} is a Date`)
    t.equal(await sessions.findSession('no-such-session'), undefined, 'an unknown id: undefined')
    t.equal(await sessions.findSession(input.id.toUpperCase()), undefined, 'ids are exact (case-sensitive)')
  }))

  t.test('createSession keeps the method given, and null without one; findSession and listUserSessions read it back', (t) =>
    withPlugin(options, async (plugin) => {
      const sessions = sessionsOf(t, plugin)
      const now = new Date()
      const rule = 'rule: NewSession.method is stored as SessionRecord.method (null when absent)'
      const cases = [['with', 'oauth:google'], ['longest', `m:${'x'.repeat(62)}`], ['without', undefined]] as const
      for (const [label, method] of cases) {
        const input = newSession(`method-${label}`, now, method === undefined ? {} : { method })
        const created = await sessions.createSession(input)
        const expected = method ?? null
        t.equal(created.method, expected, `${rule}: createSession's record, ${label}`)
        t.equal((await sessions.findSession(input.id))?.method, expected, `${rule}: findSession, ${label}`)
        t.equal((await sessions.listUserSessions(`method-${label}`, now))[0]?.method, expected, `${rule}: listUserSessions, ${label}`)
      }
    }))

  t.test('hostile and unicode strings in session fields round-trip', (t) => withPlugin(options, async (plugin) => {
    const sessions = sessionsOf(t, plugin)
    for (const [i, s] of HOSTILE_STRINGS.entries()) {
      const short = `${Array.from(s).slice(0, 30).join('')}#${i}`
      // At most 64 characters: 15 code points are at most 30 code units.
      const method = `${Array.from(s).slice(0, 15).join('')}#${i}`
      const input = newSession(short, new Date(), { id: `id:${short}`, familyId: `fam:${short}`, secretHash: short, method })
      await sessions.createSession(input)
      t.same(plainSession(await sessions.findSession(input.id)), plainSession({ ...input, consumedAt: null, successorId: null, revokedAt: null }),
        `#${i} stored literally`)
      t.equal((await sessions.listUserSessions(short, new Date()))[0]?.id, input.id, `#${i} listed by its user id`)
    }
  }))

  t.test('listUserSessions: live sessions only (not consumed, revoked or expired), newest first', (t) => withPlugin(options, async (plugin) => {
    const sessions = sessionsOf(t, plugin)
    const now = new Date()
    const at = (ms: number) => new Date(now.getTime() + ms)
    const user = 'list-user'
    const a = await sessions.createSession(newSession(user, at(-5000)))
    const b = await sessions.createSession(newSession(user, at(-4000)))
    const consumed = await sessions.createSession(newSession(user, at(-3000)))
    const successor = newSession(user, at(-1000), { familyId: consumed.familyId })
    t.equal((await sessions.rotateSession(consumed.id, successor, at(-1000))).rotated, true, 'rotated one')
    const revoked = await sessions.createSession(newSession(user, at(-2500)))
    t.equal(await sessions.revokeFamily(revoked.familyId, at(-2000)), 1, 'revoked one')
    await sessions.createSession(newSession(user, at(-2000), { expiresAt: at(-1) }))
    await sessions.createSession(newSession(user, at(-2000), { idleExpiresAt: at(-1) }))
    await sessions.createSession(newSession(user, at(-1500), { expiresAt: now }))
    const other = await sessions.createSession(newSession('other-user', at(-500)))
    const listed = await sessions.listUserSessions(user, now)
    t.same(listed.map((s) => s.id), [successor.id, b.id, a.id], 'the successor, then b, then a')
    t.same(plainSession(listed[1]), plainSession(b), 'full records')
    t.same((await sessions.listUserSessions('other-user', now)).map((s) => s.id), [other.id], 'another user sees only theirs')
    t.same(await sessions.listUserSessions('nobody', now), [], 'an unknown user: []')
    t.same((await sessions.listUserSessions(user, at(86_400_000))).map((s) => s.id), [], 'nothing is live a day later')
  }))

  t.test('deleteExpiredSessions deletes exactly the expired (absolute or idle) ones', (t) => withPlugin(options, async (plugin) => {
    const sessions = sessionsOf(t, plugin)
    const now = new Date()
    const at = (ms: number) => new Date(now.getTime() + ms)
    const live = await sessions.createSession(newSession('del', at(-10_000)))
    const absolute = await sessions.createSession(newSession('del', at(-10_000), { expiresAt: at(-1000) }))
    const idle = await sessions.createSession(newSession('del', at(-10_000), { idleExpiresAt: at(-1000) }))
    const both = await sessions.createSession(newSession('del', at(-10_000), { expiresAt: at(-2000), idleExpiresAt: at(-3000) }))
    const revoked = await sessions.createSession(newSession('del', at(-10_000)))
    await sessions.revokeFamily(revoked.familyId, at(-5000))
    const consumed = await sessions.createSession(newSession('del', at(-10_000)))
    const successor = newSession('del', at(-5000), { familyId: consumed.familyId })
    await sessions.rotateSession(consumed.id, successor, at(-5000))
    t.equal(await sessions.deleteExpiredSessions(now), 3, 'three deleted')
    for (const gone of [absolute, idle, both]) t.equal(await sessions.findSession(gone.id), undefined, 'an expired session is gone')
    for (const kept of [live, revoked, consumed, successor]) t.ok(await sessions.findSession(kept.id), 'an unexpired session stays (live, revoked or consumed)')
    t.equal(await sessions.deleteExpiredSessions(now), 0, 'a second run deletes nothing')
    t.equal(await sessions.deleteExpiredSessions(at(3_600_001)), 4, 'an hour later every idle expiry has passed')
  }))

  t.test('createSession with a taken id is ERR_AUTH_STORAGE_FAILED and changes nothing (ids are unique: never overwrite)', (t) =>
    withPlugin(options, async (plugin) => {
      const sessions = sessionsOf(t, plugin)
      const now = new Date()
      const first = await sessions.createSession(newSession('dup-user', now))
      const again = newSession('dup-other', now, { id: first.id, familyId: 'other-family' })
      await rejectsWith(t, sessions.createSession(again), 'ERR_AUTH_STORAGE_FAILED', 'rule: session ids are unique, a duplicate id is refused')
      t.same(plainSession(await sessions.findSession(first.id)), plainSession(first), 'rule: the session holding the id is unchanged (not overwritten)')
      t.same(await sessions.listUserSessions('dup-other', now), [], 'nothing was stored for the other user')
    }))

  t.test('a session expiring exactly at now is expired everywhere: not listed, not revoked, deleted by deleteExpiredSessions(now)', (t) =>
    withPlugin(options, async (plugin) => {
      const sessions = sessionsOf(t, plugin)
      const now = new Date()
      const at = (ms: number) => new Date(now.getTime() + ms)
      const absolute = await sessions.createSession(newSession('edge', at(-1000), { expiresAt: now }))
      const idle = await sessions.createSession(newSession('edge', at(-1000), { idleExpiresAt: now }))
      const live = await sessions.createSession(newSession('edge', at(-1000), { expiresAt: at(1), idleExpiresAt: at(1) }))
      const rule = 'rule: a session is live while both expiries are after now, so one expiring at now is expired'
      t.same((await sessions.listUserSessions('edge', now)).map((s) => s.id), [live.id], `${rule} (listUserSessions lists only the one expiring 1 ms later)`)
      t.equal(await sessions.revokeFamily(absolute.familyId, now), 0, `${rule} (revokeFamily leaves it)`)
      t.equal(await sessions.revokeUserSessions('edge', now), 1, `${rule} (revokeUserSessions revokes only the live one)`)
      t.same([(await sessions.findSession(absolute.id))?.revokedAt, (await sessions.findSession(idle.id))?.revokedAt], [null, null],
        `${rule} (neither expired one was marked revoked)`)
      t.equal(await sessions.deleteExpiredSessions(now), 2, `${rule} (deleteExpiredSessions(now) deletes both)`)
      t.same([await sessions.findSession(absolute.id), await sessions.findSession(idle.id)], [undefined, undefined], 'both are gone')
      t.ok(await sessions.findSession(live.id), 'the one expiring 1 ms later stays')
      t.equal(await sessions.deleteExpiredSessions(at(1)), 1, 'and goes 1 ms later')
    }))

  t.test('session operations after close() reject with ERR_AUTH_STORAGE_UNAVAILABLE', async (t) => {
    const scope = newScope()
    const plugin = await options.create(scope)
    try {
      await plugin.init()
      const sessions = sessionsOf(t, plugin)
      const session = await sessions.createSession(newSession('closing', new Date()))
      await plugin.close()
      await rejectsWith(t, sessions.findSession(session.id), 'ERR_AUTH_STORAGE_UNAVAILABLE', 'findSession after close')
      await rejectsWith(t, sessions.createSession(newSession('closing', new Date())), 'ERR_AUTH_STORAGE_UNAVAILABLE', 'createSession after close')
      await rejectsWith(t, sessions.rotateSession(session.id, newSession('closing', new Date()), new Date()), 'ERR_AUTH_STORAGE_UNAVAILABLE',
        'rotateSession after close')
    } finally {
      await plugin.close()
      await options.destroy?.(scope)
    }
  })
}
