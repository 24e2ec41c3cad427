/**
 * Benchmark of `auth.verify(token)` for HS256 access tokens against the raw
 * node:crypto floor and peer libraries (jose, fast-jwt, jsonwebtoken).
 *
 *   npm run bench:verify                 (build, then node dist/bench/verify.js)
 *   node --import=tsx bench/verify.ts    (straight from source)
 *
 * One process, no thresholds: it prints a markdown table (median of
 * interleaved rounds) and two target lines. Environment knobs:
 * BENCH_MS (timed ms per row per round, default 1500), BENCH_ROUNDS (3),
 * BENCH_SLICE_MS (rows take turns in slices this long, 100),
 * BENCH_WARMUP_MS (200), BENCH_POOL (fresh-token pool size, 64000),
 * BENCH_EXTRA_ROWS=1 (adds AuthCore with verifyCacheSize 0).
 */
import { execFileSync } from 'node:child_process'
import { createHmac, createSecretKey, randomUUID, timingSafeEqual, webcrypto, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import { createVerifier } from 'fast-jwt'
import { jwtVerify, SignJWT } from 'jose'
import jwt from 'jsonwebtoken'
import { AuthCore } from '../lib/index.js'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'

const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name]
  const n = raw === undefined ? NaN : Number(raw)
  return Number.isInteger(n) && n > 0 ? n : fallback
}

const RUN_MS = envInt('BENCH_MS', 1500)
const ROUNDS = envInt('BENCH_ROUNDS', 3)
const WARMUP_MS = envInt('BENCH_WARMUP_MS', 200)
/** Distinct tokens for the fresh rows; AuthCore gets a new instance (empty cache) per run, so none repeats within it. */
const FRESH_POOL = Math.max(envInt('BENCH_POOL', 64_000), 20_000)
/** Tokens for the "seen before" rows. */
const REPEAT_POOL = 100
/** Fresh string copies of the repeated tokens, for the "new string per call" row (count-bounded). */
const COPIES = 100_000
/** AuthCore's default verifyCacheSize. */
const DEFAULT_CACHE = 10_000
const BATCH = 64
/** Rows take turns in slices of this many ms within a round. */
const SLICE_MS = envInt('BENCH_SLICE_MS', 100)
/** BENCH_EXTRA_ROWS=1 adds a row with verifyCacheSize 0 (about 5 s more). */
const EXTRA_ROWS = process.env.BENCH_EXTRA_ROWS === '1'

const SECRET = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz' // >= 32 bytes, UTF-8
const secretBytes = new TextEncoder().encode(SECRET)

// ---------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------

const require = createRequire(import.meta.url)
function versionOf(pkg: string): string {
  try {
    const path = require.resolve(`${pkg}/package.json`)
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version
  } catch {
    // Packages whose exports map hides package.json: walk node_modules by hand.
    try {
      const path = new URL(`../node_modules/${pkg}/package.json`, import.meta.url)
      return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version
    } catch {
      try {
        const path = new URL(`../../node_modules/${pkg}/package.json`, import.meta.url) // from dist/bench
        return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version
      } catch {
        return 'unknown'
      }
    }
  }
}

/** The commit measured, and whether lib/ has local changes; empty outside a git checkout. */
function gitState(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()
    const head = git('rev-parse', '--short', 'HEAD')
    return git('status', '--porcelain', '--', 'lib') === '' ? head : `${head} + uncommitted changes in lib/`
  } catch {
    return ''
  }
}

// ---------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------

async function mintPool(count: number, key: CryptoKey, tag: string): Promise<string[]> {
  const nowSec = Math.floor(Date.now() / 1000)
  const out = new Array<string>(count)
  const CHUNK = 512
  for (let start = 0; start < count; start += CHUNK) {
    const jobs: Promise<string>[] = []
    for (let i = start; i < Math.min(start + CHUNK, count); i++) {
      const id = randomUUID()
      jobs.push(
        new SignJWT({ id, email: `user${i}.${tag}@example.com`, role: i % 10 === 0 ? 'admin' : 'user' })
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
          .setSubject(id)
          .setIssuedAt(nowSec)
          .setExpirationTime(nowSec + 3600)
          .setJti(randomUUID())
          .sign(key),
      )
    }
    const signed = await Promise.all(jobs)
    for (let j = 0; j < signed.length; j++) out[start + j] = signed[j]!
  }
  return out
}

