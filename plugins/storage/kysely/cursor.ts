/**
 * Opaque paging cursors: the last id of a page, base64url-encoded behind a
 * version prefix so a made-up string is recognised and refused.
 */
import { AuthError } from '../../../lib/index.js'

const PREFIX = 'u1:'
// Ids are at most a few hundred bytes; a longer cursor is not one of ours.
const MAX_CURSOR_LENGTH = 2048

/** Encodes the id the next page starts after. */
export function encodeCursor(lastId: string): string {
  return Buffer.from(PREFIX + lastId, 'utf8').toString('base64url')
}

/** Decodes a cursor; anything we did not produce is `ERR_AUTH_INPUT_INVALID`. */
export function decodeCursor(cursor: unknown): string {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw invalid()
  }
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  // Re-encoding catches non-canonical base64 and invalid UTF-8 (decoded to U+FFFD).
  if (!text.startsWith(PREFIX) || encodeCursor(text.slice(PREFIX.length)) !== cursor) throw invalid()
  const id = text.slice(PREFIX.length)
  // No id AuthCore stores holds control characters (Postgres refuses NUL outright).
  if (/\p{Cc}/u.test(id)) throw invalid()
  return id
}

function invalid(): AuthError {
  return new AuthError('ERR_AUTH_INPUT_INVALID', 'The paging cursor is invalid')
}
