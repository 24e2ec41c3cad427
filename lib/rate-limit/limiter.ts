import { createHash } from 'node:crypto'
import { AuthError, UsageError, type AuthErrorCode } from '../errors.js'
import type { AuthEvents, EventHub } from '../events.js'
import type { RateLimitStore } from '../rate-limit-types.js'
import { Breaker } from './breaker.js'
import { MemoryRateLimitStore } from './memory-store.js'
import { addressKey } from './client-address.js'
import type { RateLimitSettings } from './settings.js'

/** What a per-address limit applies to: `'sign-in'`, `'sign-up'`, `'refresh'`, or a plugin's `'<plugin>:<scope>'`. */
export type LimitScope = string

const DAY = 86_400

/** Failures in a row after which a counter store is skipped for a cooldown (one failure is a blip). */
const STORE_FAILURES_TO_OPEN = 3
/** How long an open breaker skips the store before one request probes it. */
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

/** A store with the breaker that guards it and, for fail-open, where counting goes while it is down. */
interface Guarded {
  readonly store: RateLimitStore
  readonly breaker: Breaker
  readonly local: MemoryRateLimitStore
}

/** One request's view of the stores (by their breakers): those that failed it are not asked again within it. */
interface RequestScope {
  readonly failed: Set<Breaker>
}

/**
 * The limiter's checks as one request makes them (from {@link Limiter.begin}).
 * When a store fails during the request, the request's later checks do not
 * wait on that store again.
 */
export interface RequestLimits {
  /** Counts a request from `address` against the scope's limit; throws `ERR_AUTH_RATE_LIMITED` past it. */
  address(scope: LimitScope, address: string | undefined): Promise<void>
  /**
   * Counts a request about `subject` (a recipient's email key, a user id)
   * against the scope's limit, in the account budget; throws
   * `ERR_AUTH_RATE_LIMITED` past it. The subject is stored only as a hash.
   * With `always`, it counts even when rate limiting is disabled: a bound
   * that is part of a security guarantee (attempts at a short code).
   */
  subject(scope: LimitScope, subject: string, always?: boolean): Promise<void>
  /** Starts a subject's window for the scope over (a new code was issued: its attempts count from zero). */
  resetSubject(scope: LimitScope, subject: string): Promise<void>
  /** Before a password is checked: refuses a locked or delayed account, and counts the attempt. */
  beforeAttempt(emailKey: string): Promise<void>
  /** After a failed check: counts the failure, starts the next delay, and locks the account at the limit. */
  afterFailure(emailKey: string, userId: string | undefined): Promise<void>
  /** After a successful check: the account's counters start over. */
  afterSuccess(emailKey: string): Promise<void>
  /** Clears an account's lock, delay and counters. */
  unlock(emailKey: string): Promise<void>
}

/** Account counters are keyed by a hash of the canonical email: no address is stored, every key has one length. */
const accountKey = (emailKey: string) => createHash('sha256').update(emailKey).digest('base64url')

