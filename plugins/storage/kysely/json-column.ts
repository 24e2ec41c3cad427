/**
 * JSON objects in a text column (a one-time token's payload, a credential's
 * data). Text, not a JSON type, on every engine: it reads back exactly as
 * written, and every read parses a new object, so a record never shares an
 * object with its caller or with another record.
 */
import { UsageError } from '../../../lib/index.js'

/**
 * The JSON text of `value`. Throws TypeError unless `value` is a plain
 * object (not an array, not a Date or Map) whose JSON is at most `maxBytes`
 * bytes of UTF-8.
 */
export function encodeJsonObject(value: unknown, name: string, maxBytes: number): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`${name} must be a JSON object`)
  // JSON.stringify throws TypeError itself on a cycle or a BigInt.
  const json: unknown = JSON.stringify(value)
  // A toJSON() (a Date's, say) may turn an object into something else.
  if (typeof json !== 'string' || !json.startsWith('{')) throw new UsageError(`${name} must be a JSON object`)
  const bytes = Buffer.byteLength(json)
  if (bytes > maxBytes) throw new UsageError(`${name} is ${bytes} bytes of JSON, more than the ${maxBytes} allowed`)
  return json
}

/** A new object parsed from a stored JSON text (a driver may hand text back as a Buffer). */
export function decodeJsonObject(text: unknown): Record<string, unknown> {
  const json = Buffer.isBuffer(text) ? text.toString('utf8') : String(text)
  return JSON.parse(json) as Record<string, unknown>
}
