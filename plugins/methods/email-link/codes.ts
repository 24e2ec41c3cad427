/**
 * Codes for a second device: 8 decimal digits from the CSPRNG, stored only
 * as a keyed hash (HMAC under a server key that is not in the database: 10^8
 * codes behind a plain hash would be reversed in seconds from a leaked
 * table) of the address key and the code together, so the codes of two
 * addresses never meet in the store's unique index and a code is found only
 * with the address it was sent to.
 */
import { randomInt } from 'node:crypto'
import type { PluginContext } from '../../../lib/index.js'

/** How many digits a code has. */
export const CODE_DIGITS = 8

const CODE_FORMAT = /^\d{8}$/

/** A new code: 8 digits, leading zeros kept. */
export function newCode(): string {
  return randomInt(0, 10 ** CODE_DIGITS).toString().padStart(CODE_DIGITS, '0')
}

/**
 * The code a person typed, with the spaces and dashes people add to read it
 * dropped, or undefined when it is not 8 digits (refused before any attempt
 * is counted: it cannot be right).
 */
export function readCode(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length > 32) return undefined
  const code = raw.replace(/[\s-]/g, '')
  return CODE_FORMAT.test(code) ? code : undefined
}

/** What the store keeps of a code: bound to the address key it was sent to. */
export function codeHash(ctx: PluginContext, emailKey: string, code: string): string {
  return ctx.keyedHash(`${emailKey}:${code}`)
}
