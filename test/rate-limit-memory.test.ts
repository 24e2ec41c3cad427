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

t.test('when full, ended windows make room; live ones are never evicted', async (t) => {
  const store = new MemoryRateLimitStore({ maxKeys: 3 })
  const now = 1_000_000
  await store.hit('short', 1, now) // ends at now + 1000
  await store.hit('old', 60, now)
  await store.hit('new', 60, now + 10)
  await store.hit('fourth', 60, now + 2000) // full: 'short' has ended, so it goes
  t.equal(store.size, 3, 'still 3')
  t.equal(await store.peek('short', now + 2000), undefined, 'the ended window went')
  t.equal((await store.peek('old', now + 2000))?.count, 1, 'the oldest open window stayed')
  // Full and nothing ended: a new key is refused, so the limiter fails closed
  // instead of a flood of new keys wiping someone's lockout.
  await t.rejects(store.hit('fifth', 60, now + 2001), /full/)
  t.equal((await store.peek('old', now + 2001))?.count, 1, 'no live window was evicted')
  t.equal((await store.hit('old', 60, now + 2002)).count, 2, 'existing windows still count')
  t.equal(store.size, 3, 'never more than maxKeys')
  t.equal((await store.hit('fifth', 60, now + 61_000)).count, 1, 'once windows end, new keys fit again')
})

t.test('memory stays bounded under many keys', async (t) => {
  const store = new MemoryRateLimitStore({ maxKeys: 500 })
  const now = Date.now()
  let refused = 0
  for (let i = 0; i < 20_000; i++) await store.hit(`key-${i}`, 60, now).catch(() => refused++)
  t.equal(store.size, 500, 'size held at maxKeys')
  t.equal(refused, 19_500, 'keys beyond the bound were refused')
  t.equal((await store.peek('key-0', now))?.count, 1, 'the first windows are kept')
  t.equal(await store.purge(now + 60_000), 500, 'purge drops every ended window')
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
