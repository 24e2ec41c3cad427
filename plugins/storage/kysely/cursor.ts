/**
 * Opaque paging cursors: the last id of a page behind a version prefix, and
 * 8 bytes of a SHA-256 of it, base64url-encoded. A cursor is valid only
 * exactly as issued: a made-up, changed or cut one is refused, rather than
 * read as a page starting somewhere else.
 */
import { createHash } from 'node:crypto'
import { AuthError } from '../../../lib/index.js'

// u1 cursors (before the checksum) are refused: a client holding one starts its listing again.
const PREFIX = 'u2:'
const CHECKSUM_BYTES = 8
// Ids are at most a few hundred bytes; a longer cursor is not one of ours.
const MAX_CURSOR_LENGTH = 2048

function checksum(text: string): Buffer {
  return createHash('sha256').update(`authcore paging cursor\0${text}`).digest().subarray(0, CHECKSUM_BYTES)
}

/** Encodes the id the next page starts after. */
export function encodeCursor(lastId: string): string {
  const text = PREFIX + lastId
  return Buffer.concat([Buffer.from(text, 'utf8'), checksum(text)]).toString('base64url')
}

/** Decodes a cursor; anything we did not produce is `ERR_AUTH_INPUT_INVALID`. */
export function decodeCursor(cursor: unknown): string {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw invalid()
  }
  const bytes = Buffer.from(cursor, 'base64url')
  const text = bytes.subarray(0, Math.max(0, bytes.length - CHECKSUM_BYTES)).toString('utf8')
  // Encoding again catches all of it: a wrong checksum or prefix, non-canonical base64, invalid UTF-8 (decoded to U+FFFD).
  if (!text.startsWith(PREFIX) || encodeCursor(text.slice(PREFIX.length)) !== cursor) throw invalid()
  const id = text.slice(PREFIX.length)
  // No id AuthCore stores holds control characters (Postgres refuses NUL outright).
  if (/\p{Cc}/u.test(id)) throw invalid()
  return id
}

function invalid(): AuthError {
  return new AuthError('ERR_AUTH_INPUT_INVALID', 'The paging cursor is invalid')
}
