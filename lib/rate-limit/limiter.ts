import { createHash } from 'node:crypto'
import { AuthError, type AuthErrorCode } from '../errors.js'
import type { AuthEvents, EventHub } from '../events.js'
import type { RateLimitStore } from '../rate-limit-types.js'
import { Breaker } from './breaker.js'
import { addressKey } from './client-address.js'
import type { RateLimitSettings } from './settings.js'

/** What a limit applies to. */
export type LimitScope = 'sign-in' | 'sign-up' | 'refresh'

const DAY = 86_400

/** How long a failing counter store is skipped (failing fast) before it is tried again. */
const STORE_COOLDOWN_MS = 5_000

/**
 * Where the limiter keeps its counters: per-address windows and per-account
 * ones. Two budgets, so a flood of addresses (cheap to come by in IPv6)
 * cannot push out an account's lockout. The same store may serve both.
 */
export interface LimiterStores {
  readonly address: RateLimitStore
  readonly account: RateLimitStore
}

/** A store with the breaker that guards it. */
interface Guarded {
  readonly store: RateLimitStore
  readonly breaker: Breaker
}

/** Account counters are keyed by a hash of the canonical email: no address is stored, every key has one length. */
const accountKey = (emailKey: string) => createHash('sha256').update(emailKey).digest('base64url')

/**
 * Per-address limits and per-account throttling with progressive delay and
 * lockout, over any {@link RateLimitStore}. Every check happens before a
 * password is hashed, and an unknown email is counted exactly like a known
 * one, so neither the cost nor the answer says whether an account exists.
 */
export class Limiter {
  readonly #settings: RateLimitSettings
  readonly #address: Guarded
  readonly #account: Guarded
  readonly #now: () => number
  readonly #events: EventHub<AuthEvents>

  constructor(settings: RateLimitSettings, stores: LimiterStores, now: () => number, events: EventHub<AuthEvents>) {
    this.#settings = settings
    // Real time, not the app's clock: the cooldown is about a server's timeouts.
    const clock = () => performance.now()
    this.#address = { store: stores.address, breaker: new Breaker(STORE_COOLDOWN_MS, clock) }
    this.#account = stores.account === stores.address
      ? this.#address
      : { store: stores.account, breaker: new Breaker(STORE_COOLDOWN_MS, clock) }
    this.#now = now
    this.#events = events
  }

  /**
   * Runs a store call; when the store fails, refuses (fail closed) or lets
   * the request through (fail open). After one failure the store is not
   * asked again for a cooldown: later calls, in this request or others,
   * take the same outcome at once instead of each waiting for a timeout.
   */
  async #guard<T>({ store, breaker }: Guarded, work: (store: RateLimitStore) => Promise<T>, fallback: T): Promise<T> {
    let cause: unknown = new Error('the rate-limit store failed just before; not asked again during its cooldown')
    if (breaker.allow()) {
      try {
        const result = await work(store)
        breaker.succeeded()
        return result
      } catch (err) {
        breaker.failed()
        cause = err
        if (this.#settings.failMode === 'open') this.#events.report('rate-limit', err)
      }
    }
    if (this.#settings.failMode === 'open') return fallback
    throw new AuthError('ERR_AUTH_RATE_LIMIT_UNAVAILABLE', undefined, { cause })
  }

  #refuse(code: AuthErrorCode, resetAt: number, scope: 'account' | LimitScope): never {
    const retryAfter = Math.max(1, Math.ceil((resetAt - this.#now()) / 1000))
    this.#events.emit('rate-limit:exceeded', { scope, retryAfter })
    throw new AuthError(code, undefined, { details: { retryAfter } })
  }

  /** Counts a request from `address` against the scope's limit; throws `ERR_AUTH_RATE_LIMITED` past it. */
  async address(scope: LimitScope, address: string | undefined): Promise<void> {
    const key = addressKey(address)
    if (!this.#settings.enabled || key === undefined) return
    const { limit, window } = this.#settings.address[scope]
    const state = await this.#guard(this.#address, (store) => store.hit(`ip:${scope}:${key}`, window, this.#now()), undefined)
    if (state && state.count > limit) this.#refuse('ERR_AUTH_RATE_LIMITED', state.resetAt, scope)
  }

  /**
   * Before a password is checked: refuses a locked or delayed account, and
   * counts the attempt (counted before hashing, so parallel guesses cannot
   * outrun the lock).
   */
  async beforeAttempt(emailKey: string): Promise<void> {
    if (!this.#settings.enabled) return
    const key = accountKey(emailKey)
    const now = this.#now()
    const { lockAfter, window, dailyFailures } = this.#settings.account
    const [daily, wait] = await this.#guard(
      this.#account,
      (store) => Promise.all([store.peek(`acct-day:${key}`, now), store.peek(`acct-wait:${key}`, now)]),
      [undefined, undefined],
    )
    if (daily && daily.count >= dailyFailures) this.#refuse('ERR_AUTH_ACCOUNT_LOCKED', daily.resetAt, 'account')
    if (wait) this.#refuse('ERR_AUTH_THROTTLED', wait.resetAt, 'account')
    const attempts = await this.#guard(this.#account, (store) => store.hit(`acct:${key}`, window, now), undefined)
    if (attempts && attempts.count > lockAfter) this.#refuse('ERR_AUTH_ACCOUNT_LOCKED', attempts.resetAt, 'account')
  }

  /** After a failed check: counts the failure, starts the next delay, and locks the account at the limit. */
  async afterFailure(emailKey: string, userId: string | undefined): Promise<void> {
    if (!this.#settings.enabled) return
    const key = accountKey(emailKey)
    const now = this.#now()
    const { freeAttempts, lockAfter, window, delay, maxDelay } = this.#settings.account
    await this.#guard(this.#account, async (store) => {
      const daily = await store.hit(`acct-day:${key}`, DAY, now)
      const attempts = await store.peek(`acct:${key}`, now)
      const count = attempts?.count ?? 0
      const lockedUntil = count >= lockAfter ? attempts!.resetAt : daily.count >= this.#settings.account.dailyFailures ? daily.resetAt : undefined
      if (lockedUntil !== undefined) {
        this.#events.emit('user:locked', { email: emailKey, until: new Date(lockedUntil).toISOString(), ...(userId !== undefined && { userId }) })
      } else if (count >= freeAttempts) {
        const seconds = Math.min(delay * 2 ** (count - freeAttempts), maxDelay)
        await store.reset(`acct-wait:${key}`)
        await store.hit(`acct-wait:${key}`, Math.max(1, Math.min(seconds, window)), now)
      }
    }, undefined)
  }

  /** After a successful sign-in: the account's counters start over. */
  async afterSuccess(emailKey: string): Promise<void> {
    if (!this.#settings.enabled) return
    await this.unlock(emailKey)
  }

  /** Clears an account's lock, delay and counters. */
  async unlock(emailKey: string): Promise<void> {
    const key = accountKey(emailKey)
    await this.#guard(
      this.#account,
      (store) => Promise.all(['acct', 'acct-day', 'acct-wait'].map((prefix) => store.reset(`${prefix}:${key}`))),
      [],
    )
  }
}
