/** Conformance: hostile and unicode strings are stored literally, byte for byte. */
import type { ConformanceTest, StorageConformanceOptions } from './kit-types.js'
import { newUser, withPlugin } from './kit-helpers.js'

/** Strings an attacker or an unusual name might contain (no NUL: the core rejects it). */
export const HOSTILE_STRINGS: readonly string[] = [
  "'; DROP TABLE users; --",
  "Robert'); DELETE FROM users WHERE ('1'='1",
  '" OR "1"="1',
  'back\\slash\\\\ and \\\' quote',
  '%_ like wildcards %',
  '$1 ? :name @p0',
  '`backtick` [bracket]',
  '😀👍🏽 emoji with skin tone',
  '👨‍👩‍👧‍👦 zero-width joined family',
  'עברית RTL مرحبا',
  '\u202Eoverride',
  'e\u0301 combining vs \u00e9 precomposed',
  'Ａ fullwidth ﬁ ligature',
  '  leading and trailing spaces  ',
  'tab\tnewline\ncarriage\r',
  '\u0001\u001f control characters',
  '中文 日本語 한국어',
  '\uFEFF byte order mark',
  'x'.repeat(200),
]

/** Registers the string round-trip subtests. */
export function stringCases(t: ConformanceTest, options: StorageConformanceOptions): void {
  t.test('hostile and unicode strings round-trip byte for byte', (t) => withPlugin(options, async (plugin) => {
    for (const [i, s] of HOSTILE_STRINGS.entries()) {
      const input = newUser(`str-${i}`, { email: s, emailKey: `${s}#${i}`, name: s, role: s.slice(0, 60), passwordHash: s })
      const created = await plugin.createUser(input)
      t.equal(created.name, s, `create returns #${i} literally`)
      const byKey = await plugin.findUserByEmailKey(input.emailKey)
      const byId = await plugin.findUserById(input.id)
      for (const [label, found] of [['by key', byKey], ['by id', byId]] as const) {
        t.same(found && [found.email, found.emailKey, found.name, found.role, found.passwordHash],
          [input.email, input.emailKey, input.name, input.role, input.passwordHash], `#${i} ${label}: every field identical`)
      }
      t.equal(Buffer.compare(Buffer.from(byKey?.name ?? ''), Buffer.from(s)), 0, `#${i} bytes identical`)
    }
    const all = await plugin.listUsers({ limit: 100 })
    t.equal(all.users.length, HOSTILE_STRINGS.length, 'every row listed, the table intact')
  }))

  t.test('hostile strings as ids and in updates', (t) => withPlugin(options, async (plugin) => {
    for (const [i, s] of HOSTILE_STRINGS.entries()) {
      // Ids of adopted rows may be any string up to 64 characters.
      const id = `${Array.from(s).slice(0, 40).join("")}#${i}`
      await plugin.createUser(newUser(`id-${i}`, { id }))
      t.equal((await plugin.findUserById(id))?.id, id, `id #${i} found literally`)
      const updated = await plugin.updateUser(id, { name: s, emailKey: `upd:${s}` })
      t.same([updated?.name, updated?.emailKey], [s, `upd:${s}`], `update #${i} stored literally`)
    }
    const seen: string[] = []
    let cursor: string | undefined
    do {
      const page = await plugin.listUsers(cursor === undefined ? { limit: 4 } : { limit: 4, cursor })
      seen.push(...page.users.map((u) => u.id))
      cursor = page.next
    } while (cursor !== undefined)
    t.equal(new Set(seen).size, HOSTILE_STRINGS.length, 'paging over hostile ids sees each once')
    t.equal(await plugin.findUserById("' OR '1'='1"), undefined, 'an injection attempt finds nobody')
  }))
}
