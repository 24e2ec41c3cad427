/**
 * The checks every adapter factory runs when it is called, so a mistake in
 * wiring surfaces at start-up as a TypeError instead of on a request.
 */
import type { AuthCore } from '../../lib/auth-core.js'

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

function checkKeys(options: object, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new TypeError(`${where}: unknown option '${key}' (allowed: ${allowed.join(', ')})`)
  }
}

function checkObject(options: unknown, where: string): asserts options is Record<string, unknown> | undefined {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new TypeError(`${where}: options must be an object`)
  }
}

/** Checks `auth` looks like an AuthCore. */
export function checkAuth(auth: unknown, where: string): asserts auth is AdapterAuth {
  const a = auth as Partial<AdapterAuth> | null | undefined
  if (!a || typeof a.handle !== 'function' || typeof a.authenticate !== 'function' || typeof a.basePath !== 'string') {
    throw new TypeError(`${where}: the first argument must be an AuthCore instance`)
  }
}

/** Checks and copies the serve options. */
export function serveOptions(options: unknown, where: string): Readonly<ServeOptions> {
  checkObject(options, where)
  if (options === undefined) return Object.freeze({})
  checkKeys(options, ['trustProxy'], where)
  const { trustProxy } = options
  if (trustProxy !== undefined && typeof trustProxy !== 'boolean' && typeof trustProxy !== 'function') {
    throw new TypeError(`${where}: trustProxy must be a boolean or a function (address) => boolean`)
  }
  return Object.freeze({ trustProxy } as ServeOptions)
}

/** Checks and copies the guard options. */
export function guardOptions(options: unknown, where: string): Readonly<GuardOptions> {
  checkObject(options, where)
  if (options === undefined) return Object.freeze({})
  checkKeys(options, ['roles', 'strict'], where)
  const { roles, strict } = options
  if (strict !== undefined && typeof strict !== 'boolean') throw new TypeError(`${where}: strict must be a boolean`)
  if (roles === undefined) return Object.freeze(strict === undefined ? {} : { strict })
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every((r) => typeof r === 'string' && r !== '')) {
    // An empty list would lock everyone out, which is never what was meant.
    throw new TypeError(`${where}: roles must be a non-empty array of role names`)
  }
  return Object.freeze({ roles: Object.freeze([...roles]) as readonly string[], ...(strict !== undefined && { strict }) })
}
