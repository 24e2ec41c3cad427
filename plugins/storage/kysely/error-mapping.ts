/**
 * Turns whatever a driver throws into an AuthError, so a raw driver error
 * never escapes a public method. The original is always kept as `cause`.
 */
// The core's one mapping from a backend failure to an AuthError, used with each engine's classifier.
export { toAuthError } from '../../../lib/index.js'

// Errors raised by node's sockets, pg, mysql2 and kysely itself when the
// database cannot be reached or the pool/handle is gone.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'POOL_CLOSED', 'ERR_SOCKET_CLOSED',
])
const UNAVAILABLE_MESSAGES = [
  'connection terminated', 'connection is not open', 'database connection is not open', 'pool is closed',
  'after calling end on the pool', 'driver has already been destroyed', 'timeout exceeded when trying to connect',
  'not queryable', 'connection is in closed state', 'closed state', 'connection lost', 'server has gone away',
  'socket hang up',
]

/** True for errors that mean "the database cannot answer now", whatever the engine. */
export function isUnavailableError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const { code, message } = err as { code?: unknown; message?: unknown }
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true
  if (typeof message === 'string') {
    const lower = message.toLowerCase()
    if (UNAVAILABLE_MESSAGES.some((m) => lower.includes(m))) return true
  }
  // AggregateError from a multi-address connect attempt (node >= 20).
  const inner = (err as { errors?: unknown }).errors
  return Array.isArray(inner) && inner.some(isUnavailableError)
}

/** The `code` property of a driver error, if it has one. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/** The `message` of an error, or ''. */
export function errorMessage(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message
  return typeof message === 'string' ? message : ''
}
