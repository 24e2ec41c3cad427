import { fork, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'
import t from 'tap'
import pg from 'pg'
import { serverReachable, tablePrefix } from './helpers/storage-servers.js'

const PG_URL = process.env.AUTHCORE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const REDIS_URL = process.env.AUTHCORE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'
const pass = 'a long enough passphrase'
const LOCK = { AC_LOCK_AFTER: '6' }

/** A child AuthCore process and a promise-based call into it. */
function instance(env: Record<string, string>) {
  const child: ChildProcess = fork(new URL('./fixtures/instance.ts', import.meta.url), {
    execArgv: ['--import=tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  let next = 0
  const waiting = new Map<number, (reply: { ok: boolean; value?: unknown; code?: string }) => void>()
  child.on('message', (reply: { id: number; ok: boolean }) => waiting.get(reply.id)?.(reply))
  const call = (op: string, ...args: unknown[]) =>
    new Promise<{ ok: boolean; value?: unknown; code?: string }>((resolve, reject) => {
      const id = next++
      const timer = setTimeout(() => reject(new Error(`${op} timed out`)), 15_000)
      waiting.set(id, (reply) => (clearTimeout(timer), resolve(reply)))
      child.send({ id, op, args })
    })
  /** Closes AuthCore in the child, then makes sure the process is gone. */
  const stop = async () => {
    if (child.connected) await call('close').catch(() => undefined)
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }
  }
  return { child, call, stop }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

async function dropTables(prefix: string) {
  const client = new pg.Client({ connectionString: PG_URL })
  await client.connect()
  for (const table of ['rl', 'sessions', 'users', 'mig', 'ott', 'cred']) await client.query(`DROP TABLE IF EXISTS ${prefix}_${table}`)
  await client.end()
}

t.test('two processes sharing PostgreSQL and Redis act as one', async (t) => {
  const pgUp = await serverReachable(t, 'PostgreSQL', PG_URL, async () => {
    const c = new pg.Client({ connectionString: PG_URL })
    await c.connect()
    await c.end()
  })
  if (!pgUp) return
  const prefix = tablePrefix()
  const env = { AC_SECRET: randomBytes(32).toString('base64url'), AC_PG_URL: PG_URL, AC_REDIS_URL: REDIS_URL, AC_PREFIX: prefix, ...LOCK }
  const a = instance(env)
  const b = instance(env)
  t.teardown(async () => {
    await Promise.all([a.stop(), b.stop()])
    await dropTables(prefix)
  })
  // Migrations from two processes at once must both succeed.
  const [readyA, readyB] = await Promise.all([a.call('ready'), b.call('ready')])
  t.ok(readyA.ok && readyB.ok, `both ready (${readyA.code ?? ''} ${readyB.code ?? ''})`)

  const created = await a.call('signUp', { email: 'Shared@Example.com', name: 'Shared', pass })
  t.ok(created.ok, 'signed up on A')
  const signedIn = await b.call('signIn', { email: 'shared@example.com', pass })
  t.ok(signedIn.ok, 'signs in on B')
  t.equal((signedIn.value as { id: string }).id, (created.value as { id: string }).id)

  // Six failures alternating between the instances (three each) make one lockout on both.
  for (let i = 0; i < 6; i++) {
    const reply = await (i % 2 ? b : a).call('signIn', { email: 'shared@example.com', pass: `wrong ${i}` }, { clientAddress: `192.0.2.${i}` })
    t.equal(reply.code, 'ERR_AUTH_INVALID_CREDENTIALS', `failure ${i + 1} on ${i % 2 ? 'B' : 'A'}`)
  }
  t.equal((await a.call('signIn', { email: 'shared@example.com', pass })).code, 'ERR_AUTH_ACCOUNT_LOCKED', 'A is locked by failures on both')
  t.equal((await b.call('signIn', { email: 'shared@example.com', pass })).code, 'ERR_AUTH_ACCOUNT_LOCKED', 'and so is B')
})

t.test('Redis going down mid-run: a clear error, closed by default, no crash', async (t) => {
  const pgUp = await serverReachable(t, 'PostgreSQL', PG_URL, async () => {
    const c = new pg.Client({ connectionString: PG_URL })
    await c.connect()
    await c.end()
  })
  if (!pgUp) return
  // A Redis of this test's own, so stopping it disturbs nobody else.
  const port = await freePort()
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  t.teardown(() => void redis.kill('SIGKILL'))
  await new Promise((resolve) => setTimeout(resolve, 300))
  const prefix = tablePrefix()
  const one = instance({
    AC_SECRET: randomBytes(32).toString('base64url'), AC_PG_URL: PG_URL, AC_REDIS_URL: `redis://127.0.0.1:${port}`, AC_PREFIX: prefix,
  })
  t.teardown(async () => {
    await one.stop()
    await dropTables(prefix)
  })
  t.ok((await one.call('ready')).ok)
  t.ok((await one.call('signUp', { email: 'r@example.com', name: 'R', pass })).ok, 'works while Redis is up')
  t.ok((await one.call('signIn', { email: 'r@example.com', pass })).ok)

  redis.kill('SIGKILL')
  await new Promise((resolve) => redis.once('exit', resolve))
  const started = Date.now()
  const down = await one.call('signIn', { email: 'r@example.com', pass })
  t.equal(down.code, 'ERR_AUTH_RATE_LIMIT_UNAVAILABLE', 'refused with its own code (fail closed)')
  t.ok(Date.now() - started < 10_000, 'promptly, not after an endless retry')
  t.ok(one.child.connected && one.child.exitCode === null, 'the process is still alive')
  t.equal((await one.call('signIn', { email: 'r@example.com', pass })).code, 'ERR_AUTH_RATE_LIMIT_UNAVAILABLE', 'and keeps answering')
})
