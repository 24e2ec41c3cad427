/**
 * `authcore/rate-limit/redis`: rate-limit counters in Redis, shared by every
 * instance that points at the same server.
 *
 * Each counter is one Redis key (`prefix + key`) holding the count, with the
 * window as the key's expiry. A hit is one Lua script (EVALSHA, falling back
 * to EVAL): `INCR`, then `PEXPIRE` only when the key has no expiry yet (it is
 * new), returning the count and `PTTL`. Redis runs a script atomically, so
 * there is no moment between INCR and PEXPIRE where another client, or a
 * crash, could leave a counter without a window. Keys travel as `KEYS[1]`,
 * never inside the script text, so any bytes are safe in a key.
 *
 * Redis keeps the time: windows end by Redis's clock, and `resetAt` is
 * reported as `now + PTTL`.
 *
 * Requires `ioredis` 5 (an optional peer dependency) when given a `url`;
 * a client you pass in may be any ioredis-compatible client.
 *
 * @module
 */
import { createHash } from 'node:crypto'
import {
  AuthError, optionsCheck, toAuthError, UsageError, type BackendFailure, type CounterState, type RateLimitStore,
} from '../../lib/index.js'
import { checkKey, checkNow, checkWindow } from './arguments.js'

export type { CounterState, RateLimitStore } from '../../lib/index.js'

/**
 * The members of a Redis client the store uses; an ioredis `Redis` (or
 * `Cluster`) instance satisfies it.
 */
