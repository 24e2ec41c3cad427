/** Conformance: listUsers paging, limits and cursors. */
import type { StoragePlugin, UserRecord } from '../../lib/index.js'
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { describe, hasCode, newUser, rejectsTypeError, rejectsWith, withPlugin } from './kit-helpers.js'

/** Compares by UTF-8 bytes: the order `listUsers` lists ids in. */
export function byBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b))
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * Cursors `real` could be mistaken for: each character changed to the next
 * one of its alphabet (so a variant still looks well formed), cut, extended,
 * and ones made up from an id in the formats a plugin might use.
 */
function forgeries(real: string, id: string): string[] {
  const variants = new Set<string>()
  for (let i = 0; i < real.length; i++) {
    const at = ALPHABET.indexOf(real[i]!)
    variants.add(real.slice(0, i) + (at === -1 ? 'A' : ALPHABET[(at + 1) % ALPHABET.length]) + real.slice(i + 1))
  }
  const encode = (text: string) => Buffer.from(text).toString('base64url')
  for (const forged of [
    real.slice(0, -1), real.slice(1), `${real}A`, `A${real}`, real + real, real.toUpperCase(), real.toLowerCase(),
    id, encode(id), encode(`u:${id}`), encode(`u1:${id}`), encode(JSON.stringify({ id })), 'AAAAAAAAAAAAAAAAAAAAAA',
  ]) variants.add(forged)
  variants.delete(real)
  return [...variants]
}

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

  t.test('a cursor is valid only exactly as issued: a changed, cut, extended or made-up one is ERR_AUTH_INPUT_INVALID', (t) =>
    withPlugin(options, async (plugin) => {
      const ids = await seed(plugin, 3)
      const real = (await plugin.listUsers({ limit: 1 })).next
      if (real === undefined) {
        t.fail('listUsers({ limit: 1 }) of three users answered no next cursor')
        return
      }
      const accepted: string[] = []
      const wrong: string[] = []
      for (const cursor of forgeries(real, ids[0]!)) {
        try {
          await plugin.listUsers({ limit: 1, cursor })
          accepted.push(cursor)
        } catch (err) {
          if (!hasCode(err, 'ERR_AUTH_INPUT_INVALID')) wrong.push(`${cursor}: ${describe(err)}`)
        }
      }
      t.same(accepted, [], `rule: a cursor the plugin did not issue is refused (real cursor ${JSON.stringify(real)}; ` +
        'carry a checksum of the position, so any change is seen)')
      t.same(wrong, [], 'each refused with ERR_AUTH_INPUT_INVALID')
      t.same((await plugin.listUsers({ limit: 1, cursor: real })).users.map((u) => u.id), [ids[1]], 'the real cursor still works')
    }))

  t.test('ids are listed in the order of their UTF-8 bytes (code points), not of UTF-16 code units', (t) =>
    withPlugin(options, async (plugin) => {
      // UTF-16 puts the two astral ids (surrogate pairs, 0xD8xx) before U+E000 and U+FFFD; their bytes put them last.
      const ids = ['ord-\u{1F600}', 'ord-B', 'ord-\uFFFD', 'ord-a', 'ord-\u{10000}', 'ord-\u00e9', 'ord-\uE000', 'ord-z']
      for (const [i, id] of ids.entries()) await plugin.createUser(newUser(`order-${i}`, { id }))
      const expected = [...ids].sort(byBytes)
      t.same((await plugin.listUsers({ limit: 100 })).users.map((u) => u.id), expected, 'rule: ids in UTF-8 byte order, on one page')
      t.same((await walk(plugin, 3)).ids, expected, 'rule: ids in UTF-8 byte order, across pages')
    }))

  t.test('a malformed cursor is ERR_AUTH_INPUT_INVALID', (t) => withPlugin(options, async (plugin) => {
    await seed(plugin, 2)
    // Only strings no cursor encoding could produce: plugins choose their own format.
    const forged = ['', 'not a cursor', '!!!!', '%00', "'; DROP TABLE users; --", 'é']
    for (const cursor of forged) {
      await rejectsWith(t, plugin.listUsers({ limit: 5, cursor }), 'ERR_AUTH_INPUT_INVALID', `cursor ${JSON.stringify(cursor.slice(0, 20))}`)
    }
  }))
}
