/**
 * Paging cursors: the last id of a page, with a checksum. A cursor is valid
 * only exactly as it was issued, so a changed, cut or made-up one is
 * `ERR_AUTH_INPUT_INVALID`, not a page starting somewhere else.
 */
import { createHash } from 'node:crypto'
import { AuthError } from '../../lib/index.js'

function checksum(id: string): string {
  return createHash('sha256').update(`memory-storage cursor\0${id}`).digest('base64url').slice(0, 12)
}

/** The cursor of the page that starts after `lastId`. */
export function encodeCursor(lastId: string): string {
  return `${Buffer.from(lastId).toString('base64url')}.${checksum(lastId)}`
}

/** The id a cursor starts after; anything {@link encodeCursor} did not make is `ERR_AUTH_INPUT_INVALID`. */
export function decodeCursor(cursor: unknown): string {
  const [body, rest] = typeof cursor === 'string' ? cursor.split('.', 2) : []
  const id = body === undefined ? '' : Buffer.from(body, 'base64url').toString()
  // Encoding again catches all of it at once: a wrong checksum, bad base64 or UTF-8, anything appended.
  if (rest === undefined || encodeCursor(id) !== cursor) throw new AuthError('ERR_AUTH_INPUT_INVALID', 'The paging cursor is invalid')
  return id
}