export interface RedisClientLike {
  /** `EVALSHA sha numkeys key... arg...` */
  evalsha(sha: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>
  /** `EVAL script numkeys key... arg...` */
  eval(script: string, numKeys: number, ...keysAndArgs: (string | number)[]): Promise<unknown>
  /** `DEL key` */
  del(key: string): Promise<unknown>
  /** Closes the connection gracefully (only called on clients the store created). */
  quit(): Promise<unknown>
  /** Closes the connection at once (only called on clients the store created). */
  disconnect(): void
  /** ioredis's connection status (`'wait'`, `'ready'`, `'end'`, ...). */
  readonly status?: string
}

/** Where the store's Redis is: a client you manage, or a URL the store connects to itself. */
export type RedisConnection =
  /**
   * A client you created and own: the store never closes it, and leaves its
   * event listeners alone (give it an `'error'` listener of your own). Set
   * `commandTimeout` and `maxRetriesPerRequest` on it so a down server
   * answers fast; the store's own `timeout` bounds every call regardless.
   */
  | { readonly client: RedisClientLike }
  /**
   * `redis://[:password@]host:6379[/db]` or `rediss://...`: the store creates
   * an ioredis client on first use (lazily: constructing the store opens no
   * connection) and quits it on `close()`.
   */
  | { readonly url: string }

/** Options of {@link redisRateLimitStore}. */
export interface RedisRateLimitStoreOptions {
  /** Prepended to every key, to share a Redis with other data. Default `'authcore:rl:'`. */
  prefix?: string
  /**
   * Milliseconds to wait for Redis before a call rejects with
   * `ERR_AUTH_STORAGE_UNAVAILABLE`. Also the `commandTimeout` and
   * `connectTimeout` of a client the store creates. Default 2000.
   */
  timeout?: number
}

/** A {@link RateLimitStore} in Redis; `close()` quits the client only if the store created it. */
export interface RedisRateLimitStore extends RateLimitStore {
  /** The key prefix in use. */
  readonly prefix: string
  /** Quits a client the store created (a client you passed in stays open); later calls reject. */
  close(): Promise<void>
}

// INCR keeps an existing expiry; a key without one (new, or written by
// someone else without a TTL) gets the window now, in the same script.
const HIT_SCRIPT = `local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}`

const PEEK_SCRIPT = `local count = redis.call('GET', KEYS[1])
if not count then return false end
return {tonumber(count) or -1, redis.call('PTTL', KEYS[1])}`

const sha1 = (script: string) => createHash('sha1').update(script).digest('hex')
const HIT = { text: HIT_SCRIPT, sha: sha1(HIT_SCRIPT) }
const PEEK = { text: PEEK_SCRIPT, sha: sha1(PEEK_SCRIPT) }

// Replies meaning "Redis cannot serve now" rather than "this command is wrong".
const UNAVAILABLE_REPLY = /^(?:OOM|LOADING|BUSY|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|NOREPLICAS|MISCONF|MOVED|ASK)\b/

const NAME = 'redisRateLimitStore'

const checkOptions = optionsCheck({
  type: 'object',
  additionalProperties: false,
  properties: {
    prefix: { type: 'string' },
    timeout: { type: 'integer', minimum: 1, description: 'a positive whole number of milliseconds' },
  },
}, NAME)

/**
 * Creates a Redis-backed counter store. Options are checked now; the
 * connection (for a `url`) is opened on first use.
 *
 * Every failure of Redis (down, refusing connections, timing out, the
 * connection closed) rejects with `ERR_AUTH_STORAGE_UNAVAILABLE` whose
 * `cause` is the client's error; an error reply to the script itself
 * (a key holding a non-counter value, say) is `ERR_AUTH_STORAGE_FAILED`.
 *
 * @example
 * ```ts
 * import { redisRateLimitStore } from 'authcore/rate-limit/redis'
 * const counters = redisRateLimitStore({ url: process.env.REDIS_URL! }, { prefix: 'myapp:rl:' })
 * ```
 * @throws UsageError when the connection or options are not valid.
 */
export function redisRateLimitStore(connection: RedisConnection, options: RedisRateLimitStoreOptions = {}): RedisRateLimitStore {
  if (connection === null || typeof connection !== 'object') throw new UsageError(`${NAME}: pass { client } or { url }`)
  checkOptions(options)
  const { prefix = 'authcore:rl:', timeout = 2000 } = options
  const given = connection as { client?: unknown; url?: unknown }
  if ((given.client === undefined) === (given.url === undefined)) throw new UsageError(`${NAME}: pass exactly one of client and url`)
  if (given.client !== undefined) {
    const client = given.client as Partial<RedisClientLike> | null
    if (client === null || typeof client !== 'object' || typeof client.evalsha !== 'function' || typeof client.eval !== 'function' ||
      typeof client.del !== 'function') {
      throw new UsageError(`${NAME}: client must be an ioredis-compatible client (evalsha, eval, del)`)
    }
    return Object.freeze(new RedisStore(() => Promise.resolve(client as RedisClientLike), false, prefix, timeout))
  }
  const url = given.url
  if (typeof url !== 'string' || !/^rediss?:\/\/./.test(url)) throw new UsageError(`${NAME}: url must be a redis:// or rediss:// URL`)
  return Object.freeze(new RedisStore(() => createClient(url, timeout), true, prefix, timeout))
}

async function createClient(url: string, timeout: number): Promise<RedisClientLike> {
  const module = (await import('ioredis').catch((cause: unknown) => {
    throw new UsageError(`${NAME}: the ioredis package is needed for a url (npm install ioredis)`, { cause })
  })) as unknown as { default?: unknown; Redis?: unknown }
  const Redis = (module.Redis ?? module.default) as (new (url: string, options: object) => RedisClientLike & {
    on(event: 'error', listener: (err: Error) => void): unknown
  }) | undefined
  if (typeof Redis !== 'function') throw new UsageError(`${NAME}: the installed ioredis module has no Redis class`)
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeout,
    commandTimeout: timeout,
    // A command waits through at most one reconnection attempt, then fails,
    // so a down server answers within about `timeout` instead of queueing forever.
    maxRetriesPerRequest: 1,
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
  })
  // Connection errors are reported on the client as 'error' events; the
  // affected commands reject and are mapped, so the event itself is noise.
  client.on('error', () => {})
  return client
}

class RedisStore implements RedisRateLimitStore {
  readonly prefix: string
  readonly #open: () => Promise<RedisClientLike>
  readonly #owned: boolean
  readonly #timeout: number
  #client: Promise<RedisClientLike> | undefined
  #closed = false
  #closing: Promise<void> | undefined

