import { AuthError } from '../errors.js'
import type { Duration } from '../duration.js'
import { toSeconds } from '../duration.js'
import type { RateLimitStore } from '../rate-limit-types.js'

/** A limit per client address: at most `limit` requests per `window`. */
export interface AddressLimit {
  limit?: number
  window?: Duration
}

/** The `rateLimit` option. Every number has a documented default (docs/abuse.md). */
export interface RateLimitOptions {
  /** Set false to turn every limit off (not recommended outside tests). Default true. */
  enabled?: boolean
  /**
   * Where counters live: `'memory'` (this process only; the default),
   * `'storage'` (the storage plugin's own table, shared by every instance on
   * that database), or a {@link RateLimitStore} such as `authcore/rate-limit/redis`.
   * In memory, per-address and per-account windows get separate bounded
   * budgets; a `MemoryRateLimitStore` you pass (to set `maxKeys`) holds the
   * address windows and a second of its size is made for accounts. A store
   * you pass is yours: `auth.close()` leaves it open.
   */
  store?: 'memory' | 'storage' | RateLimitStore
  /**
   * When the counter store fails: `'closed'` refuses the request (default);
   * `'open'` lets it through, counting in this process's memory until the
   * store answers again. Either way a failing store costs a request at most
   * one wait, and after three failures in a row it is skipped for 5 seconds.
   */
  failMode?: 'closed' | 'open'
  /** Per address: sign-in attempts. Default 20 per minute. */
  signIn?: AddressLimit
  /** Per address: sign-ups. Default 10 per 10 minutes. */
  signUp?: AddressLimit
  /** Per address: refreshes. Default 60 per minute. */
  refresh?: AddressLimit
  /**
   * Per address, for the scopes plugins declare, by full name
   * (`'<plugin>:<scope>'`); each plugin documents its defaults. Naming a
   * scope no configured plugin declares is an options error.
   */
  scopes?: Record<string, AddressLimit>
  /** Per account (by canonical email, whether or not it exists). */
  account?: {
    /** Attempts in a window before delays start. Default 5. */
    freeAttempts?: number
    /** Attempts in a window after which the account is locked until the window ends. Default 10. */
    lockAfter?: number
    /** The window, which is also the longest a lockout lasts. Default 15 minutes. */
    window?: Duration
    /** First delay after the free attempts; it doubles with each failure. Default 1 second. */
    delay?: Duration
    /** Longest delay. Default 1 minute. */
    maxDelay?: Duration
    /** Failures in 24 hours after which the account locks for the rest of that day (NIST's outer bound). Default 100, at most 100. */
    dailyFailures?: number
  }
}

/** Settings with defaults applied, durations in seconds. */
export interface RateLimitSettings {
  readonly enabled: boolean
  readonly failMode: 'closed' | 'open'
  /** Per-address limits by scope: the core's `sign-in`, `sign-up`, `refresh`, and each plugin's `<plugin>:<scope>`. */
  readonly address: Readonly<Record<string, { limit: number; window: number }>>
  readonly account: {
    readonly freeAttempts: number
    readonly lockAfter: number
    readonly window: number
    readonly delay: number
    readonly maxDelay: number
    readonly dailyFailures: number
  }
}

const limit = (given: AddressLimit | undefined, limitDefault: number, windowDefault: number) =>
  Object.freeze({ limit: given?.limit ?? limitDefault, window: toSeconds(given?.window ?? windowDefault) })

/** Applies the defaults. */
export function resolveRateLimit(options: RateLimitOptions = {}): RateLimitSettings {
  const account = options.account ?? {}
  return Object.freeze({
    enabled: options.enabled ?? true,
    failMode: options.failMode ?? 'closed',
    address: Object.freeze({
      'sign-in': limit(options.signIn, 20, 60),
      'sign-up': limit(options.signUp, 10, 600),
      refresh: limit(options.refresh, 60, 60),
    }),
    account: Object.freeze({
      freeAttempts: account.freeAttempts ?? 5,
      lockAfter: account.lockAfter ?? 10,
      window: toSeconds(account.window ?? 900),
      delay: toSeconds(account.delay ?? 1),
      maxDelay: toSeconds(account.maxDelay ?? 60),
      dailyFailures: account.dailyFailures ?? 100,
    }),
  })
}

/**
 * Adds the plugins' declared scopes to `settings`, each at its default unless
 * `tuned` (the `rateLimit.scopes` option) sets it.
 * @throws AuthError `ERR_AUTH_OPTIONS_INVALID` when `tuned` names a scope no plugin declares.
 */
export function withPluginScopes(
  settings: RateLimitSettings,
  tuned: Readonly<Record<string, AddressLimit>> | undefined,
  declared: ReadonlyMap<string, { readonly limit: number; readonly window: number }>,
): RateLimitSettings {
  const unknown = Object.keys(tuned ?? {}).filter((name) => !declared.has(name))
  if (unknown.length > 0) {
    const known = [...declared.keys()].join(', ') || 'none'
    throw new AuthError('ERR_AUTH_OPTIONS_INVALID', `rateLimit.scopes names ${unknown.map((n) => `'${n}'`).join(', ')}, which no plugin declares (declared: ${known})`)
  }
  if (declared.size === 0) return settings
  const address: Record<string, { limit: number; window: number }> = { ...settings.address }
  for (const [name, scope] of declared) address[name] = limit(tuned?.[name], scope.limit, scope.window)
  return Object.freeze({ ...settings, address: Object.freeze(address) })
}
