/**
 * Sign-in benchmark: `auth.signIn({ email, pass })` on an on-disk SQLite file
 * against the raw floors it is built from, and against better-auth's
 * `signInEmail` on the same engine and hash cost when better-auth is installed.
 *
 *   npm run bench:signin                 (build, then node dist/bench/signin.js)
 *   node --import=tsx bench/signin.ts    (straight from source)
 *
 * One process, no thresholds: it prints a markdown table per part and the
 * target lines. Parts:
 *   1. signIn ops/s and p50/p99 latency at concurrency 1, 2, 4, 8 next to
 *      argon2id verify alone and the raw floor (argon2 verify + cached
 *      better-sqlite3 SELECT by email_key + jose SignJWT HS256 with a
 *      pre-imported key). Target: signIn >= 90% of argon2-verify-alone.
 *   2. (part 3 of the brief) the same with a trivial SHA-256 hasher instead of
 *      argon2, at concurrency 1 and 8. Target: signIn within 2x of its floor.
 *   3. (part 4) event-loop delay during a concurrency-8 argon2 sign-in storm.
 *      Target: p99 < 10 ms.
 *   4. (part 5) better-auth signInEmail, folded into the tables above.
 *
 * Variants are interleaved: each cell is BENCH_ROUNDS slices of
 * BENCH_SLICE_MS ms (argon2 tables) or BENCH_CHEAP_SLICE_MS ms (trivial-hasher
 * table), the variants taking turns in a rotating order, and a cell's ops/s is
 * its completed sign-ins over its summed wall time. Environment knobs:
 * BENCH_USERS (1000), BENCH_ROUNDS (3), BENCH_SLICE_MS (1000),
 * BENCH_CHEAP_SLICE_MS (500), BENCH_ELD_MS (1500, per event-loop-delay slice).
 */
import Database from 'better-sqlite3'
import { verify as argon2Verify } from '@node-rs/argon2'
import { createHash, randomBytes, randomUUID, timingSafeEqual, webcrypto } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, performance } from 'node:perf_hooks'
import { SignJWT } from 'jose'
import { AuthCore } from '../lib/index.js'
import { argon2Hasher, ARGON2_MINIMUM, type PasswordHasher } from '../lib/passwords/hasher.js'
import type { PasswordOptions } from '../lib/passwords/service.js'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'

const envInt = (name: string, fallback: number): number => {
  const n = Number(process.env[name])
  return Number.isInteger(n) && n > 0 ? n : fallback
}

const USERS = envInt('BENCH_USERS', 1000)
const ROUNDS = envInt('BENCH_ROUNDS', 3)
const SLICE_MS = envInt('BENCH_SLICE_MS', 1000)
const CHEAP_SLICE_MS = envInt('BENCH_CHEAP_SLICE_MS', 500)
const ELD_MS = envInt('BENCH_ELD_MS', 1500)
const WARMUP_MS = 300
const ELD_RESOLUTION_MS = 1
const CONCURRENCY = [1, 2, 4, 8] as const
const CHEAP_CONCURRENCY = [1, 8] as const
/** Distinct passwords (and hashes) shared round-robin by the users. */
const PASSWORD_COUNT = 16
const SECRET = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz' // >= 32 bytes
const ACCESS_TTL = 15 * 60
const COLUMNS = 'id, email, name, pass, role, email_key, created_at, updated_at, token_version, disabled, email_verified'

// ---------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------

function versionOf(pkg: string): string {
  // bench/ from source, dist/bench/ when built.
  for (const up of ['../', '../../']) {
    try {
      const url = new URL(`${up}node_modules/${pkg}/package.json`, import.meta.url)
      return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version
    } catch {
      // try the next level
    }
  }
  return 'not installed'
}

// ---------------------------------------------------------------------------
// Measurement
// ---------------------------------------------------------------------------

type Op = (rand: () => number) => Promise<unknown>

interface Cell {
  ops: number
  ms: number
  latencies: number[]
  errors: number
  firstError?: unknown
}

