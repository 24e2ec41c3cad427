/** Conformance (counters): windows, peek, reset, purge and argument checks. */
import type { ConformanceTest, RateLimitConformanceOptions } from './kit-types.js'
import { announceSkip, rejectsTypeError, sleep } from './kit-helpers.js'
import { sameTime, startTime, withStore } from './rate-limit-helpers.js'

/** Registers the counter window subtests. */
export function rateLimitCases(t: ConformanceTest, options: RateLimitConformanceOptions): void {
  t.test('the first hit is 1 with resetAt = now + window; hits add up in the window', (t) => withStore(options, async (store) => {
    const now = startTime(options)
    const first = await store.hit('add-up', 60, now)
    t.equal(first.count, 1, 'first hit: 1')
    t.equal(first.resetAt, now + 60_000, 'resetAt = now + 60 s')
    for (let i = 2; i <= 5; i++) {
      const next = await store.hit('add-up', 60, now + i)
      t.equal(next.count, i, `hit ${i}: ${i}`)
      sameTime(t, options, next.resetAt, first.resetAt, `hit ${i}: the window's end is unchanged`)
    }
  }))

  t.test('after resetAt a hit opens a new window at 1', (t) => withStore(options, async (store) => {
    if (options.ownClock === true) {
      const first = await store.hit('reopen', 0.3, Date.now())
      await store.hit('reopen', 0.3, Date.now())
      await sleep(Math.max(0, first.resetAt - Date.now()) + 150)
      const now = Date.now()
      const again = await store.hit('reopen', 0.3, now)
      t.equal(again.count, 1, 'a hit after the window ended: 1')
      sameTime(t, options, again.resetAt, now + 300, 'a new window from now')
      return
    }
    const now = startTime(options)
    await store.hit('reopen', 60, now)
    t.equal((await store.hit('reopen', 60, now + 59_999)).count, 2, 'one millisecond before the end: still counting')
    const again = await store.hit('reopen', 60, now + 60_000)
    t.same(again, { count: 1, resetAt: now + 120_000 }, 'at resetAt: a new window at 1, ending a window later')
    t.same(await store.hit('reopen', 30, now + 500_000), { count: 1, resetAt: now + 530_000 }, 'long after: 1 again, with the new window length')
  }))

  t.test('peek reads without changing; undefined when no window is open', (t) => withStore(options, async (store) => {
    const now = startTime(options)
    t.equal(await store.peek('peek', now), undefined, 'an unknown key: undefined')
    await store.hit('peek', 60, now)
    const hit = await store.hit('peek', 60, now)
    const peeked = await store.peek('peek', now + 1)
    t.equal(peeked?.count, 2, 'peek: the count')
    sameTime(t, options, peeked?.resetAt, hit.resetAt, 'peek: the window end')
    t.equal((await store.peek('peek', now + 2))?.count, 2, 'peeking again: unchanged')
    t.equal((await store.hit('peek', 60, now + 3)).count, 3, 'the next hit continues from 2')
    if (options.ownClock !== true) t.equal(await store.peek('peek', now + 60_000), undefined, 'after the window: undefined')
  }))

  t.test('reset forgets a key; others are untouched', (t) => withStore(options, async (store) => {
    const now = startTime(options)
    for (let i = 0; i < 3; i++) await store.hit('forget', 60, now)
    await store.hit('keep', 60, now)
    await store.reset('forget')
    t.equal(await store.peek('forget', now), undefined, 'peek after reset: undefined')
    t.equal((await store.hit('forget', 60, now + 1)).count, 1, 'a hit after reset: 1')
    t.equal((await store.peek('keep', now))?.count, 1, 'another key keeps its count')
    await store.reset('never-seen')
    t.ok(true, 'resetting an unknown key resolves')
  }))

  t.test('different keys count independently (no case, space or normalisation folding)', (t) => withStore(options, async (store) => {
    const now = startTime(options)
    const keys = ['key', 'KEY', 'key ', ' key', 'kéy', 'ke\u0301y', 'key:1', 'key:10', '']
    for (const [i, key] of keys.entries()) {
      for (let n = 0; n <= i; n++) await store.hit(key, 60, now)
    }
    for (const [i, key] of keys.entries()) t.equal((await store.peek(key, now))?.count, i + 1, `${JSON.stringify(key)}: ${i + 1}`)
  }))

  if (options.ownClock === true) {
    announceSkip(t, `${options.name}: purge`, 'ownClock is true: the backend ends windows by its own clock, so purge(now) was not checked')
  } else {
    t.test('purge deletes the ended windows (one ending exactly at now included) and keeps the open ones', (t) => withStore(options, async (store) => {
      if (store.purge === undefined) {
        announceSkip(t, `${options.name}: purge`, 'the store has no purge()')
        return
      }
      const now = startTime(options)
      await store.hit('short-1', 10, now)
      await store.hit('short-2', 20, now)
      await store.hit('edge', 30, now)
      await store.hit('long', 60, now)
      const purged = await store.purge(now + 30_000)
      t.equal(purged, 3, 'rule: a window is open while resetAt > now, so purge(now) deletes the one ending at now: three purged')
      t.equal((await store.peek('long', now + 30_000))?.count, 1, 'the open window stays')
      t.equal((await store.hit('short-1', 10, now + 30_000)).count, 1, 'a purged key starts again at 1')
      t.equal(await store.purge(now + 30_000), 0, 'nothing more to purge')
    }))
  }

  t.test('misuse is a TypeError', (t) => withStore(options, async (store) => {
    const now = startTime(options)
    await rejectsTypeError(t, async () => store.hit(42 as unknown as string, 60, now), 'hit with a non-string key')
    await rejectsTypeError(t, async () => store.hit('k', 0, now), 'hit with a zero window')
    await rejectsTypeError(t, async () => store.hit('k', Number.NaN, now), 'hit with a NaN window')
    await rejectsTypeError(t, async () => store.hit('k', 60, Number.NaN), 'hit with a NaN now')
    await rejectsTypeError(t, async () => store.peek(undefined as unknown as string, now), 'peek without a key')
    await rejectsTypeError(t, async () => store.reset(null as unknown as string), 'reset without a key')
  }))
}
