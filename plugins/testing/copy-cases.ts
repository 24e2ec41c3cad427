/**
 * Conformance: a record handed out is the caller's own. Changing it (its
 * Dates included) or a Date passed in never changes what is stored, and two
 * reads share no object.
 */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { newSession, newUser, plain, plainSession, sessionsOf, withPlugin } from './kit-helpers.js'

/** Changes every Date of `record` (and a user's name), as a careless caller might. */
function scribble(record: object | undefined): void {
  for (const value of Object.values(record ?? {})) if (value instanceof Date) value.setTime(0)
  if (record !== undefined && 'emailKey' in record) (record as unknown as { name: string }).name = 'scribbled'
}

const RULE = 'rule: records are copies, a change to one handed out or to a Date passed in changes nothing stored'

/** Registers the user copy subtests. */
export function userCopyCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('user records are copies: changing one handed out changes nothing stored', (t) => withPlugin(options, async (plugin) => {
    const input = newUser('copies')
    const created = await plugin.createUser(input)
    let expected = plain(created)
    scribble(created)
    const reads: [string, () => Promise<unknown>][] = [
      ['findUserById', () => plugin.findUserById(input.id)],
      ['findUserByEmailKey', () => plugin.findUserByEmailKey(input.emailKey)],
      ['listUsers', async () => (await plugin.listUsers({ limit: 1 })).users[0]],
    ]
    let previous = 'createUser'
    for (const [name, read] of reads) {
      const found = await read() as Parameters<typeof plain>[0]
      t.same(plain(found), expected, `${RULE} (${previous}'s record changed, then read by ${name})`)
      scribble(found)
      previous = name
    }
    const updated = await plugin.updateUser(input.id, { role: 'admin' })
    expected = plain(updated)
    scribble(updated)
    t.same(plain(await plugin.findUserById(input.id)), expected, `${RULE} (updateUser's record)`)
    const [a, b] = [await plugin.findUserById(input.id), await plugin.findUserById(input.id)]
    t.ok(a !== b && a?.createdAt !== b?.createdAt && a?.updatedAt !== b?.updatedAt, `${RULE} (two reads share no object, not even a Date)`)
  }))
}

/** Registers the session copy subtests. */
export function sessionCopyCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('session records are copies, and no Date passed in is kept', (t) => withPlugin(options, async (plugin) => {
    const sessions = sessionsOf(t, plugin)
    const now = new Date()
    const input = newSession('copy-user', now)
    const expected = plainSession({ ...input, consumedAt: null, successorId: null, revokedAt: null })
    const created = await sessions.createSession(input)
    scribble(input)
    scribble(created)
    t.same(plainSession(await sessions.findSession(input.id)), expected, `${RULE} (the input's and createSession's Dates changed)`)
    scribble(await sessions.findSession(input.id))
    scribble((await sessions.listUserSessions('copy-user', now))[0])
    t.same(plainSession(await sessions.findSession(input.id)), expected, `${RULE} (findSession's and listUserSessions' records changed)`)

    const at = new Date(now.getTime() + 1000)
    const next = newSession('copy-user', at, { familyId: input.familyId })
    const nextExpected = plainSession({ ...next, consumedAt: null, successorId: null, revokedAt: null })
    const rotated = await sessions.rotateSession(input.id, next, at)
    scribble(next)
    scribble(rotated.rotated ? rotated.successor : undefined)
    at.setTime(0)
    t.same(plainSession(await sessions.findSession(next.id)), nextExpected, `${RULE} (rotateSession's successor and its answer changed)`)
    t.equal((await sessions.findSession(input.id))?.consumedAt?.getTime(), now.getTime() + 1000, `${RULE} (the now passed to rotateSession changed)`)
    const revokedAt = new Date(now.getTime() + 2000)
    await sessions.revokeFamily(input.familyId, revokedAt)
    revokedAt.setTime(0)
    t.equal((await sessions.findSession(next.id))?.revokedAt?.getTime(), now.getTime() + 2000, `${RULE} (the now passed to revokeFamily changed)`)
  }))
}