  constructor(open: () => Promise<RedisClientLike>, owned: boolean, prefix: string, timeout: number) {
    this.prefix = prefix
    this.#open = open
    this.#owned = owned
    this.#timeout = timeout
  }

  async hit(key: string, windowSeconds: number, now: number): Promise<CounterState> {
    checkKey(key, 'hit')
    const windowMs = checkWindow(windowSeconds, 'hit')
    const at = checkNow(now, 'hit')
    const reply = await this.#script(HIT, key, windowMs)
    const [count, ttl] = numbers(reply)
    return { count, resetAt: at + ttl }
  }

  async peek(key: string, now: number): Promise<CounterState | undefined> {
    checkKey(key, 'peek')
    const at = checkNow(now, 'peek')
    const reply = await this.#script(PEEK, key)
    if (reply === null || reply === undefined) return undefined
    const [count, ttl] = numbers(reply)
    // No expiry (a key someone else wrote) or not a counter: no window is open.
    return count < 0 || ttl <= 0 ? undefined : { count, resetAt: at + ttl }
  }

  async reset(key: string): Promise<void> {
    checkKey(key, 'reset')
    await this.#call((client) => client.del(this.prefix + key))
  }

  close(): Promise<void> {
    this.#closed = true
    this.#closing ??= this.#quit()
    return this.#closing
  }

  async #quit(): Promise<void> {
    if (!this.#owned || this.#client === undefined) return
    const client = await this.#client.catch(() => undefined)
    if (client === undefined) return
    try {
      // Never connected (lazy) or already ended: nothing to say goodbye to.
      if (client.status !== 'wait' && client.status !== 'end') await withTimeout(client.quit(), this.#timeout)
    } catch {
      // Best effort: a dead connection is closed enough.
    } finally {
      client.disconnect()
    }
  }

  #script(script: { text: string; sha: string }, key: string, ...args: number[]): Promise<unknown> {
    const fullKey = this.prefix + key
    return this.#call(async (client) => {
      try {
        return await client.evalsha(script.sha, 1, fullKey, ...args)
      } catch (err) {
        // Not cached on this server yet (or flushed): EVAL sends and caches it.
        if (!/^NOSCRIPT\b/.test(messageOf(err))) throw err
        return client.eval(script.text, 1, fullKey, ...args)
      }
    })
  }

  async #call<T>(fn: (client: RedisClientLike) => Promise<T>): Promise<T> {
    if (this.#closed) {
      throw new AuthError('ERR_AUTH_STORAGE_UNAVAILABLE', 'This rate-limit store is closed', { cause: new Error('redis store was closed') })
    }
    try {
      this.#client ??= this.#open()
      const client = await this.#client
      return await withTimeout(fn(client), this.#timeout)
    } catch (err) {
      throw toAuthError(err, classify)
    }
  }
}

// Rejects when `promise` has not settled within `ms`; the timer never keeps the process alive.
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms)
    timer.unref()
    promise.then(
      (value) => { clearTimeout(timer); resolve(value) },
      (err: unknown) => { clearTimeout(timer); reject(err) },
    )
  })
}

// A reply to the command itself (a key holding something else, say) is a
// fault of the data; anything else (refused, timed out, closed, a reply
// meaning "cannot serve now") means Redis is unavailable. UsageErrors (our own
// "ioredis is not installed") pass through toAuthError untouched.
function classify(err: unknown): BackendFailure {
  const isReply = (err as { name?: unknown } | null)?.name === 'ReplyError'
  return isReply && !UNAVAILABLE_REPLY.test(messageOf(err)) ? 'other' : 'unavailable'
}

function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message
  return typeof message === 'string' ? message : ''
}

// The script's [count, ttl] reply.
function numbers(reply: unknown): [number, number] {
  if (!Array.isArray(reply) || reply.length < 2) throw new AuthError('ERR_AUTH_STORAGE_FAILED', 'Redis answered the counter script unexpectedly')
  return [Number(reply[0]), Number(reply[1])]
}