// ---------------------------------------------------------------------------
// Raw floor: the minimal correct work with node:crypto
// ---------------------------------------------------------------------------

function makeFloor(key: KeyObject): (token: string) => Record<string, unknown> {
  return (token: string) => {
    const parts = token.split('.')
    if (parts.length !== 3) throw new Error('malformed')
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown }
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>
    if (header.alg !== 'HS256') throw new Error('alg')
    const signature = Buffer.from(parts[2]!, 'base64url')
    const mac = createHmac('sha256', key).update(token.slice(0, parts[0]!.length + 1 + parts[1]!.length)).digest()
    if (signature.length !== mac.length || !timingSafeEqual(signature, mac)) throw new Error('signature')
    if (typeof payload.exp !== 'number' || payload.exp * 1000 <= Date.now()) throw new Error('expired')
    return payload
  }
}

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

type Mode = 'sync' | 'seq' | 'batch'
type Op = (i: number) => unknown

interface Run {
  op: Op
  /** Most ops this run may do (its pool of never-seen tokens); Infinity when only time bounds it. */
  limit: number
  /** Count-bounded rows run exactly `limit` ops whatever the time budget. */
  countBounded?: boolean
  /** The next op index; a run continues where its previous slice stopped. */
  next: number
}

interface Row {
  name: string
  mode: Mode
  /** Called once per round (and for the warm-up), outside the timing. */
  prepare: () => Promise<Omit<Run, 'next'>>
}

interface Sample {
  ops: number
  ms: number
  /** Process CPU time (user + system, every thread: main, libuv pool, GC) in µs. */
  cpuUs: number
}

const cpuNow = (): number => {
  const u = process.cpuUsage()
  return u.user + u.system
}

let sink = 0

/** Runs ops from `run.next` until `budget` ms pass (checked every 64 ops) or the run's limit. */
function sliceSync(run: Run, budget: number): Sample {
  const { op, limit } = run
  let i = run.next
  const c0 = cpuNow()
  const t0 = performance.now()
  let t = t0
  const end = t0 + budget
  while (t < end && i < limit) {
    const stop = Math.min(i + 64, limit)
    for (; i < stop; i++) if (op(i) === undefined) sink++
    t = performance.now()
  }
  const ops = i - run.next
  run.next = i
  return { ops, ms: t - t0, cpuUs: cpuNow() - c0 }
}

/** Awaits each op before starting the next (concurrency 1). */
async function sliceSeq(run: Run, budget: number): Promise<Sample> {
  const { op, limit } = run
  let i = run.next
  const c0 = cpuNow()
  const t0 = performance.now()
  let t = t0
  const end = t0 + budget
  while (t < end && i < limit) {
    const stop = Math.min(i + 64, limit)
    for (; i < stop; i++) if ((await op(i)) === undefined) sink++
    t = performance.now()
  }
  const ops = i - run.next
  run.next = i
  return { ops, ms: t - t0, cpuUs: cpuNow() - c0 }
}

/** Starts BATCH ops, awaits them all, repeats. */
async function sliceBatch(run: Run, budget: number): Promise<Sample> {
  const { op, limit } = run
  let i = run.next
  const c0 = cpuNow()
  const t0 = performance.now()
  let t = t0
  const end = t0 + budget
  const pending = new Array<unknown>(BATCH)
  while (t < end && i + BATCH <= limit) {
    for (let j = 0; j < BATCH; j++) pending[j] = op(i + j)
    i += BATCH
    const results = await Promise.all(pending)
    if (results[0] === undefined) sink++
    t = performance.now()
  }
  const ops = i - run.next
  run.next = i
  return { ops, ms: t - t0, cpuUs: cpuNow() - c0 }
}

const slice = (mode: Mode, run: Run, budget: number): Sample | Promise<Sample> =>
  mode === 'sync' ? sliceSync(run, budget) : mode === 'seq' ? sliceSeq(run, budget) : sliceBatch(run, budget)

interface RoundResult {
  sample: Sample
  /** A time-bounded run ran out of never-seen tokens before its budget. */
  exhausted: boolean
}

