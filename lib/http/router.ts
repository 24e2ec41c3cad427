import { AuthError } from '../errors.js'
import { inputValidator } from '../input.js'
import type { PluginContext, RequestContext, RouteCall, RouteDeclaration } from '../plugin-types.js'
import type { OwnedRoute } from '../plugin-contributions.js'
import type { AccessClaims } from '../tokens/claims.js'
import { readJsonBody } from './body.js'
import { errorResponse, json } from './respond.js'

/** What the router needs from AuthCore. */
export interface RouterOptions {
  basePath: string
  maxBodySize: number
  /** Every route, the core's first, as checked by `collectContributions`. */
  routes: readonly OwnedRoute[]
  /**
   * Verifies an `Authorization` header (routes with `auth: 'bearer'`),
   * strictly: a token of a user since disabled, deleted or revoked is refused
   * (within `strictVerifyCacheTtl` on other instances).
   */
  authenticate(header: string | null): Promise<AccessClaims>
  /** The owner's context, once AuthCore has started (starting it if needed). */
  contextFor(owner: string): Promise<PluginContext>
  /** Told about unexpected (non-AuthError) failures, which answer a plain 500. */
  onInternalError: (error: unknown) => void
}

/** A route made ready to match: its pattern, parameter names, and compiled input check. */
interface CompiledRoute {
  readonly owner: string
  readonly route: RouteDeclaration
  readonly params: readonly string[]
  readonly check: ((input: unknown) => unknown) | undefined
}

/** Routes sharing one path pattern, by method (for 405 and its Allow header). */
interface PathEntry {
  readonly pattern: RegExp
  readonly methods: Map<string, CompiledRoute>
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

function compile(routes: readonly OwnedRoute[]): PathEntry[] {
  const byPattern = new Map<string, PathEntry>()
  for (const { owner, route } of routes) {
    const segments = route.path.slice(1).split('/')
    const source = `^/${segments.map((s) => (s.startsWith(':') ? '([^/]+)' : escape(s))).join('/')}$`
    let entry = byPattern.get(source)
    if (!entry) byPattern.set(source, (entry = { pattern: new RegExp(source), methods: new Map() }))
    const check = route.input === undefined ? undefined : inputValidator(route.input, `route ${route.method} ${route.path} of '${owner}'`)
    const params = segments.filter((s) => s.startsWith(':')).map((s) => s.slice(1))
    entry.methods.set(route.method, { owner, route, params, check })
  }
  // A literal segment is more specific than a parameter: '/invites/new' is tried before '/invites/:code'.
  const params = (entry: PathEntry) => (entry.pattern.source.match(/\(\[\^\/\]\+\)/g) ?? []).length
  return [...byPattern.values()].sort((a, b) => params(a) - params(b))
}

// A control character in a path parameter is never an id, a code or a name.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

function decodeParam(name: string, segment: string): string {
  try {
    const value = decodeURIComponent(segment)
    if (!CONTROL.test(value)) return value
  } catch {
    // Not valid percent-encoding: refused below.
  }
  throw new AuthError('ERR_AUTH_INPUT_INVALID', `Invalid input: the ${name} in the path is not valid`)
}

/**
 * The framework-neutral HTTP layer, built from one list of route
 * declarations (the core's and every plugin's). For each request under
 * `basePath`: match the path, check the method, decode the path parameters, verify the bearer token when
 * the route asks for one, read and validate the body against its schema,
 * charge its rate-limit scope, then call its handler with the owner's
 * context. Every failure is a JSON error response with the registry's status.
 */
export function createRouter(options: RouterOptions): (request: Request, context?: RequestContext) => Promise<Response> {
  const table = compile(options.routes)
  const { basePath, maxBodySize } = options

  async function dispatch(request: Request, url: URL, context: RequestContext): Promise<Response> {
    if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) throw new AuthError('ERR_AUTH_ROUTE_NOT_FOUND')
    const path = url.pathname.slice(basePath.length).replace(/(.)\/$/, '$1')
    // Every pattern the path matches is tried for the method: a literal route
    // of one owner ('/profile/me', DELETE) must not hide a parameter route of
    // another ('/profile/:id', GET). 405 only when none has the method.
    const allowed = new Set<string>()
    for (const entry of table) {
      const match = entry.pattern.exec(path)
      if (!match) continue
      // HEAD is GET without the body, wherever GET is served (RFC 9110).
      const head = request.method === 'HEAD'
      const found = entry.methods.get(head ? 'GET' : request.method)
      if (!found) {
        for (const method of entry.methods.keys()) allowed.add(method)
        if (entry.methods.has('GET')) allowed.add('HEAD')
        continue
      }
      const { owner, route, params, check } = found
      // Cheapest first: a malformed parameter is refused before any token, body or counter is touched.
      const values = Object.freeze(Object.fromEntries(params.map((name, i) => [name, decodeParam(name, match[i + 1]!)])))
      const claims = route.auth === 'bearer' ? await options.authenticate(request.headers.get('authorization')) : undefined
      let read: Promise<unknown> | undefined
      const readJson = () => (read ??= readJsonBody(request, maxBodySize))
      const body = check === undefined ? undefined : check(await readJson())
      const pluginContext = await options.contextFor(owner)
      if (route.rateLimit !== undefined) await pluginContext.limit(route.rateLimit, context.clientAddress)
      const call: RouteCall = Object.freeze({
        request,
        body,
        readJson,
        params: values,
        query: url.searchParams,
        claims,
        context,
      })
      const result = await route.handler(call, pluginContext)
      const response = result instanceof Response ? result : json(200, result ?? {})
      return head ? new Response(null, { status: response.status, headers: response.headers }) : response
    }
    if (allowed.size > 0) return errorResponse(new AuthError('ERR_AUTH_METHOD_NOT_ALLOWED'), { allow: [...allowed].join(', ') })
    throw new AuthError('ERR_AUTH_ROUTE_NOT_FOUND')
  }

  return async function handle(request: Request, given: RequestContext = {}): Promise<Response> {
    // A request whose address the adapter could not tell still counts, in one
    // shared bucket: the limits never silently switch off.
    const context: RequestContext = { clientAddress: given.clientAddress ?? 'unknown' }
    try {
      return await dispatch(request, new URL(request.url), context)
    } catch (err) {
      if (!(err instanceof AuthError)) options.onInternalError(err)
      return errorResponse(err)
    }
  }
}