/** A plugin's per-subject window: the scope and a hash of the subject. */
const subjectKey = (scope: LimitScope, subject: string) => `sub:${scope}:${accountKey(subject)}`

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
    this.#address = guarded(stores.address)
    // One store serving both budgets has one breaker, but fail-open still
    // counts the two budgets apart in memory.
    this.#account = stores.account === stores.address
      ? { ...this.#address, local: new MemoryRateLimitStore() }
      : guarded(stores.account)
    this.#now = now
    this.#events = events
  }

  /** The checks of one request (a sign-in makes several; a failing store costs it one wait, not one per check). */
  begin(): RequestLimits {
    const scope: RequestScope = { failed: new Set() }
    return {
      address: (limit, address) => this.#addressCheck(scope, limit, address),
      subject: (limit, subject, always) => this.#subjectCheck(scope, limit, subject, always === true),
      resetSubject: (limit, subject) => this.#guard(scope, this.#account, (store) => store.reset(subjectKey(limit, subject))),
      beforeAttempt: (emailKey) => this.#beforeAttempt(scope, emailKey),
      afterFailure: (emailKey, userId) => this.#afterFailure(scope, emailKey, userId),
      afterSuccess: (emailKey) => (this.#settings.enabled ? this.#unlock(scope, emailKey) : Promise.resolve()),
      unlock: (emailKey) => this.#unlock(scope, emailKey),
    }
  }

  /**
   * Runs `work` on a store. When the store fails (or is skipped: its breaker
   * is open, or it failed earlier in this request), fail closed refuses with
   * `ERR_AUTH_RATE_LIMIT_UNAVAILABLE`; fail open runs `work` on this
   * process's own memory instead, so the limits still hold per instance
   * while the shared store is down.
   */
  async #guard<T>(scope: RequestScope, guarded: Guarded, work: (store: RateLimitStore) => Promise<T>): Promise<T> {
    const ticket = scope.failed.has(guarded.breaker) ? undefined : guarded.breaker.allow()
    let cause: unknown = new Error('the rate-limit store is failing; skipped without asking it')
    if (ticket !== undefined) {
      try {
        const result = await work(guarded.store)
        guarded.breaker.report(ticket, true)
        return result
      } catch (err) {
        guarded.breaker.report(ticket, false)
        scope.failed.add(guarded.breaker)
        cause = err
        if (this.#settings.failMode === 'open') this.#events.report('rate-limit', err)
      }
    }
    if (this.#settings.failMode === 'open') return work(guarded.local)
    throw new AuthError('ERR_AUTH_RATE_LIMIT_UNAVAILABLE', undefined, { cause })
  }

  #refuse(code: AuthErrorCode, resetAt: number, scope: 'account' | LimitScope): never {
    const retryAfter = Math.max(1, Math.ceil((resetAt - this.#now()) / 1000))
    this.#events.emit('rate-limit:exceeded', { scope, retryAfter })
    throw new AuthError(code, undefined, { details: { retryAfter } })
  }

  async #addressCheck(request: RequestScope, scope: LimitScope, address: string | undefined): Promise<void> {
    const key = addressKey(address)
    if (!this.#settings.enabled || key === undefined) return
    const settings = this.#settings.address[scope]
    if (settings === undefined) throw new UsageError(`unknown rate-limit scope '${scope}'`)
    const { limit, window } = settings
    const state = await this.#guard(request, this.#address, (store) => store.hit(`ip:${scope}:${key}`, window, this.#now()))
    if (state.count > limit) this.#refuse('ERR_AUTH_RATE_LIMITED', state.resetAt, scope)
  }

  async #subjectCheck(request: RequestScope, scope: LimitScope, subject: string, always: boolean): Promise<void> {
    if (!this.#settings.enabled && !always) return
    const settings = this.#settings.address[scope]
    if (settings === undefined) throw new UsageError(`unknown rate-limit scope '${scope}'`)
    const { limit, window } = settings
    // The account budget: a flood of client addresses cannot push these windows out.
    const state = await this.#guard(request, this.#account, (store) => store.hit(subjectKey(scope, subject), window, this.#now()))
    if (state.count > limit) this.#refuse('ERR_AUTH_RATE_LIMITED', state.resetAt, scope)
  }

  // Counted before hashing, so parallel guesses cannot outrun the lock.
  async #beforeAttempt(request: RequestScope, emailKey: string): Promise<void> {
    if (!this.#settings.enabled) return
    const key = accountKey(emailKey)
    const now = this.#now()
    const { lockAfter, window, dailyFailures } = this.#settings.account
    const [daily, wait] = await this.#guard(request, this.#account, (store) =>
      Promise.all([store.peek(`acct-day:${key}`, now), store.peek(`acct-wait:${key}`, now)]),
    )
    if (daily && daily.count >= dailyFailures) this.#refuse('ERR_AUTH_ACCOUNT_LOCKED', daily.resetAt, 'account')
    if (wait) this.#refuse('ERR_AUTH_THROTTLED', wait.resetAt, 'account')
    const attempts = await this.#guard(request, this.#account, (store) => store.hit(`acct:${key}`, window, now))
    if (attempts.count > lockAfter) this.#refuse('ERR_AUTH_ACCOUNT_LOCKED', attempts.resetAt, 'account')
  }

  async #afterFailure(request: RequestScope, emailKey: string, userId: string | undefined): Promise<void> {
    if (!this.#settings.enabled) return
    const key = accountKey(emailKey)
    const now = this.#now()
    const { freeAttempts, lockAfter, window, delay, maxDelay } = this.#settings.account
    await this.#guard(request, this.#account, async (store) => {
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
    })
  }

  async #unlock(request: RequestScope, emailKey: string): Promise<void> {
    const key = accountKey(emailKey)
    await this.#guard(request, this.#account, (store) =>
      Promise.all(['acct', 'acct-day', 'acct-wait'].map((prefix) => store.reset(`${prefix}:${key}`))),
    )
  }
}

function guarded(store: RateLimitStore): Guarded {
  // Real time, not the app's clock: the cooldown is about a server's timeouts.
  const breaker = new Breaker(STORE_FAILURES_TO_OPEN, STORE_COOLDOWN_MS, () => performance.now())
  return { store, breaker, local: new MemoryRateLimitStore() }
}
