/**
 * Benchmark of the storage hot paths (findUserByEmailKey, findUserById) of
 * the SQLite driver against the raw floor: a cached better-sqlite3 prepared
 * statement doing the same select. Plain kysely (build + compile + execute per
 * call) is shown for reference.
 *
 *   npm run bench:storage                 (build, then node dist/bench/storage.js)
 *   node --import=tsx bench/storage.ts    (straight from source)
 *
 * One process, a temp file with BENCH_USERS users (default 10000), no
 * thresholds: it prints a markdown table (median of interleaved rounds, each
 * row timed BENCH_MS ms per round, default 400, BENCH_ROUNDS rounds, default 5)
 * and the target line (plugin within 1.5x of the floor).
 */
import Database from 'better-sqlite3'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Kysely, SqliteDialect } from 'kysely'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'

const envInt = (name: string, fallback: number): number => {
  const n = Number(process.env[name])
  return Number.isInteger(n) && n > 0 ? n : fallback
}
const USERS = envInt('BENCH_USERS', 10_000)
const RUN_MS = envInt('BENCH_MS', 400)
const ROUNDS = envInt('BENCH_ROUNDS', 5)
const COLUMNS = 'id, email, name, pass, role, email_key, created_at, updated_at, token_version, disabled, email_verified'

type Op = (i: number) => unknown

async function timed(op: Op, ms: number): Promise<number> {
  let n = 0
  const start = performance.now()
  let now = start
  // Check the clock every 256 calls so timing does not dominate the loop.
  while (now - start < ms) {
    for (let j = 0; j < 256; j++) {
      const r = op(n++)
      if (r instanceof Promise) await r
    }
    now = performance.now()
  }
  return (n / (now - start)) * 1000
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function main(): Promise<void> {
  const dir = mkdtempSync(join(os.tmpdir(), 'authcore-bench-'))
  const filename = join(dir, 'bench.db')
  const storage = sqliteStorage({ filename })
  await storage.init()
  const ids: string[] = []
  const keys: string[] = []
  await storage.transaction(async (tx) => {
    for (let i = 0; i < USERS; i++) {
      const id = randomUUID()
      const email = `user${i}@example.com`
      ids.push(id)
      keys.push(email)
      await tx.createUser({ id, email, emailKey: email, name: `User ${i}`, role: 'user', passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA' })
    }
  })
  // Look-ups in a shuffled order so every call walks the index afresh.
  const order = Array.from({ length: USERS }, (_, i) => (i * 7919) % USERS)
  const keyAt = (i: number) => keys[order[i % USERS]!]!
  const idAt = (i: number) => ids[order[i % USERS]!]!

  const raw = new Database(filename)
  const rawByKey = raw.prepare(`select ${COLUMNS} from users where email_key = ?`)
  const rawById = raw.prepare(`select ${COLUMNS} from users where id = ?`)
  const kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(filename) }) }) // eslint-disable-line @typescript-eslint/no-explicit-any
  const cols = COLUMNS.split(', ')

  const rows: [string, Op][] = [
    ['findUserByEmailKey: raw prepared statement (floor)', (i) => rawByKey.get(keyAt(i))],
    ['findUserByEmailKey: AuthCore sqliteStorage', (i) => storage.findUserByEmailKey(keyAt(i))],
    ['findUserByEmailKey: plain kysely (reference)', (i) => kysely.selectFrom('users').select(cols).where('email_key', '=', keyAt(i)).executeTakeFirst()],
    ['findUserById: raw prepared statement (floor)', (i) => rawById.get(idAt(i))],
    ['findUserById: AuthCore sqliteStorage', (i) => storage.findUserById(idAt(i))],
    ['findUserById: plain kysely (reference)', (i) => kysely.selectFrom('users').select(cols).where('id', '=', idAt(i)).executeTakeFirst()],
  ]
  for (const [, op] of rows) await timed(op, 150) // warm-up: JIT and page cache
  const samples = rows.map(() => [] as number[])
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, op]] of rows.entries()) samples[i]!.push(await timed(op, RUN_MS))
  }
  const results = rows.map(([name], i) => ({ name, ops: median(samples[i]!) }))

  console.log(`\nStorage hot paths, SQLite file with ${USERS} users (median of ${ROUNDS} rounds x ${RUN_MS} ms)`)
  console.log(`node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'})\n`)
  console.log('| operation | ops/s | µs/op | time vs floor |')
  console.log('|---|---:|---:|---:|')
  const lines: string[] = []
  for (let g = 0; g < results.length; g += 3) {
    const floor = results[g]!.ops
    for (const r of results.slice(g, g + 3)) {
      console.log(`| ${r.name} | ${Math.round(r.ops).toLocaleString('en-US')} | ${(1e6 / r.ops).toFixed(2)} | ${(floor / r.ops).toFixed(2)}x |`)
    }
    const plugin = results[g + 1]!
    lines.push(`${plugin.name}: ${(floor / plugin.ops).toFixed(2)}x the floor (target <= 1.5x): ${floor / plugin.ops <= 1.5 ? 'MET' : 'MISSED'}`)
  }
  console.log('\n' + lines.join('\n'))

  await kysely.destroy()
  raw.close()
  await storage.close()
  rmSync(dir, { recursive: true, force: true })
}

await main()
