import { AuthError } from '../errors.js'
import type { AccessClaims } from '../tokens/claims.js'
import type { RequestContext } from '../plugin-types.js'
import { readJsonBody } from './body.js'
import { parseInput } from '../input.js'
import { errorResponse, json } from './respond.js'
import type { AuthCore } from '../auth-core.js'

/** The slice of AuthCore the router drives: only its public operations. */
export type RoutedAuth = Pick<
  AuthCore,
  'signUp' | 'signIn' | 'authenticate' | 'profile' | 'profiles' | 'editProfile' | 'jwks' | 'refresh' | 'signOut'
>

/** Router settings, from the AuthCore options. */
export interface RouterOptions {
  basePath: string
  maxBodySize: number
  /** Whether `/.well-known/jwks.json` is served (asymmetric keys configured). */
  publishJwks: boolean
  /** Told about unexpected (non-AuthError) failures, which answer a plain 500. */
  onInternalError: (error: unknown) => void
}

interface Call {
  request: Request
  url: URL
  params: string[]
  context: RequestContext
}

type Handler = (call: Call) => Promise<Response>
type Route = { pattern: RegExp; methods: Partial<Record<string, Handler>> }

const ok = (body: unknown) => json(200, body)

/** Space Cloud's older clients send `{ update: { $set: {...} } }` where empty strings mean "unchanged". */
function editInput(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || !Object.hasOwn(body, 'update')) return body
  const { update, ...rest } = body as { update: unknown; [k: string]: unknown }
  const set = update !== null && typeof update === 'object' && Object.keys(update).length === 1 ? (update as { $set?: unknown }).$set : undefined
  if (set === null || typeof set !== 'object' || Array.isArray(set)) {
    throw new AuthError('ERR_AUTH_INPUT_INVALID', 'Invalid input: update must be { $set: { email?, name?, pass? } }')
  }
  const changes: Record<string, unknown> = { ...rest }
  for (const [field, value] of Object.entries(set)) if (value !== '') changes[field] = value
  return changes
}

function decodeId(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new AuthError('ERR_AUTH_INPUT_INVALID', 'Invalid input: the id in the path is not valid')
  }
}

function pageQuery(url: URL): { limit?: number; cursor?: string } {
  const query: { limit?: number; cursor?: string } = {}
  const limit = url.searchParams.get('limit')
  const cursor = url.searchParams.get('cursor')
  if (limit !== null) {
    if (!/^\d{1,4}$/.test(limit)) throw new AuthError('ERR_AUTH_INPUT_INVALID', 'Invalid input: limit must be a whole number from 1 to 100')
    query.limit = Number(limit)
  }
  if (cursor !== null) query.cursor = cursor
  return query
}

/**
 * The framework-neutral HTTP layer: Space Cloud's routes under `basePath`,
 * each mapped to one public AuthCore operation. Returns `handle(request)`.
 */
export function createRouter(auth: RoutedAuth, options: RouterOptions): (request: Request, context?: RequestContext) => Promise<Response> {
  const body = (call: Call) => readJsonBody(call.request, options.maxBodySize)
  const refreshToken = async (call: Call) => parseInput('refreshToken', await body(call)).refreshToken
  const caller = (call: Call): Promise<AccessClaims> => auth.authenticate(call.request.headers.get('authorization'))
  const edit: Handler = async (call) => {
    const as = await caller(call)
    return ok(await auth.editProfile(decodeId(call.params[0]!), editInput(await body(call)) as never, { as }, call.context))
  }
  const routes: Route[] = [
    { pattern: /^\/email\/signup$/, methods: { POST: async (call) => ok(await auth.signUp((await body(call)) as never, call.context)) } },
    { pattern: /^\/email\/signin$/, methods: { POST: async (call) => ok(await auth.signIn((await body(call)) as never, call.context)) } },
    {
      pattern: /^\/profile\/([^/]+)$/,
      methods: { GET: async (call) => ok({ user: await auth.profile(decodeId(call.params[0]!), { as: await caller(call) }) }) },
    },
    { pattern: /^\/profiles$/, methods: { GET: async (call) => ok(await auth.profiles({ as: await caller(call), ...pageQuery(call.url) })) } },
    { pattern: /^\/edit_profile\/([^/]+)$/, methods: { POST: edit, PUT: edit } },
    { pattern: /^\/token\/refresh$/, methods: { POST: async (call) => ok(await auth.refresh(await refreshToken(call), call.context)) } },
    {
      pattern: /^\/signout$/,
      methods: {
        POST: async (call) => {
          await auth.signOut(await refreshToken(call))
          return ok({ ok: true })
        },
      },
    },
  ]
  if (options.publishJwks) {
    routes.push({ pattern: /^\/\.well-known\/jwks\.json$/, methods: { GET: async () => ok(await auth.jwks()) } })
  }

  return async function handle(request: Request, given: RequestContext = {}): Promise<Response> {
    // A request whose address the adapter could not tell still counts, in one
    // shared bucket: the limits never silently switch off.
    const context: RequestContext = { clientAddress: given.clientAddress ?? 'unknown' }
    try {
      const url = new URL(request.url)
      const { basePath } = options
      if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) throw new AuthError('ERR_AUTH_ROUTE_NOT_FOUND')
      const path = url.pathname.slice(basePath.length).replace(/(.)\/$/, '$1')
      for (const route of routes) {
        const match = route.pattern.exec(path)
        if (!match) continue
        const handler = route.methods[request.method]
        if (!handler) {
          const allow = Object.keys(route.methods).join(', ')
          return errorResponse(new AuthError('ERR_AUTH_METHOD_NOT_ALLOWED'), { allow })
        }
        return await handler({ request, url, params: match.slice(1), context })
      }
      throw new AuthError('ERR_AUTH_ROUTE_NOT_FOUND')
    } catch (err) {
      if (!(err instanceof AuthError)) options.onInternalError(err)
      return errorResponse(err)
    }
  }
}
