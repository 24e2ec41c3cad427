/**
 * AuthCore for Hono: `authHandler(auth)` serves the routes under
 * `auth.basePath`, `requireAuth(auth, { roles })` guards the app's routes and
 * sets `c.get('auth')` to the token's claims.
 *
 * ```ts
 * import { Hono } from 'hono'
 * import { authHandler, requireAuth } from 'authcore/adapters/hono'
 *
 * const app = new Hono()
 * app.use(authHandler(auth))
 * app.get('/api/me', requireAuth(auth), (c) => c.json(c.get('auth')))
 * ```
 * @module
 */
import type { Context, MiddlewareHandler } from 'hono'
import { errorResponse, isAuthError, type AccessClaims, type AdapterFactory, type AuthCore } from '../../lib/index.js'
import { authorize } from './guard.js'
import { resolveClientAddress, servesTarget } from './request-info.js'
import { checkAuth, guardOptions, serveOptions, type AdapterAuth, type GuardOptions, type ServeOptions } from './options.js'

export type { AdapterAuth, GuardOptions, ServeOptions } from './options.js'
export type { AccessClaims } from '../../lib/index.js'

declare module 'hono' {
  interface ContextVariableMap {
    /** The verified access-token claims, set by `requireAuth`. */
    auth: AccessClaims
  }
}

/** The part of @hono/node-server's bindings read here, declared so hono alone suffices to type-check. */
interface NodeBindings {
  incoming?: { url?: string; socket?: { remoteAddress?: string } }
}

/**
 * The request target as the client sent it: @hono/node-server's
 * IncomingMessage keeps it raw. Other runtimes expose only the Request URL,
 * which they have already normalised, so there the check on the raw path
 * sees what the router sees and cannot catch a path that entered basePath
 * by normalisation.
 */
function rawTarget(c: Context): string {
  return (c.env as NodeBindings | undefined)?.incoming?.url ?? c.req.raw.url
}

/**
 * The socket peer as @hono/node-server reports it (undefined on other
 * runtimes), or a trusted proxy's left-most `X-Forwarded-For` entry.
 */
function clientAddress(c: Context, trustProxy: ServeOptions['trustProxy']): string | undefined {
  const peer = (c.env as NodeBindings | undefined)?.incoming?.socket?.remoteAddress
  return resolveClientAddress(peer, c.req.raw.headers.get('x-forwarded-for'), trustProxy)
}

/**
 * Middleware serving AuthCore's HTTP routes with `auth.handle(c.req.raw)`.
 * Requests outside `basePath` (as sent or as normalised) go on to the next
 * handler untouched; off @hono/node-server only the normalised path is
 * known. Use it before anything that reads the body:
 * `app.use(authHandler(auth))`.
 *
 * @throws UsageError when `auth` is not an AuthCore or an option is wrong.
 */
export function authHandler(auth: AdapterAuth, options?: ServeOptions): MiddlewareHandler {
  checkAuth(auth, 'authHandler')
  const { trustProxy } = serveOptions(options, 'authHandler')
  return async (c, next) => {
    // The normalised half is tested on the URL the core routes on, so both agree on what is served.
    if (!servesTarget(rawTarget(c), new URL(c.req.raw.url), auth.basePath)) return next()
    return auth.handle(c.req.raw, { clientAddress: clientAddress(c, trustProxy) })
  }
}

authHandler satisfies AdapterFactory<AuthCore, ServeOptions, MiddlewareHandler>

/**
 * Middleware that lets a request through only with a valid access token
 * (and, with `roles`, one of those roles), setting `c.get('auth')` to its
 * claims. Otherwise it answers exactly as the core would: 401 with
 * `WWW-Authenticate: Bearer` for a missing or bad token, 403
 * `ERR_AUTH_FORBIDDEN` for a role not in `roles`.
 *
 * @throws UsageError when `auth` is not an AuthCore or an option is wrong.
 */
export function requireAuth(auth: AdapterAuth, options?: GuardOptions): MiddlewareHandler {
  checkAuth(auth, 'requireAuth')
  const settings = guardOptions(options, 'requireAuth')
  return async (c, next) => {
    try {
      c.set('auth', await authorize(auth, c.req.raw.headers.get('authorization') ?? undefined, settings))
    } catch (err) {
      // Anything but an AuthError is a bug: rethrown to the app's onError.
      if (!isAuthError(err)) throw err
      return errorResponse(err)
    }
    await next()
  }
}
