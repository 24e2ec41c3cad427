/**
 * The core's own routes, declared like any plugin's: profiles, sessions and
 * the JWKS. (Sign-up and sign-in are the `basic()` method's routes.) Each
 * calls one public AuthCore operation, which validates its own input and
 * charges its own limits, so calling the operation from code or over HTTP
 * is the same.
 */
import { AuthError } from '../errors.js'
import { parseInput, type ProfilesQuery } from '../input.js'
import type { RouteCall, RouteDeclaration } from '../plugin-types.js'
import type { AuthCore } from '../auth-core.js'

/** The slice of AuthCore the core routes drive: only its public operations. */
export type RoutedAuth = Pick<AuthCore, 'profile' | 'profiles' | 'editProfile' | 'jwks' | 'refresh' | 'signOut'>

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

function pageQuery(query: URLSearchParams): ProfilesQuery {
  const page: ProfilesQuery = {}
  const limit = query.get('limit')
  const cursor = query.get('cursor')
  if (limit !== null) {
    if (!/^\d{1,4}$/.test(limit)) throw new AuthError('ERR_AUTH_INPUT_INVALID', 'Invalid input: limit must be a whole number from 1 to 100')
    page.limit = Number(limit)
  }
  if (cursor !== null) page.cursor = cursor
  return page
}

const refreshToken = async (call: RouteCall) => parseInput('refreshToken', await call.readJson()).refreshToken

/** The core's route declarations; the JWKS route only when asymmetric keys are configured. */
export function coreRoutes(auth: RoutedAuth, options: { publishJwks: boolean }): RouteDeclaration[] {
  const edit = async (call: RouteCall) =>
    auth.editProfile(call.params.id!, editInput(await call.readJson()) as never, { as: call.claims! }, call.context)
  const routes: RouteDeclaration[] = [
    { method: 'GET', path: '/profile/:id', auth: 'bearer', handler: async (call) => ({ user: await auth.profile(call.params.id!, { as: call.claims! }) }) },
    { method: 'GET', path: '/profiles', auth: 'bearer', handler: async (call) => auth.profiles({ as: call.claims!, ...pageQuery(call.query) }) },
    { method: 'POST', path: '/edit_profile/:id', auth: 'bearer', handler: edit },
    { method: 'PUT', path: '/edit_profile/:id', auth: 'bearer', handler: edit },
    { method: 'POST', path: '/token/refresh', handler: async (call) => auth.refresh(await refreshToken(call), call.context) },
    {
      method: 'POST',
      path: '/signout',
      handler: async (call) => {
        await auth.signOut(await refreshToken(call))
        return { ok: true }
      },
    },
  ]
  if (options.publishJwks) routes.push({ method: 'GET', path: '/.well-known/jwks.json', handler: async () => auth.jwks() })
  return routes
}
