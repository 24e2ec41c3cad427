/**
 * Argument checks and copies. Misuse is a `TypeError` (AuthCore's
 * `UsageError`), thrown before anything is read or written; a record goes in
 * and comes out as a copy, so no caller ever holds an object the store keeps.
 */
import { UsageError } from '../../lib/index.js'

/** The limits docs/storage.md states, in UTF-16 code units. */
export const LIMITS = { id: 128, userId: 255, purpose: 64, kind: 64, subject: 255, secretHash: 255, method: 64 } as const

/** Throws unless `value` is a string. */
export function text(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new UsageError(`${name} must be a string`)
  return value
}

/** Throws unless `value` is a non-empty string of at most `max` code units. */
export function key(value: unknown, name: string, max: number): string {
  if (typeof value !== 'string' || value === '' || value.length > max) {
    throw new UsageError(`${name} must be a non-empty string of at most ${max} characters`)
  }
  return value
}

/** A copy of `value`; throws unless it is a Date holding a time. */
export function date(value: unknown, name: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new UsageError(`${name} must be a valid Date`)
  return new Date(value.getTime())
}

/** Throws unless `value` is a boolean. */
export function bool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new UsageError(`${name} must be a boolean`)
  return value
}

/** Throws unless `value` is a non-null object (arguments such as a patch or a query). */
export function object<T>(value: T, name: string): NonNullable<T> {
  if (value === null || typeof value !== 'object') throw new UsageError(`${name} must be an object`)
  return value as NonNullable<T>
}

/**
 * A new object parsed from `value`'s JSON, as a database column would keep
 * it; throws unless `value` is a plain JSON object of at most `maxBytes`
 * bytes of UTF-8.
 */
export function jsonObject(value: unknown, name: string, maxBytes: number): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${name} must be a JSON object`)
  const json: unknown = JSON.stringify(value)
  if (typeof json !== 'string' || !json.startsWith('{')) throw new UsageError(`${name} must be a JSON object`)
  if (Buffer.byteLength(json) > maxBytes) throw new UsageError(`${name} is more than ${maxBytes} bytes of JSON`)
  return JSON.parse(json) as Record<string, unknown>
}

/** A deep copy of a stored record, with new Dates and new nested objects: what every operation hands out. */
export function copy<T>(record: T): T {
  return structuredClone(record)
}
