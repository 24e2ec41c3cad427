/**
 * The framework-neutral part of the `requireAuth` guards: verify the Bearer
 * token, check the role, and turn a refusal into the core's exact error
 * response so a guarded app route fails like the auth routes do.
 */
import { AuthError, errorResponse, isAuthError, type AccessClaims } from '../../lib/index.js'
import type { AdapterAuth, GuardOptions } from './options.js'

/**
 * Verifies the header and checks the role; throws an AuthError to refuse.
 * Strict by default: the token's version must be the user's current one, so
 * the role it carries is the role the user has now.
 */
export async function authorize(auth: AdapterAuth, header: string | undefined, options: GuardOptions): Promise<AccessClaims> {
  const claims = await auth.authenticate(header, { strict: options.strict ?? true })
  const { roles } = options
  if (roles && (typeof claims.role !== 'string' || !roles.includes(claims.role))) throw new AuthError('ERR_AUTH_FORBIDDEN')
  return claims
}

/** A refusal as plain data, for frameworks that do not take a Web Response. */
export interface Refusal {
  status: number
  headers: Record<string, string>
  body: string
}

/**
 * The core's error response for an AuthError. Anything else is a bug, not a
 * refusal: it is rethrown so the framework's own error handling logs it.
 */
export async function refusal(err: unknown): Promise<Refusal> {
  if (!isAuthError(err)) throw err
  const response = errorResponse(err)
  return { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() }
}
