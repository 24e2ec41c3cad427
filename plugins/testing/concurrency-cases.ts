/** Conformance: uniqueness and atomic updates under concurrency. */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { describe, hasCode, newUser, withPlugin } from './kit-helpers.js'

const RACERS = 50

/** Registers the concurrency subtests. */
export function concurrencyCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test(`${RACERS} concurrent createUser with one key: one user, ${RACERS - 1} ERR_AUTH_USER_EXISTS`, (t) => withPlugin(options, async (plugin) => {
    const results = await Promise.allSettled(
      Array.from({ length: RACERS }, (_, i) => plugin.createUser(newUser(`race-${i}`, { emailKey: 'race@example.com' }))),
    )
    const ok = results.filter((r) => r.status === 'fulfilled')
    const exists = results.filter((r) => r.status === 'rejected' && hasCode(r.reason, 'ERR_AUTH_USER_EXISTS'))
    const other = results.filter((r) => r.status === 'rejected' && !hasCode(r.reason, 'ERR_AUTH_USER_EXISTS'))
    t.equal(ok.length, 1, 'exactly one created')
    t.equal(exists.length, RACERS - 1, `${RACERS - 1} rejected as existing`)
    t.same(other.map((r) => describe((r as PromiseRejectedResult).reason)), [], 'no other errors')
    t.equal((await plugin.listUsers({ limit: 100 })).users.length, 1, 'one row stored')
  }))

  t.test(`${RACERS} concurrent updates to one key: one wins, the rest ERR_AUTH_USER_EXISTS`, (t) => withPlugin(options, async (plugin) => {
    const users = []
    for (let i = 0; i < RACERS; i++) users.push(await plugin.createUser(newUser(`upd-race-${i}`)))
    const results = await Promise.allSettled(users.map((u) => plugin.updateUser(u.id, { emailKey: 'taken@example.com', name: 'winner' })))
    const ok = results.filter((r) => r.status === 'fulfilled')
    const exists = results.filter((r) => r.status === 'rejected' && hasCode(r.reason, 'ERR_AUTH_USER_EXISTS'))
    t.equal(ok.length, 1, 'exactly one update succeeded')
    t.equal(exists.length, RACERS - 1, 'the rest rejected as existing')
    const page = await plugin.listUsers({ limit: 100 })
    t.equal(page.users.filter((u) => u.emailKey === 'taken@example.com').length, 1, 'one holder of the key')
    t.equal(page.users.filter((u) => u.name === 'winner').length, 1, 'losers unchanged (no half-applied update)')
  }))

  t.test('concurrent bumpTokenVersion never loses an increment', (t) => withPlugin(options, async (plugin) => {
    const user = await plugin.createUser(newUser('bump-race'))
    await Promise.all(Array.from({ length: 20 }, () => plugin.updateUser(user.id, { bumpTokenVersion: true })))
    t.equal((await plugin.findUserById(user.id))?.tokenVersion, 20, 'twenty bumps, version 20')
  }))
}
