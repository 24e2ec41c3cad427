/** Conformance: listUsers paging, limits and cursors. */
import type { StoragePlugin, UserRecord } from '../../lib/index.js'
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { newUser, rejectsTypeError, rejectsWith, withPlugin } from './kit-helpers.js'

async function seed(plugin: StoragePlugin, count: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < count; i++) {
    // Zero-padded ASCII ids sort the same under every collation.
    const id = `user-${String(i).padStart(4, '0')}`
    await plugin.createUser(newUser(`page-${i}`, { id }))
    ids.push(id)
  }
  return ids
}

async function walk(plugin: StoragePlugin, limit: number): Promise<{ ids: string[]; pages: number; sizes: number[] }> {
  const ids: string[] = []
  const sizes: number[] = []
  let cursor: string | undefined
  for (let pages = 1; pages < 1000; pages++) {
    const page: { users: UserRecord[]; next?: string } = await plugin.listUsers(cursor === undefined ? { limit } : { limit, cursor })
    ids.push(...page.users.map((u) => u.id))
    sizes.push(page.users.length)
    if (page.next === undefined) return { ids, pages, sizes }
    cursor = page.next
  }
  throw new Error('listUsers never ended')
}

/** Registers the paging subtests. */
export function pagingCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('empty table: no users, no next', (t) => withPlugin(options, async (plugin) => {
    const page = await plugin.listUsers({ limit: 10 })
    t.same(page.users, [], 'no users')
    t.ok(!('next' in page) || page.next === undefined, 'next absent')
  }))

  t.test('exactly limit rows: one page, no next', (t) => withPlugin(options, async (plugin) => {
    const ids = await seed(plugin, 5)
    const page = await plugin.listUsers({ limit: 5 })
    t.same(page.users.map((u) => u.id), ids, 'all five, ordered by id')
    t.equal(page.next, undefined, 'no next page')
  }))

  t.test('limit + 1 rows: a full page with next, then one row', (t) => withPlugin(options, async (plugin) => {
    const ids = await seed(plugin, 6)
    const first = await plugin.listUsers({ limit: 5 })
    t.same(first.users.map((u) => u.id), ids.slice(0, 5), 'first five')
    t.equal(typeof first.next, 'string', 'next is a string')
    const second = await plugin.listUsers({ limit: 5, cursor: first.next! })
    t.same(second.users.map((u) => u.id), ids.slice(5), 'the sixth')
    t.equal(second.next, undefined, 'last page has no next')
  }))

  t.test('limit 1 walks every row once, in id order', (t) => withPlugin(options, async (plugin) => {
    const ids = await seed(plugin, 7)
    const result = await walk(plugin, 1)
    t.same(result.ids, ids, 'every id once, ascending')
    t.equal(result.pages, 7, 'seven pages')
    const big = await walk(plugin, 3)
    t.same(big.sizes, [3, 3, 1], 'pages of 3, 3, 1')
  }))

  t.test('a cursor stays valid after its row is deleted', (t) => withPlugin(options, async (plugin) => {
    const ids = await seed(plugin, 4)
    const first = await plugin.listUsers({ limit: 2 })
    await plugin.deleteUser(ids[1]!)
    const rest = await plugin.listUsers({ limit: 2, cursor: first.next! })
    t.same(rest.users.map((u) => u.id), ids.slice(2), 'continues after the deleted id')
  }))

  t.test('limit outside 1..100 is a TypeError', (t) => withPlugin(options, async (plugin) => {
    for (const limit of [0, -1, 101, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '10', undefined]) {
      await rejectsTypeError(t, () => plugin.listUsers({ limit } as never), `limit ${String(limit)}`)
    }
    t.equal((await plugin.listUsers({ limit: 100 })).users.length, 0, 'limit 100 is allowed')
  }))

  t.test('a forged or malformed cursor is ERR_AUTH_INPUT_INVALID', (t) => withPlugin(options, async (plugin) => {
    await seed(plugin, 2)
    // Only strings no cursor encoding could produce: plugins choose their own format.
    const forged = ['', 'not a cursor', '!!!!', '%00', "'; DROP TABLE users; --", 'é']
    for (const cursor of forged) {
      await rejectsWith(t, plugin.listUsers({ limit: 5, cursor }), 'ERR_AUTH_INPUT_INVALID', `cursor ${JSON.stringify(cursor.slice(0, 20))}`)
    }
  }))
}
