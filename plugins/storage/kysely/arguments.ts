/**
 * Argument checks shared by the kysely stores. Caller misuse is a TypeError
 * thrown before any query, so a wrong type or an over-long key never reaches
 * the database (where MySQL could truncate it, or Postgres refuse it with a
 * driver error).
 */
import { UsageError } from '../../../lib/index.js'

/** Throws TypeError unless `value` is a string. */
export function assertString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new UsageError(`${name} must be a string`)
}

/** Throws TypeError unless `value` is a non-empty string of at most `max` UTF-16 code units (so at most `max` characters in any column). */
export function assertKey(value: unknown, name: string, max: number): asserts value is string {
  if (typeof value !== 'string' || value === '' || value.length > max) {
    throw new UsageError(`${name} must be a non-empty string of at most ${max} characters`)
  }
}

/** Throws TypeError unless `value` is a Date holding a time. */
export function assertDate(value: unknown, name: string): asserts value is Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new UsageError(`${name} must be a valid Date`)
}

/** Throws TypeError unless `value` is a non-null object. */
export function assertObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') throw new UsageError(`${name} must be an object`)
}

/** A Date copy, so a record never shares a Date with its caller or with another record. */
export function copyDate(date: Date): Date {
  return new Date(date.getTime())
}