const newCell = (): Cell => ({ ops: 0, ms: 0, latencies: [], errors: 0 })

/** A small per-worker PRNG (xorshift32), so user choice costs nothing and runs repeat. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1
  return () => {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    return x
  }
}

let seedCounter = 1

/** Runs `concurrency` workers calling `op` in a loop for `ms`; adds to `cell`. */
async function runSlice(op: Op, concurrency: number, ms: number, cell: Cell | undefined): Promise<void> {
  const start = performance.now()
  const deadline = start + ms
  const worker = async (): Promise<void> => {
    const rand = prng(0x9e3779b9 * seedCounter++)
    while (performance.now() < deadline) {
      const t0 = performance.now()
      try {
        await op(rand)
      } catch (err) {
        if (cell) {
          cell.errors++
          cell.firstError ??= err
        }
        continue
      }
      if (cell) {
        cell.latencies.push(performance.now() - t0)
        cell.ops++
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  if (cell) cell.ms += performance.now() - start
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
}

interface Stats {
  opsPerSec: number
  p50: number
  p99: number
  n: number
  errors: number
  firstError?: unknown
}

function stats(cell: Cell): Stats {
  const sorted = cell.latencies.sort((a, b) => a - b)
  return {
    opsPerSec: (cell.ops / cell.ms) * 1000,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    n: cell.ops,
    errors: cell.errors,
    firstError: cell.firstError,
  }
}

/**
 * Measures every variant at one concurrency: warm-up, then ROUNDS rounds in
 * which each variant runs one slice, in an order rotated every round.
 */
async function measure(variants: Map<string, Op>, concurrency: number, sliceMs: number): Promise<Map<string, Stats>> {
  const names = [...variants.keys()]
  for (const name of names) await runSlice(variants.get(name)!, concurrency, Math.min(WARMUP_MS, sliceMs), undefined)
  const cells = new Map(names.map((n) => [n, newCell()]))
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!
      await runSlice(variants.get(name)!, concurrency, sliceMs, cells.get(name)!)
    }
  }
  return new Map(names.map((n) => [n, stats(cells.get(n)!)]))
}

interface EldSlice {
  p50: number
  p99: number
  max: number
  samples: number
}

/** Event-loop delay (resolution 1 ms) while `op` (or nothing, when undefined) runs at `concurrency` for `ms`. */
async function eldSlice(op: Op | undefined, concurrency: number, ms: number, cell: Cell): Promise<EldSlice> {
  const h = monitorEventLoopDelay({ resolution: ELD_RESOLUTION_MS })
  h.enable()
  if (op) await runSlice(op, concurrency, ms, cell)
  else await new Promise((resolve) => setTimeout(resolve, ms))
  h.disable()
  return { p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: h.max / 1e6, samples: h.count }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!

/**
 * Event-loop delay per variant, in ROUNDS interleaved slices of `ms` (idle
 * included, so load from outside this process shows up as a row). A
 * histogram cannot be merged, so each slice has its own; the row reports the
 * median of the slices' p50 and p99, the worst slice's p99 and the max.
 */
async function measureEldAll(variants: Map<string, Op | undefined>, concurrency: number, ms: number) {
  const names = [...variants.keys()]
  const slices = new Map(names.map((n) => [n, [] as EldSlice[]]))
  const cells = new Map(names.map((n) => [n, newCell()]))
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(k + round) % names.length]!
      slices.get(name)!.push(await eldSlice(variants.get(name), concurrency, ms, cells.get(name)!))
    }
  }
  return new Map(names.map((n) => {
    const sl = slices.get(n)!
    const cell = cells.get(n)!
    return [n, {
      p50: median(sl.map((x) => x.p50)),
      p99: median(sl.map((x) => x.p99)),
      worstP99: Math.max(...sl.map((x) => x.p99)),
      max: Math.max(...sl.map((x) => x.max)),
      samples: sl.reduce((a, x) => a + x.samples, 0),
      opsPerSec: variants.get(n) ? (cell.ops / cell.ms) * 1000 : NaN,
      errors: cell.errors,
    }]
  }))
}

