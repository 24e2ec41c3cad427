import { AuthError, isAuthError } from '../errors.js'

const BASE_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  // Every answer may carry a token or a user: never let a cache keep it.
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
}

/** A JSON response with the no-store headers. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...BASE_HEADERS, ...headers } })
}

/**
 * The error response: `{ error, code }` with the registry's status. Only an
 * AuthError's own message is shown; anything else becomes a plain internal
 * error, so no stack, driver message or token ever reaches the client.
 */
export function errorResponse(err: unknown, extraHeaders: Record<string, string> = {}): Response {
  const error = isAuthError(err) ? err : new AuthError('ERR_AUTH_INTERNAL')
  const headers: Record<string, string> = { ...extraHeaders }
  if (error.status === 401) {
    const tokenProblem = error.code.startsWith('ERR_AUTH_TOKEN_') || error.code === 'ERR_AUTH_HEADER_INVALID'
    headers['www-authenticate'] = tokenProblem ? 'Bearer error="invalid_token"' : 'Bearer'
  }
  const retryAfter = (error.details as { retryAfter?: unknown } | undefined)?.retryAfter
  if (error.status === 429 && typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter)
  return json(error.status, { error: error.message, code: error.code }, headers)
}