/**
 * One round: every row gets `budget` ms, handed out in SLICE_MS slices
 * round-robin, so all rows sample the same stretch of machine time and a
 * burst of load from a neighbour hits them alike.
 */
async function round(rows: readonly Row[], budget: number, first: number): Promise<RoundResult[]> {
  const runs: Run[] = []
  for (const row of rows) runs.push({ ...(await row.prepare()), next: 0 })
  const totals: Sample[] = rows.map(() => ({ ops: 0, ms: 0, cpuUs: 0 }))
  const finished = rows.map(() => false)
  const exhausted = rows.map(() => false)
  while (finished.includes(false)) {
    for (let k = 0; k < rows.length; k++) {
      const r = (k + first) % rows.length
      if (finished[r]) continue
      const run = runs[r]!
      const row = rows[r]!
      const total = totals[r]!
      const s = await slice(row.mode, run, run.countBounded ? Infinity : Math.min(SLICE_MS, budget - total.ms))
      total.ops += s.ops
      total.ms += s.ms
      total.cpuUs += s.cpuUs
      const left = run.limit - run.next
      const outOfTokens = row.mode === 'batch' ? left < BATCH : left <= 0
      if (outOfTokens || (!run.countBounded && total.ms >= budget)) {
        finished[r] = true
        exhausted[r] = outOfTokens && !run.countBounded && total.ms < budget
      }
    }
  }
  return rows.map((_, r) => ({ sample: totals[r]!, exhausted: exhausted[r]! }))
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US')

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const cpus = os.cpus()
  const machine = `node ${process.version}, ${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${os.platform()} ${os.arch()}`
  const versions = ['jose', 'fast-jwt', 'jsonwebtoken'].map((p) => `${p} ${versionOf(p)}`).join(', ')
  console.log(`# AuthCore verify benchmark (HS256)\n`)
  console.log(`machine: ${machine}`)
  console.log(`packages: ${versions}`)
  const commit = gitState()
  if (commit) console.log(`commit: ${commit}`)
  console.log(`settings: ${ROUNDS} rounds x ${RUN_MS} ms per row, rows interleaved in ${SLICE_MS} ms slices (median of rounds reported), warm-up ${WARMUP_MS} ms, fresh pool ${FRESH_POOL} tokens, repeated pool ${REPEAT_POOL} tokens`)

  // Keys, created once and outside every timing.
  const hmacKey = await webcrypto.subtle.importKey('raw', secretBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify'])
  const keyObject = createSecretKey(Buffer.from(secretBytes))

  const tMint = performance.now()
  const fresh = await mintPool(FRESH_POOL, hmacKey, 'f')
  const repeated = await mintPool(REPEAT_POOL, hmacKey, 'r')
  const primer = (await mintPool(1, hmacKey, 'p'))[0]!
  console.log(`minted ${FRESH_POOL + REPEAT_POOL + 1} tokens with jose SignJWT in ${((performance.now() - tMint) / 1000).toFixed(1)} s (token length ${fresh[0]!.length} chars)\n`)

  // Verifiers.
  const floor = makeFloor(keyObject)
  const joseOptions = { algorithms: ['HS256'], requiredClaims: ['exp'] }
  const fastCached = createVerifier({ key: SECRET, algorithms: ['HS256'], requiredClaims: ['exp'], cache: true })
  const fastUncached = createVerifier({ key: SECRET, algorithms: ['HS256'], requiredClaims: ['exp'], cache: false })
  const jwtOptions: jwt.VerifyOptions = { algorithms: ['HS256'] }

  /** A new AuthCore with an empty cache, keys imported (the primer verify awaits the key ring). No ready(): verify needs no storage. */
  const newAuth = async (verifyCacheSize: number): Promise<AuthCore> => {
    const auth = new AuthCore({ secret: SECRET, verifyCacheSize })
    await auth.verify(primer)
    return auth
  }

  /**
   * An AuthCore doing strict verification: in-memory SQLite holding a user
   * for each repeated token, so the version check has someone to find.
   * `versionTtl` 0 turns the version cache off: one storage read per verify.
   */
  const newStrictAuth = async (versionTtl: number): Promise<AuthCore> => {
    const storage = sqliteStorage({ filename: ':memory:' })
    const auth = new AuthCore({ secret: SECRET, storage, strictVerify: true, strictVerifyCacheTtl: versionTtl })
    await auth.ready()
    for (const token of repeated) {
      const { sub, email } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string; email: string }
      await storage.createUser({ id: sub, email, emailKey: email, name: 'Bench', role: 'user', passwordHash: null })
    }
    for (const t of repeated) await auth.verify(t)
    return auth
  }

  // Sanity: every verifier accepts a good token with the right claims and refuses a tampered one.
  const sample = fresh[FRESH_POOL - 1]!
  const expected = JSON.parse(Buffer.from(sample.split('.')[1]!, 'base64url').toString('utf8')) as { sub: string; exp: number }
  const tampered = sample.slice(0, -3) + (sample.endsWith('AAA') ? 'BBB' : 'AAA')
  const probe = await newAuth(10)
  const checks: Array<[string, (t: string) => Promise<{ sub?: unknown; exp?: unknown }>]> = [
    ['floor', async (t) => floor(t)],
    ['AuthCore', (t) => probe.verify(t)],
    ['jose', async (t) => (await jwtVerify(t, hmacKey, joseOptions)).payload],
    ['fast-jwt cached', async (t) => fastCached(t) as { sub?: unknown }],
    ['fast-jwt uncached', async (t) => fastUncached(t) as { sub?: unknown }],
    ['jsonwebtoken', async (t) => jwt.verify(t, keyObject, jwtOptions) as { sub?: unknown }],
  ]
  for (const [name, check] of checks) {
    const got = await check(sample)
    if (got.sub !== expected.sub || got.exp !== expected.exp) throw new Error(`${name} returned wrong claims`)
    const refused = await check(tampered).then(() => false, () => true)
    if (!refused) throw new Error(`${name} accepted a tampered token`)
  }
  await probe.close()

  // Fresh string copies of the repeated tokens: equal content, new string objects, no cached hash (like a parsed header).
  const makeCopies = (): string[] => {
    const out = new Array<string>(COPIES)
    for (let i = 0; i < COPIES; i++) out[i] = Buffer.from(repeated[i % REPEAT_POOL]!, 'latin1').toString('latin1')
    return out
  }

  const wrap = (n: number) => (i: number) => i % n
  const fr = wrap(FRESH_POOL)
  const rp = wrap(REPEAT_POOL)

  const rows: Row[] = [
    { name: 'raw floor (node:crypto HMAC, sync)', mode: 'sync', prepare: async () => ({ op: (i) => floor(fresh[fr(i)]!), limit: Infinity }) },
    {
      name: 'AuthCore.verify, fresh tokens',
      mode: 'seq',
      prepare: async () => {
        const auth = await newAuth(FRESH_POOL)
        return { op: (i) => auth.verify(fresh[i]!), limit: FRESH_POOL }
      },
    },
    {
      name: 'AuthCore.verify, repeated tokens (cache hit)',
      mode: 'seq',
      prepare: async () => {
        const auth = await newAuth(DEFAULT_CACHE)
        for (const t of repeated) await auth.verify(t)
        return { op: (i) => auth.verify(repeated[rp(i)]!), limit: Infinity }
      },
    },
    {
      name: 'jose jwtVerify, fresh tokens',
      mode: 'seq',
      prepare: async () => ({ op: (i) => jwtVerify(fresh[fr(i)]!, hmacKey, joseOptions), limit: Infinity }),
    },
    {
      name: 'fast-jwt, cache on, repeated tokens (sync)',
      mode: 'sync',
      prepare: async () => {
        for (const t of repeated) fastCached(t)
        return { op: (i) => fastCached(repeated[rp(i)]!), limit: Infinity }
      },
    },
    {
      name: 'AuthCore.verify strict, repeated tokens (token cache + version cache hits)',
      mode: 'seq',
      prepare: async () => {
        const auth = await newStrictAuth(300)
        return { op: (i) => auth.verify(repeated[rp(i)]!), limit: Infinity }
      },
    },
    { name: 'fast-jwt, cache off, fresh tokens (sync)', mode: 'sync', prepare: async () => ({ op: (i) => fastUncached(fresh[fr(i)]!), limit: Infinity }) },
    {
      name: 'jsonwebtoken verify, fresh tokens (sync)',
      mode: 'sync',
      prepare: async () => ({ op: (i) => jwt.verify(fresh[fr(i)]!, keyObject, jwtOptions), limit: Infinity }),
    },
    // Extras (not in the target lines).
    {
      name: `extra: AuthCore.verify, fresh tokens, ${BATCH} concurrent`,
      mode: 'batch',
      prepare: async () => {
        const auth = await newAuth(FRESH_POOL)
        return { op: (i) => auth.verify(fresh[i]!), limit: FRESH_POOL }
      },
    },
    {
      name: `extra: jose jwtVerify, fresh tokens, ${BATCH} concurrent`,
      mode: 'batch',
      prepare: async () => ({ op: (i) => jwtVerify(fresh[fr(i)]!, hmacKey, joseOptions), limit: Infinity }),
    },
    {
      name: 'extra: AuthCore.verify, fresh tokens, default verifyCacheSize (10,000), full',
      mode: 'seq',
      prepare: async () => {
        // Fill the cache to its bound with tokens this row never times, so every timed verify also evicts one.
        const auth = await newAuth(DEFAULT_CACHE)
        const fill = fresh.slice(FRESH_POOL - DEFAULT_CACHE)
        for (let k = 0; k < fill.length; k += BATCH) await Promise.all(fill.slice(k, k + BATCH).map((t) => auth.verify(t)))
        return { op: (i) => auth.verify(fresh[i]!), limit: FRESH_POOL - DEFAULT_CACHE }
      },
    },
    {
      name: 'extra: AuthCore.verify strict, repeated tokens, version cache off (a SQLite read each)',
      mode: 'seq',
      prepare: async () => {
        const auth = await newStrictAuth(0)
        return { op: (i) => auth.verify(repeated[rp(i)]!), limit: Infinity }
      },
    },
    {
      name: 'extra: AuthCore.verify, repeated tokens, new string per call',
      mode: 'seq',
      prepare: async () => {
        const auth = await newAuth(DEFAULT_CACHE)
        for (const t of repeated) await auth.verify(t)
        const copies = makeCopies()
        return { op: (i) => auth.verify(copies[i]!), limit: COPIES, countBounded: true }
      },
    },
  ]

  if (EXTRA_ROWS) {
    rows.push({
      name: 'extra: AuthCore.verify, fresh tokens, verifyCacheSize 0',
      mode: 'seq',
      prepare: async () => {
        const auth = await newAuth(0)
        return { op: (i) => auth.verify(fresh[fr(i)]!), limit: Infinity }
      },
    })
  }

  const at = (prefix: string): number => {
    const k = rows.findIndex((r) => r.name.startsWith(prefix))
    if (k < 0) throw new Error(`no row ${prefix}`)
    return k
  }
  const FLOOR = at('raw floor')
  const AUTH_FRESH = at('AuthCore.verify, fresh tokens')
  const AUTH_REPEATED = at('AuthCore.verify, repeated tokens')
  const JOSE_FRESH = at('jose jwtVerify, fresh tokens')
  const AUTH_STRICT = at('AuthCore.verify strict, repeated tokens')
  const AUTH_STRICT_READ = at('extra: AuthCore.verify strict, repeated tokens, version cache off')
  const AUTH_FRESH_BATCH = at(`extra: AuthCore.verify, fresh tokens, ${BATCH} concurrent`)
  const JOSE_FRESH_BATCH = at(`extra: jose jwtVerify, fresh tokens, ${BATCH} concurrent`)

  // Warm-up: every row, so the JIT has seen every path before any timing.
  await round(rows, WARMUP_MS, 0)

  const samples = new Map<Row, number[]>(rows.map((r) => [r, []]))
  const cpuSamples = new Map<Row, number[]>(rows.map((r) => [r, []]))
  const exhausted = new Set<Row>()
  const tBench = performance.now()
  for (let n = 0; n < ROUNDS; n++) {
    // Rotate which row opens each slice cycle, so no row always follows the same neighbour.
    const results = await round(rows, RUN_MS, n * 3)
    results.forEach(({ sample: s, exhausted: out }, k) => {
      const row = rows[k]!
      samples.get(row)!.push((s.ops / s.ms) * 1000)
      cpuSamples.get(row)!.push(s.cpuUs / s.ops)
      if (out) exhausted.add(row)
    })
    process.stderr.write(`round ${n + 1}/${ROUNDS} done\n`)
  }
  const benchSeconds = (performance.now() - tBench) / 1000

  const med = new Map(rows.map((r) => [r, median(samples.get(r)!)]))
  const opsOf = (k: number) => med.get(rows[k]!)!
  const floorOps = opsOf(0)

  console.log('| # | row | ops/s | µs/op | ratio to floor | CPU µs/op | spread |')
  console.log('|---|-----|------:|------:|---------------:|----------:|-------:|')
  rows.forEach((row, k) => {
    const ops = med.get(row)!
    const xs = samples.get(row)!
    const spread = ((Math.max(...xs) - Math.min(...xs)) / ops) * 100
    const cpu = median(cpuSamples.get(row)!)
    const mark = exhausted.has(row) ? ' †' : ''
    console.log(`| ${k + 1} | ${row.name}${mark} | ${fmtInt(ops)} | ${(1e6 / ops).toFixed(2)} | ${(floorOps / ops).toFixed(2)}x | ${cpu.toFixed(2)} | ±${(spread / 2).toFixed(0)}% |`)
  })
  console.log('')
  console.log('ratio to floor = µs/op ÷ floor µs/op (higher is slower). CPU µs/op = process CPU time (all threads: main, libuv pool, GC) per op.')
  console.log('spread = half the max-min range of the rounds, relative to the median.')
  if (exhausted.size > 0) console.log(`† ran out of never-seen tokens before ${RUN_MS} ms in some round (raise BENCH_POOL); ops/s is still ops ÷ elapsed.`)
  console.log('Async rows await each verify in turn (concurrency 1) unless marked concurrent.\n')

  // Rows are interleaved in slices, so each round's rows shared the same machine time: the fresh
  // target uses the median of the per-round paired ratios, which cancels most of the shared-machine noise.
  /** Per round: time per op of `row` ÷ time per op of `base`. */
  const timeRatios = (row: number, base: number): number[] =>
    samples.get(rows[base]!)!.map((baseOps, k) => baseOps / samples.get(rows[row]!)![k]!)
  const repeatedRounds = timeRatios(AUTH_REPEATED, FLOOR)
  const freshRounds = timeRatios(AUTH_FRESH, JOSE_FRESH)
  const repeatedRatio = median(repeatedRounds)
  const freshRatio = median(freshRounds)
  const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ')
  console.log(`repeated tokens: ${repeatedRatio.toFixed(2)}x the raw floor (target <= 1.5x) ${repeatedRatio <= 1.5 ? 'MET' : 'MISSED'}`)
  console.log(`fresh tokens: ${freshRatio.toFixed(2)}x jose jwtVerify's time per op (target <= 1.1x) ${freshRatio <= 1.1 ? 'MET' : 'MISSED'}`)
  console.log(`(median of per-round paired ratios; rounds: repeated ${list(repeatedRounds)}; fresh ${list(freshRounds)}; fresh from the medians in the table: ${(opsOf(JOSE_FRESH) / opsOf(AUTH_FRESH)).toFixed(2)}x)`)
  const strictRatio = median(timeRatios(AUTH_STRICT, AUTH_REPEATED))
  const strictReadRatio = median(timeRatios(AUTH_STRICT_READ, AUTH_REPEATED))
  console.log(`strict verification, repeated tokens: ${strictRatio.toFixed(2)}x the stateless row's time per op (version cache hit); ${strictReadRatio.toFixed(2)}x with a storage read each`)
  const cpuOf = (k: number) => median(cpuSamples.get(rows[k]!)!)
  const cpuRatio = (a: number, b: number) => `${cpuOf(a).toFixed(2)} vs ${cpuOf(b).toFixed(2)} µs (${(cpuOf(a) / cpuOf(b)).toFixed(2)}x)`
  console.log(`fresh tokens, CPU time per op, AuthCore vs jose: sequential ${cpuRatio(AUTH_FRESH, JOSE_FRESH)}; ${BATCH} concurrent ${cpuRatio(AUTH_FRESH_BATCH, JOSE_FRESH_BATCH)}`)
  if (sink !== 0) console.log(`warning: a verifier returned undefined ${sink} times`)
  console.log(`\ntimed part ${benchSeconds.toFixed(1)} s, whole run ${(performance.now() / 1000).toFixed(1)} s`)
}

await main()
