/**
 * Argument checks shared by the RateLimitStore implementations in plugins/.
 * Misuse by the caller is a `UsageError` (a `TypeError`), as everywhere in
 * AuthCore.
 */
import { UsageError } from '../../lib/index.js'

/** Throws `UsageError` unless `key` is a string. */
export function checkKey(key: unknown, method: string): asserts key is string {
  if (typeof key !== 'string') throw new UsageError(`${method}: key must be a string`)
}

/** `now` as whole milliseconds; throws `UsageError` unless it is a finite number. */
export function checkNow(now: unknown, method: string): number {
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new UsageError(`${method}: now must be a finite number (milliseconds since the epoch)`)
  return Math.floor(now)
}

/** The window in whole milliseconds (at least 1); throws `UsageError` unless `windowSeconds` is a positive finite number. */
export function checkWindow(windowSeconds: unknown, method: string): number {
  if (typeof windowSeconds !== 'number' || !Number.isFinite(windowSeconds) || windowSeconds <= 0) {
    throw new UsageError(`${method}: windowSeconds must be a positive number`)
  }
  return Math.max(1, Math.round(windowSeconds * 1000))
}
