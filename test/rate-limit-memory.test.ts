// The in-memory counter store: the conformance suite, its memory bound and
// eviction order, and that it never keeps the process alive.
import t from 'tap'
import { MemoryRateLimitStore } from '../lib/rate-limit/memory-store.js'
import { runRateLimitStoreConformance } from '../plugins/testing/index.js'

runRateLimitStoreConformance(t, { name: 'memory', create: () => new MemoryRateLimitStore() })
runRateLimitStoreConformance(t, { name: 'memory (maxKeys 1000)', create: () => new MemoryRateLimitStore({ maxKeys: 1000 }) })

t.test('options are checked', async (t) => {
  for (const options of [{ maxKeys: 0 }, { maxKeys: 1.5 }, { maxKeys: -1 }, { maxKeys: '10' }, null]) {
    t.throws(() => new MemoryRateLimitStore(options as never), TypeError, `rejects ${JSON.stringify(options)}`)
  }
  t.equal(new MemoryRateLimitStore().maxKeys, 100_000, 'default bound 100 000')
})

t.test('when full, ended windows make room first', async (t) => {
  const store = new MemoryRateLimitStore({ maxKeys: 3 })
  const now = 1_000_000
  await store.hit('short', 1, now) // ends at now + 1000
  await store.hit('old', 60, now)
  await store.hit('new', 60, now + 10)
  await store.hit('fourth', 60, now + 2000) // full: 'short' has ended, so it goes
  t.equal(store.size, 3, 'still 3')
  t.equal(await store.peek('short', now + 2000), undefined, 'the ended window went')
  t.equal((await store.peek('old', now + 2000))?.count, 1, 'the oldest open window stayed')
  t.equal(store.evicted, 0, 'no live window was given up')
})

t.test('full of live windows: a new key is never refused; the least-hit, oldest window makes room', async (t) => {
  const store = new MemoryRateLimitStore({ maxKeys: 4 })
  const now = 1_000_000
  for (let i = 0; i < 12; i++) await store.hit('lockout', 900, now) // count 12: holds a refusal
  await store.hit('busy', 60, now)
  await store.hit('busy', 60, now) // count 2
  await store.hit('once-a', 60, now)
  await store.hit('once-b', 60, now + 1)
  t.equal((await store.hit('newcomer', 60, now + 2)).count, 1, 'a new key gets its window')
  t.equal(await store.peek('once-a', now + 2), undefined, 'the oldest window seen once went first')
  t.equal((await store.peek('once-b', now + 2))?.count, 1)
  await store.hit('newcomer-2', 60, now + 3)
  await store.hit('newcomer-3', 60, now + 4)
  t.equal(store.size, 4, 'never more than maxKeys')
  t.equal((await store.peek('lockout', now + 4))?.count, 12, 'the lockout outlives every window seen fewer times')
  t.equal((await store.peek('busy', now + 4))?.count, 2, 'so does a window seen twice')
  t.equal(store.evicted, 3)
})

t.test('a flood of new keys never pushes out a busy window, and memory stays bounded', async (t) => {
  const store = new MemoryRateLimitStore({ maxKeys: 500 })
  const now = Date.now()
  for (let i = 0; i < 10; i++) await store.hit('locked-account', 900, now)
  let accepted = 0
  for (let i = 0; i < 20_000; i++) if ((await store.hit(`junk-${i}`, 60, now)).count === 1) accepted++
  t.equal(accepted, 20_000, 'every new key got a window')
  t.equal(store.size, 500, 'size held at maxKeys')
  t.equal((await store.peek('locked-account', now))?.count, 10, 'the busy window is still there')
  t.equal((await store.peek('junk-19999', now))?.count, 1, 'the newest windows are kept')
  t.equal(await store.peek('junk-0', now), undefined, 'the oldest junk made room')
  t.equal(await store.purge(now + 900_000), 500, 'purge drops every ended window')
  t.equal(store.size, 0, 'empty')
})

t.test('close() empties the store', async (t) => {
  const store = new MemoryRateLimitStore()
  await store.hit('k', 60, 1)
  await store.close()
  t.equal(await store.peek('k', 1), undefined, 'forgotten')
})

t.test('the store does not keep the process alive', async (t) => {
  const { spawnSync } = await import('node:child_process')
  const script = `import { MemoryRateLimitStore } from ${JSON.stringify(new URL('../lib/rate-limit/memory-store.ts', import.meta.url).href)}
const store = new MemoryRateLimitStore()
await store.hit('k', 3600, Date.now())
console.log('hit')`
  const started = Date.now()
  const result = spawnSync(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 })
  t.equal(result.stdout.trim(), 'hit', `the child ran (${result.stderr.trim().slice(0, 200)})`)
  t.equal(result.status, 0, 'and exited by itself')
  t.ok(Date.now() - started < 15_000, 'promptly')
})
