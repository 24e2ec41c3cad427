import { AuthError, UsageError } from './errors.js'

/**
 * Extracts the token from an `Authorization` header value. The scheme is
 * case-insensitive; exactly one space-free token must follow it.
 */
export function bearerToken(header: string | null | undefined, maxTokenSize: number): string {
  if (header === undefined || header === null || header === '') throw new AuthError('ERR_AUTH_HEADER_MISSING')
  if (typeof header !== 'string') throw new UsageError('authenticate(header) needs the header value as a string')
  // Bound the work before any parsing: the header can be no longer than a token plus its scheme.
  if (header.length > maxTokenSize + 16) throw new AuthError('ERR_AUTH_TOKEN_TOO_LARGE')
  const match = /^Bearer +([A-Za-z0-9\-_.~+/]+=*) *$/i.exec(header)
  if (!match) throw new AuthError('ERR_AUTH_HEADER_INVALID')
  return match[1]!
}
