/**
 * AuthCore for node:http: `toNodeHandler(auth)` serves the routes under
 * `auth.basePath` and leaves every other request to the app;
 * `requireAuth(auth, { roles })` guards the app's own routes.
 *
 * ```ts
 * import { createServer } from 'node:http'
 * import { toNodeHandler } from 'authcore/adapters/node'
 *
 * const authHandler = toNodeHandler(auth)
 * createServer(async (req, res) => {
 *   if (await authHandler(req, res)) return
 *   // ...the app's own routes
 * }).listen(3000)
 * ```
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { errorResponse, isAuthError, type AccessClaims, type AdapterFactory, type AuthCore } from '../../lib/index.js'
import { authorize } from './guard.js'
import { headerValue, serveNode, writeResponse } from './node-bridge.js'
import { checkAuth, guardOptions, serveOptions, type AdapterAuth, type GuardOptions, type ServeOptions } from './options.js'

export type { AdapterAuth, GuardOptions, ServeOptions } from './options.js'
export type { AccessClaims } from '../../lib/index.js'

/** Options for {@link toNodeHandler}. */
export type NodeHandlerOptions = ServeOptions

/**
 * A node:http handler. Resolves to true when it answered the request. For a
 * path outside `basePath`, as sent or once its dot segments are resolved
 * (`/public/../auth/x`, `/auth/%2e%2e/x`), it touches nothing: it calls
 * `next()` when given one and resolves to false, so the app can answer instead.
 */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => Promise<boolean>

/**
 * Serves AuthCore's HTTP routes on node:http. The request body is streamed
 * to the core (never buffered ahead of it), the URL is taken from the
 * request line on a fixed origin (the Host header is ignored), and the client
 * address is the socket peer unless `trustProxy` says otherwise.
 *
 * @throws UsageError when `auth` is not an AuthCore or an option is wrong.
 */
export function toNodeHandler(auth: AdapterAuth, options?: NodeHandlerOptions): NodeHandler {
  checkAuth(auth, 'toNodeHandler')
  const settings = serveOptions(options, 'toNodeHandler')
  return async (req, res, next) => {
    if (await serveNode(auth, settings, req, res, req.url)) return true
    next?.()
    return false
  }
}

toNodeHandler satisfies AdapterFactory<AuthCore, NodeHandlerOptions, NodeHandler>

/**
 * A guard for node:http routes: resolves to the token's claims when the
 * request carries a valid access token (and, with `roles`, one of those
 * roles). Otherwise it has already answered exactly as the core would (401
 * with `WWW-Authenticate`, or 403 `ERR_AUTH_FORBIDDEN`) and resolves to
 * undefined.
 */
export type NodeGuard = (req: IncomingMessage, res: ServerResponse) => Promise<AccessClaims | undefined>

/**
 * Guards an app route on node:http.
 *
 * ```ts
 * const signedIn = requireAuth(auth)
 * const claims = await signedIn(req, res)
 * if (!claims) return // already answered 401 or 403
 * ```
 * @throws UsageError when `auth` is not an AuthCore or an option is wrong.
 */
export function requireAuth(auth: AdapterAuth, options?: GuardOptions): NodeGuard {
  checkAuth(auth, 'requireAuth')
  const settings = guardOptions(options, 'requireAuth')
  return async (req, res) => {
    try {
      return await authorize(auth, headerValue(req, 'authorization'), settings)
    } catch (err) {
      if (!isAuthError(err)) throw err
      await writeResponse(res, errorResponse(err))
      return undefined
    }
  }
}
