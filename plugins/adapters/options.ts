/**
 * The checks every adapter factory runs when it is called, so a mistake in
 * wiring surfaces at start-up as a `UsageError` (a `TypeError`) instead of on
 * a request. Options are checked with the public `optionsCheck`.
 */
import { optionsCheck, UsageError, type AuthCore } from '../../lib/index.js'

/**
 * The slice of {@link AuthCore} the adapters use. Any object with these
 * members works, which lets an app wrap AuthCore (to log or meter calls).
 */
export type AdapterAuth = Pick<AuthCore, 'basePath' | 'handle' | 'authenticate'>

/** Options shared by the adapters that serve the routes. */
export interface ServeOptions {
  /**
   * Which socket peers may report the client address in `X-Forwarded-For`.
   * `false` (default): never; the client address is the socket peer.
   * `true`: every peer (only when nothing but your proxy can reach the app).
   * A function: the addresses of your proxies. `X-Forwarded-For` is read
   * from the right (proxies append to it; what is left of the first
   * untrusted hop is whatever the client sent): with `true` the right-most
   * entry is the client; with a function, trusted hops are skipped from the
   * right and the first untrusted one is the client.
   */
  trustProxy?: boolean | ((address: string) => boolean)
}

/** Options for the `requireAuth` guards. */
export interface GuardOptions {
  /**
   * Roles allowed through (compared with the token's `role` claim). When
   * omitted, any valid access token passes.
   */
  roles?: readonly string[]
  /**
   * Also check the token against the user as stored now (token version,
   * disabled, deleted), so a role change, a disable or a revocation shuts the
   * guard at once. Default true; false trusts the token alone until its `exp`.
   */
  strict?: boolean
}

const serveSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    trustProxy: { description: 'a boolean or a function (address) => boolean', anyOf: [{ type: 'boolean' }, { kind: 'function' }] },
  },
} as const

const guardSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // An empty list would lock everyone out, which is never what was meant.
    roles: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 }, description: 'a non-empty array of role names' },
    strict: { type: 'boolean' },
  },
} as const

/** Checks `auth` looks like an AuthCore. */
export function checkAuth(auth: unknown, where: string): asserts auth is AdapterAuth {
  const a = auth as Partial<AdapterAuth> | null | undefined
  if (!a || typeof a.handle !== 'function' || typeof a.authenticate !== 'function' || typeof a.basePath !== 'string') {
    throw new UsageError(`${where}: the first argument must be an AuthCore instance`)
  }
}

/** Checks and copies the serve options. */
export function serveOptions(options: unknown, where: string): Readonly<ServeOptions> {
  if (options === undefined) return Object.freeze({})
  optionsCheck(serveSchema, where)(options)
  const { trustProxy } = options as ServeOptions
  return Object.freeze({ trustProxy })
}

/** Checks and copies the guard options. */
export function guardOptions(options: unknown, where: string): Readonly<GuardOptions> {
  if (options === undefined) return Object.freeze({})
  optionsCheck(guardSchema, where)(options)
  const { roles, strict } = options as GuardOptions
  return Object.freeze({ ...(roles !== undefined && { roles: Object.freeze([...roles]) }), ...(strict !== undefined && { strict }) })
}
