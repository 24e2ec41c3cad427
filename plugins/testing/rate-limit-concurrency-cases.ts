/** Conformance (counters): atomic hits under concurrency, and hostile keys. */
import type { ConformanceTest, RateLimitConformanceOptions } from './kit-types.js'
import { describe } from './kit-helpers.js'
import { startTime, withStore } from './rate-limit-helpers.js'
import { HOSTILE_STRINGS } from './string-cases.js'

const HITS = 100

/** Registers the concurrency and key subtests. */
export function rateLimitConcurrencyCases(t: ConformanceTest, options: RateLimitConformanceOptions): void {
  t.test(`${HITS} concurrent hits on one key: counts exactly 1..${HITS}, final ${HITS}`, (t) => withStore(options, async (store) => {
    const now = startTime(options)
    const results = await Promise.allSettled(Array.from({ length: HITS }, () => store.hit('burst', 60, now)))
    const errors = results.filter((r) => r.status === 'rejected').map((r) => describe((r as PromiseRejectedResult).reason))
    t.same(errors, [], 'no hit failed')
    const counts = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.count] : [])).sort((a, b) => a - b)
    t.same(counts, Array.from({ length: HITS }, (_, i) => i + 1), `each of 1..${HITS} returned exactly once`)
    t.equal((await store.peek('burst', now))?.count, HITS, `final count ${HITS}`)
  }))

  t.test('concurrent hits on several keys stay independent', (t) => withStore(options, async (store) => {
    const now = startTime(options)
    const keys = ['k-a', 'k-b', 'k-c', 'k-d']
    await Promise.all(keys.flatMap((key, i) => Array.from({ length: (i + 1) * 5 }, () => store.hit(key, 60, now))))
    for (const [i, key] of keys.entries()) t.equal((await store.peek(key, now))?.count, (i + 1) * 5, `${key}: ${(i + 1) * 5}`)
  }))

  t.test('keys with SQL metacharacters, unicode and odd lengths work literally', (t) => withStore(options, async (store) => {
    const now = startTime(options)
    const keys = [...HOSTILE_STRINGS, 'x'.repeat(255), 'é'.repeat(255), 'y'.repeat(1000), "' OR '1'='1", '*', '?', '[a-z]', '{tag}', 'sha256:x']
    for (const [i, key] of keys.entries()) {
      t.equal((await store.hit(key, 60, now)).count, 1, `#${i}: first hit 1`)
      t.equal((await store.hit(key, 60, now)).count, 2, `#${i}: second hit 2`)
    }
    for (const [i, key] of keys.entries()) t.equal((await store.peek(key, now))?.count, 2, `#${i}: its own count`)
    t.equal(await store.peek('x'.repeat(254), now), undefined, 'a key one character shorter is another key')
    t.equal(await store.peek('*x', now), undefined, 'no pattern matching')
    await store.reset("' OR '1'='1")
    t.equal((await store.peek(keys[0]!, now))?.count, 2, 'resetting an injection-shaped key resets nothing else')
  }))
}
