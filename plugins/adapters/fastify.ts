/**
 * AuthCore for Fastify 5: `authPlugin(auth)` serves the routes under
 * `auth.basePath`, decorates `request.auth`, and adds
 * `fastify.requireAuth({ roles })`, a preHandler guarding the app's routes.
 *
 * ```ts
 * import Fastify from 'fastify'
 * import { authPlugin } from 'authcore/adapters/fastify'
 *
 * const app = Fastify()
 * await app.register(authPlugin(auth))
 * app.get('/api/me', { preHandler: app.requireAuth() }, async (request) => request.auth)
 * ```
 * @module
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { AccessClaims, AdapterFactory, AuthCore } from '../../lib/index.js'
import { authorize, refusal } from './guard.js'
import { clientAddress, headerValue, responseHeaders, servedUrl, toWebRequest } from './node-bridge.js'
import { checkAuth, guardOptions, serveOptions, type AdapterAuth, type GuardOptions, type ServeOptions } from './options.js'

export type { AdapterAuth, GuardOptions, ServeOptions } from './options.js'
export type { AccessClaims } from '../../lib/index.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access-token claims, set by `fastify.requireAuth()`. */
    auth?: AccessClaims
  }
  interface FastifyInstance {
    /**
     * A preHandler that lets a request through only with a valid access
     * token (and, with `roles`, one of those roles), setting `request.auth`.
     * Otherwise it answers as the core would: 401 with `WWW-Authenticate`,
     * or 403 `ERR_AUTH_FORBIDDEN`. Throws a UsageError for bad options.
     */
    requireAuth(options?: GuardOptions): preHandlerAsyncHookHandler
  }
}

/**
 * A Fastify plugin (wrapped with fastify-plugin, so `request.auth` and
 * `fastify.requireAuth` are visible to the whole app) serving AuthCore's
 * HTTP routes. The routes live in their own encapsulated context whose only
 * content-type parser leaves the body unread, so the core streams it and
 * applies its own size and type checks; the app's parsers are unaffected.
 * Register it once per Fastify instance.
 *
 * @throws UsageError when `auth` is not an AuthCore or an option is wrong.
 */
export function authPlugin(auth: AdapterAuth, options?: ServeOptions): FastifyPluginAsync {
  checkAuth(auth, 'authPlugin')
  const { trustProxy } = serveOptions(options, 'authPlugin')

  async function serve(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    // find-my-way decodes before matching, so '/auth/%2e%2e/x' or '/%61uth/x' can reach
    // these routes: the same rule as the other adapters decides, and the rest is the app's 404.
    const url = servedUrl(request.raw.url, auth.basePath)
    if (!url) {
      reply.callNotFound()
      return reply
    }
    const { request: webRequest, release } = toWebRequest(request.raw, url)
    const response = await auth.handle(webRequest, { clientAddress: clientAddress(request.raw, trustProxy) })
    reply.code(response.status).headers(responseHeaders(response)).send(Buffer.from(await response.arrayBuffer()))
    release()
    return reply
  }

  function requireAuth(guard?: GuardOptions): preHandlerAsyncHookHandler {
    const settings = guardOptions(guard, 'fastify.requireAuth')
    return async (request, reply) => {
      try {
        request.auth = await authorize(auth, headerValue(request.raw, 'authorization'), settings)
      } catch (err) {
        const { status, headers, body } = await refusal(err)
        return reply.code(status).headers(headers).send(body)
      }
    }
  }

  const plugin: FastifyPluginAsync = async (fastify) => {
    fastify.decorateRequest('auth', undefined)
    fastify.decorate('requireAuth', requireAuth)
    await fastify.register(async (routes) => {
      // Only inside this context: the body reaches the core unread.
      routes.removeAllContentTypeParsers()
      routes.addContentTypeParser('*', (_request, _payload, done) => {
        done(null, undefined)
      })
      routes.all(auth.basePath, serve)
      routes.all(`${auth.basePath}/*`, serve)
    })
  }
  return fp(plugin, { fastify: '5.x', name: 'authcore' })
}

authPlugin satisfies AdapterFactory<AuthCore, ServeOptions, FastifyPluginAsync>
