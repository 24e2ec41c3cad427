// Caller misuse, wherever it happens (the core, a plugin factory, a mailer, a
// store), is one error: a UsageError, which is a TypeError (so
// `instanceof TypeError` checks keep working) with the code ERR_AUTH_USAGE.
// Configuration stays an AuthError: bad AuthCore options are one
// ERR_AUTH_OPTIONS_INVALID reported together, an incomplete storage plugin
// ERR_AUTH_STORAGE_INCOMPLETE.
import t, { type Test } from 'tap'
import {
  AuthCore, AuthError, isAuthError, MemoryRateLimitStore, optionsCheck, registerErrorCodes, REQUIRED_STORAGE_OPERATIONS, UsageError,
  type StoragePlugin,
} from '../lib/index.js'
import { requireAuth, toNodeHandler } from '../plugins/adapters/node.js'
import { consoleMailer } from '../plugins/mailer/console.js'
import { smtpMailer } from '../plugins/mailer/smtp/index.js'
import { redisRateLimitStore } from '../plugins/rate-limit/redis.js'
import { memoryMailer, runRateLimitStoreConformance } from '../plugins/testing/index.js'
import { newSecret } from './helpers/keys.js'

const auth = new AuthCore({ secret: newSecret() })
const handler = async () => ({ ok: true })

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  return undefined
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined, (err: unknown) => err)
}

function isUsage(t: Test, err: unknown, what: string): void {
  t.ok(err instanceof TypeError, `${what}: a TypeError`)
  t.ok(err instanceof UsageError, `${what}: a UsageError`)
  t.equal((err as { code?: unknown } | undefined)?.code, 'ERR_AUTH_USAGE', `${what}: code ERR_AUTH_USAGE`)
  t.notOk(isAuthError(err), `${what}: not an AuthError`)
}

t.test('misuse throws a UsageError: a TypeError with the code ERR_AUTH_USAGE', async (t) => {
  const misuses: [string, () => unknown][] = [
    ['new AuthCore(null)', () => new AuthCore(null as never)],
    ["auth.hook('nope', fn)", () => auth.hook('nope' as never, () => undefined)],
    ["auth.on('user:created', 'not a function')", () => auth.on('user:created', 'nope' as never)],
    ['a plugin route with an unknown method', () => new AuthCore({ secret: newSecret(), plugins: [{ name: 'p', routes: [{ method: 'TRACE' as never, path: '/a', handler }] }] })],
    ['a plugin named with capitals', () => new AuthCore({ secret: newSecret(), plugins: [{ name: 'Bad' }] })],
    ['registerErrorCodes with a bad code', () => registerErrorCodes('p', { BAD: { status: 400, message: 'm', description: 'd' } })],
    ['new AuthError with an unknown code', () => new AuthError('ERR_NOBODY_DECLARED' as never)],
    ['an adapter factory without AuthCore', () => toNodeHandler({} as never)],
    ['an adapter factory with a bad option', () => toNodeHandler(auth, { trustProxy: 'yes' } as never)],
    ['a guard with an empty role list', () => requireAuth(auth, { roles: [] })],
    ['smtpMailer with an http url', () => smtpMailer({ url: 'http://smtp.example.com', from: 'no-reply@example.com' })],
    ['smtpMailer with an unknown option', () => smtpMailer({ url: 'smtp://smtp.example.com', from: 'no-reply@example.com', secure: true } as never)],
    ['consoleMailer with a writer that cannot write', () => consoleMailer({ writer: {} as never })],
    ['memoryMailer with a bad clock', () => memoryMailer({ now: 5 } as never)],
    ['redisRateLimitStore with a zero timeout', () => redisRateLimitStore({ url: 'redis://127.0.0.1:1' }, { timeout: 0 })],
    ['MemoryRateLimitStore with maxKeys 0', () => new MemoryRateLimitStore({ maxKeys: 0 })],
    ['a conformance kit without create', () => runRateLimitStoreConformance(t, { name: 'x' } as never)],
    ['optionsCheck with a schema that does not compile', () => optionsCheck({ type: 'object', bogus: 1 }, 'p')],
  ]
  for (const [what, fn] of misuses) isUsage(t, thrown(fn), what)

  isUsage(t, await rejection(auth.verify(123 as never)), 'auth.verify(123)')
  isUsage(t, await rejection(auth.authenticate(42 as never)), 'auth.authenticate(42)')
  isUsage(t, await rejection(memoryMailer().send({ to: 'ada@example.com\r\nBcc: eve@example.org' } as never)), 'a mail message with a CRLF')
  isUsage(t, await rejection(new MemoryRateLimitStore().hit(42 as never, 60, Date.now())), 'a counter hit without a key')
})

t.test('bad AuthCore options are still one ERR_AUTH_OPTIONS_INVALID, not a UsageError', async (t) => {
  const err = thrown(() => new AuthCore({ secret: 'short' }))
  t.ok(isAuthError(err, 'ERR_AUTH_OPTIONS_INVALID'))
  t.notOk(err instanceof TypeError)
})

t.test('counters in storage without a required operation: ERR_AUTH_STORAGE_INCOMPLETE at ready(), naming it', async (t) => {
  const stub = Object.fromEntries(REQUIRED_STORAGE_OPERATIONS.map((op) => [op, async () => undefined]))
  const counters = { hit: async () => ({ count: 1, resetAt: 0 }), reset: async () => undefined }
  const storage = { ...stub, name: 'stub', rateLimits: counters } as unknown as StoragePlugin
  const auth = new AuthCore({ secret: newSecret(), storage, rateLimit: { store: 'storage' } })
  const err = await rejection(auth.ready())
  t.ok(isAuthError(err, 'ERR_AUTH_STORAGE_INCOMPLETE'), 'a configuration error, not misuse')
  t.match((err as Error).message, /'stub' does not implement: rateLimits\.peek$/)
  await auth.close()
})

t.test('a UsageError reads as a TypeError', async (t) => {
  const err = new UsageError('misused')
  t.equal(err.name, 'TypeError', 'its name, so logs and `{ name: "TypeError" }` matches still read the same')
  t.equal(err.message, 'misused')
  t.match(String(err.stack), /^TypeError: misused/)
})
