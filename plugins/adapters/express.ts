/**
 * AuthCore for Express 5: `authRouter(auth)` serves the routes under
 * `auth.basePath`, `requireAuth(auth, { roles })` guards the app's own routes
 * and puts the token's claims on `req.auth`.
 *
 * ```ts
 * import express from 'express'
 * import { authRouter, requireAuth } from 'authcore/adapters/express'
 *
 * const app = express()
 * app.use(authRouter(auth))
 * app.get('/api/me', requireAuth(auth), (req, res) => res.json(req.auth))
 * ```
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { AccessClaims, AdapterFactory, AuthCore } from '../../lib/index.js'
import { authorize, refusal } from './guard.js'
import { headerValue, serveNode } from './node-bridge.js'
import { checkAuth, guardOptions, serveOptions, type AdapterAuth, type GuardOptions, type ServeOptions } from './options.js'

export type { AdapterAuth, GuardOptions, ServeOptions } from './options.js'
export type { AccessClaims } from '../../lib/index.js'

declare global {
  // Express declares its Request in this global namespace; augmenting it types `req.auth` everywhere.
  namespace Express {
    interface Request {
      /** The verified access-token claims, set by `requireAuth`. */
      auth?: AccessClaims
    }
  }
}

/**
 * Middleware serving AuthCore's HTTP routes. Requests outside `basePath`,
 * as sent or once normalised (`/public/../auth/x`, `/auth/%2e%2e/x`), go on
 * to the next handler untouched. Mount it before any body parser
 * (`express.json()`), which would consume the body the core reads. The full
 * path is matched (`req.originalUrl`, the target as sent), so mount it
 * without a path: `app.use(authRouter(auth))`.
 *
 * @throws UsageError when `auth` is not an AuthCore or an option is wrong.
 */
export function authRouter(auth: AdapterAuth, options?: ServeOptions): RequestHandler {
  checkAuth(auth, 'authRouter')
  const settings = serveOptions(options, 'authRouter')
  return async (req: Request, res: Response, next: NextFunction) => {
    if (!(await serveNode(auth, settings, req, res, req.originalUrl))) next()
  }
}

authRouter satisfies AdapterFactory<AuthCore, ServeOptions, RequestHandler>

/**
 * Middleware that lets a request through only with a valid access token
 * (and, with `roles`, one of those roles), setting `req.auth` to its claims.
 * Otherwise it answers exactly as the core would: 401 with
 * `WWW-Authenticate: Bearer` for a missing or bad token, 403
 * `ERR_AUTH_FORBIDDEN` for a role not in `roles`.
 *
 * @throws UsageError when `auth` is not an AuthCore or an option is wrong.
 */
export function requireAuth(auth: AdapterAuth, options?: GuardOptions): RequestHandler {
  checkAuth(auth, 'requireAuth')
  const settings = guardOptions(options, 'requireAuth')
  return async (req: Request, res: Response, next: NextFunction) => {
    try {
      req.auth = await authorize(auth, headerValue(req, 'authorization'), settings)
    } catch (err) {
      const { status, headers, body } = await refusal(err)
      // end(), not send(): send() would add an ETag the core's own answers do not carry.
      res.status(status).set(headers).end(body)
      return
    }
    next()
  }
}