// ---------------------------------------------------------------------------
// Hashers
// ---------------------------------------------------------------------------

const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex')
const TRIVIAL_PREFIX = 'sha256$'

/** The cheap stand-in for argon2: a SHA-256 hex compared in constant time. */
const trivialHasher: PasswordHasher = Object.freeze({
  hash: async (password: string) => TRIVIAL_PREFIX + sha256Hex(password),
  verify: async (hash: string, password: string) => trivialVerify(hash, password),
  needsRehash: (hash: string) => !hash.startsWith(TRIVIAL_PREFIX),
})

function trivialVerify(hash: string, password: string): boolean {
  if (!hash.startsWith(TRIVIAL_PREFIX)) return false
  const want = Buffer.from(hash.slice(TRIVIAL_PREFIX.length), 'hex')
  const got = createHash('sha256').update(password).digest()
  return want.length === got.length && timingSafeEqual(want, got)
}

// ---------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------

const fmtOps = (n: number): string => (Number.isFinite(n) ? (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)) : 'n/a')
const fmtMs = (n: number): string => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2)) : 'n/a')
const fmtPct = (n: number): string => `${(n * 100).toFixed(1)}%`
const fmtX = (n: number): string => `${n.toFixed(2)}x`

function errorNote(s: Stats): string {
  if (s.errors === 0) return ''
  const e = s.firstError as { code?: string; message?: string } | undefined
  return ` (${s.errors} errors, first: ${e?.code ?? ''} ${e?.message ?? String(e)})`
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

interface SignInRig {
  name: string
  signIn: Op
  close(): Promise<void>
}

async function main(): Promise<void> {
  const tStart = performance.now()
  const dir = mkdtempSync(join(os.tmpdir(), 'authcore-signin-bench-'))
  const closers: (() => Promise<void> | void)[] = []
  try {
    const cpus = os.cpus()
    const sqliteVersion = (() => {
      const db = new Database(':memory:')
      const v = (db.prepare('select sqlite_version() as v').get() as { v: string }).v
      db.close()
      return v
    })()
    const pkgs = ['@node-rs/argon2', 'better-sqlite3', 'jose', 'kysely', 'better-auth']
    console.log('# AuthCore sign-in benchmark\n')
    console.log(`- machine: ${cpus[0]?.model ?? 'unknown'}, ${cpus.length} logical CPUs (availableParallelism ${os.availableParallelism()}), ` +
      `${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()}`)
    console.log(`- load average at start (1/5/15 min): ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')}; other processes on this machine skew every number`)
    console.log(`- node ${process.version}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, SQLite ${sqliteVersion}`)
    console.log(`- packages: ${pkgs.map((p) => `${p} ${versionOf(p)}`).join(', ')}`)
    console.log(`- argon2id m=${ARGON2_MINIMUM.memoryCost} KiB, t=${ARGON2_MINIMUM.timeCost}, p=${ARGON2_MINIMUM.parallelism}; ` +
      `${USERS} users on an on-disk SQLite file (WAL) in ${os.tmpdir()}; random user per call, correct password`)
    console.log(`- each cell: ${ROUNDS} interleaved slices of ${SLICE_MS} ms (argon2) or ${CHEAP_SLICE_MS} ms (trivial hasher) after a ${WARMUP_MS} ms warm-up`)

    // --- Users and hashes ---------------------------------------------------
    const argon2 = argon2Hasher()
    const passwords = Array.from({ length: PASSWORD_COUNT }, (_, k) => `bench-pass-${k}-Zq8#wL`)
    const argonHashes: string[] = []
    for (const p of passwords) argonHashes.push(await argon2.hash(p)) // one at a time: no contention in setup
    if (argonHashes.some((h) => argon2.needsRehash(h))) throw new Error('precomputed hashes would be re-hashed on sign-in')
    const trivialHashes = await Promise.all(passwords.map((p) => trivialHasher.hash(p)))
    const emailOf = (i: number) => `user${i}@example.com`
    const passOf = (i: number) => passwords[i % PASSWORD_COUNT]!
    const userOf = (rand: () => number) => rand() % USERS

    async function authCoreRig(file: string, hashes: string[], policy: PasswordOptions, name: string, createUsers = true): Promise<SignInRig & { auth: AuthCore }> {
      const storage = sqliteStorage({ filename: file })
      const auth = new AuthCore({ secret: SECRET, storage, passwordPolicy: policy })
      await auth.ready()
      if (createUsers) await storage.transaction(async (tx) => {
        for (let i = 0; i < USERS; i++) {
          const email = emailOf(i)
          await tx.createUser({ id: randomUUID(), email, emailKey: email, name: `User ${i}`, role: 'user', passwordHash: hashes[i % PASSWORD_COUNT]! })
        }
      })
      return {
        name,
        auth,
        signIn: (rand) => {
          const i = userOf(rand)
          return auth.signIn({ email: emailOf(i), pass: passOf(i) })
        },
        close: () => auth.close(),
      }
    }

    const tSetup = performance.now()
    let refreshSessions = false
    const acFile = join(dir, 'authcore.db')
    const acTrivialFile = join(dir, 'authcore-trivial.db')
    const ac = await authCoreRig(acFile, argonHashes, {}, 'AuthCore signIn')
    closers.push(() => ac.close())
    const acTrivial = await authCoreRig(acTrivialFile, trivialHashes, { hasher: trivialHasher }, 'AuthCore signIn')
    closers.push(() => acTrivial.close())
    // Diagnostic for the event-loop part: at most as many hashes at once as there are cores (the default is max(4, cores)).
    const acCapped = await authCoreRig(acFile, argonHashes, { maxConcurrentHashes: os.availableParallelism() }, 'AuthCore signIn, capped', false)
    closers.push(() => acCapped.close())

    // Sanity: a sign-in works, its token verifies, and the stored hash is not replaced.
    {
      const first = await ac.auth.signIn({ email: emailOf(3), pass: passOf(3) })
      const claims = await ac.auth.verify(first.token)
      if (claims.sub !== first.user.id) throw new Error('sanity: token subject mismatch')
      // Once the storage plugin has session operations, every sign-in also writes a refresh session.
      refreshSessions = typeof (first as { refreshToken?: unknown }).refreshToken === 'string'
      await acTrivial.auth.signIn({ email: emailOf(3), pass: passOf(3) })
    }

    // --- Raw floors ---------------------------------------------------------
    const hmacKey = await webcrypto.subtle.importKey('raw', new TextEncoder().encode(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
    interface Row { id: string; email: string; pass: string; role: string }
    /**
     * The raw floor: cached prepared SELECT by email_key, the password check,
     * and a jose SignJWT with a pre-imported key. With `withSession`, it also
     * writes a refresh-session row with a cached prepared INSERT (what
     * AuthCore's signIn does once its storage has session operations).
     */
    function floorRig(file: string, check: (hash: string, pass: string) => Promise<boolean> | boolean, withSession = false): Op {
      const db = new Database(file, withSession ? {} : { readonly: true })
      closers.push(() => void db.close())
      const byKey = db.prepare(`select ${COLUMNS} from users where email_key = ?`)
      const insertSession = withSession
        ? db.prepare('insert into authcore_sessions (id, family_id, user_id, secret_hash, created_at, expires_at, idle_expires_at) values (?, ?, ?, ?, ?, ?, ?)')
        : undefined
      return async (rand) => {
        const i = userOf(rand)
        const row = byKey.get(emailOf(i)) as Row | undefined
        if (!row || !(await check(row.pass, passOf(i)))) throw new Error('floor: bad credentials')
        const nowMs = Date.now()
        const now = Math.floor(nowMs / 1000)
        let sid: string | undefined
        if (insertSession) {
          sid = randomUUID()
          const secretHash = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url')
          insertSession.run(sid, sid, row.id, secretHash, nowMs, nowMs + 30 * 86400_000, nowMs + 7 * 86400_000)
        }
        const jwt = new SignJWT({ id: row.id, email: row.email, role: row.role, ...(sid && { sid }) })
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
          .setSubject(row.id)
          .setIssuedAt(now)
          .setExpirationTime(now + ACCESS_TTL)
          .setJti(randomUUID())
        return jwt.sign(hmacKey)
      }
    }
    const argonAlone: Op = (rand) => {
      const i = userOf(rand)
      return argon2Verify(argonHashes[i % PASSWORD_COUNT]!, passOf(i))
    }
    const argonFloor = floorRig(acFile, (h, p) => argon2Verify(h, p))
    const trivialFloor = floorRig(acTrivialFile, trivialVerify)
    const trivialFloorWrite = refreshSessions ? floorRig(acTrivialFile, trivialVerify, true) : undefined

    // --- better-auth (optional) --------------------------------------------
    let ba: SignInRig | undefined
    let baTrivial: SignInRig | undefined
    let baNote = ''
    try {
      const [{ betterAuth }, { getMigrations }] = await Promise.all([import('better-auth'), import('better-auth/db/migration')])
      async function betterAuthRig(file: string, hashes: string[], hasher: PasswordHasher): Promise<SignInRig> {
        const db = new Database(file)
        db.pragma('journal_mode = WAL')
        closers.push(() => void db.close())
        const auth = betterAuth({
          database: db,
          secret: SECRET,
          baseURL: 'http://localhost:3000',
          telemetry: { enabled: false },
          logger: { disabled: true },
          emailAndPassword: {
            enabled: true,
            password: { hash: (p: string) => hasher.hash(p), verify: ({ hash, password }) => hasher.verify(hash, password) },
          },
        })
        const { runMigrations } = await getMigrations(auth.options)
        await runMigrations()
        const ctx = await auth.$context
        for (let i = 0; i < USERS; i++) {
          const user = await ctx.internalAdapter.createUser({ email: emailOf(i), name: `User ${i}`, emailVerified: false }, { method: 'email-password' })
          await ctx.internalAdapter.linkAccount({ userId: user.id, providerId: 'credential', accountId: user.id, password: hashes[i % PASSWORD_COUNT]! })
        }
        const signIn: Op = async (rand) => {
          const i = userOf(rand)
          const res = await auth.api.signInEmail({ body: { email: emailOf(i), password: passOf(i) } })
          if (!res.token) throw new Error('better-auth: no session token')
          return res
        }
        await signIn(() => 3) // sanity
        return { name: 'better-auth signInEmail', signIn, close: async () => {} }
      }
      ba = await betterAuthRig(join(dir, 'better-auth.db'), argonHashes, argon2)
      baTrivial = await betterAuthRig(join(dir, 'better-auth-trivial.db'), trivialHashes, trivialHasher)
    } catch (err) {
      baNote = `better-auth skipped: ${(err as Error)?.message ?? String(err)}`
      ba = baTrivial = undefined
    }
    console.log(`- setup (hashes, ${USERS} users per store${ba ? ', 4 stores' : ', 2 stores'}): ${((performance.now() - tSetup) / 1000).toFixed(1)} s`)
    if (baNote) console.log(`- ${baNote}`)
    console.log(`- AuthCore signIn ${refreshSessions ? 'returns a refresh token (writes a session row per sign-in)' : 'returns an access token only (this storage plugin has no session operations, so no write per sign-in)'}`)

    // --- Part 1: argon2 -----------------------------------------------------
    const ALONE = 'argon2id verify alone'
    const FLOOR = 'raw floor (argon2 + SELECT + SignJWT)'
    const SIGNIN = 'AuthCore signIn'
    const BA = 'better-auth signInEmail'
    const part1 = new Map<number, Map<string, Stats>>()
    for (const c of CONCURRENCY) {
      const variants = new Map<string, Op>([[ALONE, argonAlone], [FLOOR, argonFloor], [SIGNIN, ac.signIn]])
      if (ba) variants.set(BA, ba.signIn)
      part1.set(c, await measure(variants, c, SLICE_MS))
    }
    console.log('\n## 1. signIn with argon2id vs the raw floors\n')
    console.log('| concurrency | variant | ops/s | p50 ms | p99 ms | % of argon2 alone | % of raw floor |')
    console.log('|---:|---|---:|---:|---:|---:|---:|')
    const targetLines1: string[] = []
    for (const [c, rows] of part1) {
      const alone = rows.get(ALONE)!.opsPerSec
      const floor = rows.get(FLOOR)!.opsPerSec
      for (const [name, s] of rows) {
        console.log(`| ${c} | ${name} | ${fmtOps(s.opsPerSec)} | ${fmtMs(s.p50)} | ${fmtMs(s.p99)} | ${fmtPct(s.opsPerSec / alone)} | ${fmtPct(s.opsPerSec / floor)} |${errorNote(s)}`)
      }
      const pct = rows.get(SIGNIN)!.opsPerSec / alone
      targetLines1.push(`- concurrency ${c}: signIn at ${fmtPct(pct)} of argon2-verify-alone (target >= 90%): ${pct >= 0.9 ? 'MET' : 'MISSED'}`)
    }
    console.log('\n' + targetLines1.join('\n'))

    // --- Part 2 (brief part 3): trivial hasher ------------------------------
    const TFLOOR = 'raw floor (SHA-256 + SELECT + SignJWT)'
    const TFLOORW = 'raw floor + session INSERT (prepared)'
    const part3 = new Map<number, Map<string, Stats>>()
    for (const c of CHEAP_CONCURRENCY) {
      const variants = new Map<string, Op>([[TFLOOR, trivialFloor]])
      if (trivialFloorWrite) variants.set(TFLOORW, trivialFloorWrite)
      variants.set(SIGNIN, acTrivial.signIn)
      if (baTrivial) variants.set(BA, baTrivial.signIn)
      part3.set(c, await measure(variants, c, CHEAP_SLICE_MS))
    }
    console.log('\n## 2. Framework overhead: trivial SHA-256 hasher instead of argon2\n')
    console.log(`| concurrency | variant | ops/s | p50 µs | p99 µs | time per sign-in vs floor |${trivialFloorWrite ? ' vs floor + INSERT |' : ''}`)
    console.log(`|---:|---|---:|---:|---:|---:|${trivialFloorWrite ? '---:|' : ''}`)
    const targetLines3: string[] = []
    for (const [c, rows] of part3) {
      const floor = rows.get(TFLOOR)!.opsPerSec
      const floorW = rows.get(TFLOORW)?.opsPerSec
      for (const [name, s] of rows) {
        const extra = floorW === undefined ? '' : ` ${fmtX(floorW / s.opsPerSec)} |`
        console.log(`| ${c} | ${name} | ${fmtOps(s.opsPerSec)} | ${fmtOps(s.p50 * 1000)} | ${fmtOps(s.p99 * 1000)} | ${fmtX(floor / s.opsPerSec)} |${extra}${errorNote(s)}`)
      }
      const ratio = floor / rows.get(SIGNIN)!.opsPerSec
      const withWrite = floorW === undefined ? '' : `; vs the floor that also writes the session row: ${fmtX(floorW / rows.get(SIGNIN)!.opsPerSec)}`
      targetLines3.push(`- concurrency ${c}: signIn ${fmtX(ratio)} the floor's time (target <= 2x): ${ratio <= 2 ? 'MET' : 'MISSED'}${withWrite}`)
    }
    console.log('\n' + targetLines3.join('\n'))

    // --- Part 3 (brief part 4): event-loop delay ----------------------------
    const IDLE = 'idle (no load from this process)'
    const CAPPED = `AuthCore signIn, maxConcurrentHashes ${os.availableParallelism()} (diagnostic)`
    const eldVariants = new Map<string, Op | undefined>([[IDLE, undefined], [ALONE, argonAlone], [FLOOR, argonFloor], [SIGNIN, ac.signIn]])
    eldVariants.set(CAPPED, acCapped.signIn)
    if (ba) eldVariants.set(BA, ba.signIn)
    const eld = await measureEldAll(eldVariants, 8, ELD_MS)
    console.log(`\n## 3. Event-loop delay during a concurrency-8 argon2 storm (${ROUNDS} interleaved slices of ${ELD_MS} ms per row, monitorEventLoopDelay resolution ${ELD_RESOLUTION_MS} ms)\n`)
    console.log('Values are what the histogram records: the timer interval plus the delay (an idle loop reads ~1 ms). p50 and p99 are the median over the slices; "worst p99" is the worst slice.\n')
    console.log('| load | ops/s | ELD p50 ms | ELD p99 ms | worst slice p99 ms | ELD max ms | samples |')
    console.log('|---|---:|---:|---:|---:|---:|---:|')
    for (const [name, r] of eld) {
      console.log(`| ${name} | ${Number.isFinite(r.opsPerSec) ? fmtOps(r.opsPerSec) : '-'} | ${fmtMs(r.p50)} | ${fmtMs(r.p99)} | ${fmtMs(r.worstP99)} | ${fmtMs(r.max)} | ${r.samples} |${r.errors ? ` (${r.errors} errors)` : ''}`)
    }
    const signInEldP99 = eld.get(SIGNIN)!.p99
    console.log(`\n- AuthCore signIn storm: event-loop delay p99 ${fmtMs(signInEldP99)} ms (target < 10 ms): ${signInEldP99 < 10 ? 'MET' : 'MISSED'}`)

    // --- Part 4 (brief part 5): better-auth summary -------------------------
    console.log('\n## 4. AuthCore vs better-auth (same SQLite engine, same hashers)\n')
    if (!ba || !baTrivial) {
      console.log(baNote || 'better-auth not measured')
    } else {
      console.log('| hasher | concurrency | AuthCore ops/s | better-auth ops/s | AuthCore / better-auth | AuthCore p99 ms | better-auth p99 ms | AuthCore vs floor | better-auth vs floor |')
      console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
      for (const [c, rows] of part1) {
        const a = rows.get(SIGNIN)!
        const b = rows.get(BA)!
        const f = rows.get(FLOOR)!.opsPerSec
        console.log(`| argon2id | ${c} | ${fmtOps(a.opsPerSec)} | ${fmtOps(b.opsPerSec)} | ${fmtX(a.opsPerSec / b.opsPerSec)} | ${fmtMs(a.p99)} | ${fmtMs(b.p99)} | ${fmtX(f / a.opsPerSec)} | ${fmtX(f / b.opsPerSec)} |`)
      }
      for (const [c, rows] of part3) {
        const a = rows.get(SIGNIN)!
        const b = rows.get(BA)!
        const f = rows.get(TFLOOR)!.opsPerSec
        console.log(`| trivial SHA-256 | ${c} | ${fmtOps(a.opsPerSec)} | ${fmtOps(b.opsPerSec)} | ${fmtX(a.opsPerSec / b.opsPerSec)} | ${fmtMs(a.p99)} | ${fmtMs(b.p99)} | ${fmtX(f / a.opsPerSec)} | ${fmtX(f / b.opsPerSec)} |`)
      }
      console.log('\n"vs floor" is the floor\'s ops/s over the variant\'s (time per sign-in relative to the floor without a write). better-auth writes a session row per sign-in' +
        (refreshSessions ? '; so does AuthCore (its refresh session), and it signs a JWT access token too.' : '; AuthCore signs a stateless JWT.'))
    }
    console.log(`\nload average at end (1/5/15 min): ${os.loadavg().map((l) => l.toFixed(2)).join(' / ')}`)
    console.log(`total run time ${((performance.now() - tStart) / 1000).toFixed(0)} s`)
  } finally {
    for (const close of closers.reverse()) {
      try {
        await close()
      } catch {
        // best effort
      }
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

await main()
