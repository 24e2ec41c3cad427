import type { ValidateFunction } from 'ajv'
import { AuthError, UsageError } from './errors.js'
import { ajv, describeErrors } from './schema.js'

/*
 * Schemas for every input an operation takes from a client. They run before
 * anything else: unknown fields (`id`, `role` on edit, `__proto__`,
 * `constructor`), wrong types and oversized strings are refused with one
 * ERR_AUTH_INPUT_INVALID naming each field. Limits here are generous outer
 * bounds; the email and password rules then apply their own.
 */

const noControl = '^[^\\u0000-\\u001f\\u007f]*$'
const noNul = '^[^\\u0000]*$'
const email = { type: 'string', minLength: 1, maxLength: 1024, pattern: noControl }
const pass = { type: 'string', minLength: 1, maxLength: 4096, pattern: noNul }
const name = { type: 'string', minLength: 1, maxLength: 200, pattern: noControl }
const role = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' }

const object = (properties: Record<string, object>, required: string[] = []) => ({
  type: 'object',
  additionalProperties: false,
  properties,
  required,
})

/** The input of `signUp` and `createUser` (and of a credentials method's `signUp`); `role` only as the options allow. */
export interface SignUpInput { email: string; name: string; pass: string; role?: string }
/** The input of `signIn` (and of a credentials method's `signIn`). */
export interface SignInInput { email: string; pass: string }
/** The changes `editProfile` takes; `currentPass` proves your own email or password change. */
export interface EditProfileInput { email?: string; name?: string; pass?: string; currentPass?: string }
/** A page request of `profiles`: at most `limit` users, after `cursor` (the `next` of the page before). */
export interface ProfilesQuery { limit?: number; cursor?: string }

const schemas = {
  signUp: object({ email, name, pass, role }, ['email', 'name', 'pass']),
  signIn: object({ email, pass }, ['email', 'pass']),
  editProfile: { ...object({ email, name, pass, currentPass: pass }), minProperties: 1 },
  profiles: object({ limit: { type: 'integer', minimum: 1, maximum: 100 }, cursor: { type: 'string', minLength: 1, maxLength: 512 } }),
  setRole: object({ role }, ['role']),
  // Generous on length so a wrong kind of token (an access token, say) gets ERR_AUTH_REFRESH_INVALID, not a length complaint.
  refreshToken: object({ refreshToken: { type: 'string', minLength: 1, maxLength: 8192 } }, ['refreshToken']),
  userId: { type: 'string', minLength: 1, maxLength: 128, pattern: noControl },
} as const

type Inputs = {
  signUp: SignUpInput
  signIn: SignInInput
  editProfile: EditProfileInput
  profiles: ProfilesQuery
  setRole: { role: string }
  refreshToken: { refreshToken: string }
  userId: string
}

const validators = Object.fromEntries(
  Object.entries(schemas).map(([key, schema]) => [key, ajv.compile(schema)]),
) as unknown as { [K in keyof Inputs]: ValidateFunction<Inputs[K]> }

// A lone surrogate is not text: databases store it as something else and
// read back a different string.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function checkWellFormed(value: string, field: string): void {
  if (LONE_SURROGATE.test(value)) {
    throw new AuthError('ERR_AUTH_INPUT_INVALID', `Invalid input: ${field} is not well-formed Unicode text`, { details: { field } })
  }
}

/** At most this many unknown fields are named in an error; the rest are counted. */
const MAX_NAMED_UNKNOWN = 5

/**
 * Refuses an object with fields its schema does not know, before ajv runs:
 * one pass over the keys, naming the first few. ajv would report every one
 * of thousands of junk fields, at a cost that grows with their number on the
 * event loop, before any rate limit has been charged.
 */
function refuseUnknownFields(input: unknown, properties: object): void {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return
  const named: string[] = []
  let unknown = 0
  for (const key of Object.keys(input)) {
    if (Object.hasOwn(properties, key)) continue
    if (unknown++ < MAX_NAMED_UNKNOWN) named.push(`'${key.length > 64 ? `${key.slice(0, 64)}...` : key}' is not a known field`)
  }
  if (unknown === 0) return
  const problems = unknown > named.length ? [...named, `and ${unknown - named.length} more unknown field(s)`] : named
  throw new AuthError('ERR_AUTH_INPUT_INVALID', `Invalid input: ${problems.join('; ')}`, { details: { problems } })
}

/**
 * Checks `input` against the schema for `kind` and returns it as a fresh
 * object holding only the known fields (so nothing from the input that
 * carries a prototype is ever merged anywhere).
 */
export function parseInput<K extends keyof Inputs>(kind: K, input: unknown): Inputs[K] {
  return checkInput(validators[kind], schemas[kind] as { properties?: object }, input, kind) as Inputs[K]
}

/**
 * A compiled validator for a plugin's input schema (a route's `input`), run
 * the way the core's own inputs are: unknown fields first, in one pass.
 * @throws UsageError when the schema does not compile (strict JSON Schema).
 */
export function inputValidator(schema: object, label: string): (input: unknown) => unknown {
  let validate: ValidateFunction
  try {
    validate = ajv.compile(schema)
  } catch (cause) {
    throw new UsageError(`${label}: the input schema does not compile: ${(cause as Error).message}`)
  }
  return (input) => checkInput(validate, schema, input, label)
}

function checkInput(validate: ValidateFunction, schema: { properties?: object }, input: unknown, label: string): unknown {
  if (schema.properties !== undefined && (schema as { additionalProperties?: unknown }).additionalProperties === false) {
    refuseUnknownFields(input, schema.properties)
  }
  if (!validate(input)) {
    const problems = describeErrors(validate.errors ?? [], 'field')
    throw new AuthError('ERR_AUTH_INPUT_INVALID', `Invalid input: ${problems.join('; ')}`, { details: { problems } })
  }
  if (typeof input === 'string') checkWellFormed(input, label)
  if (schema.properties === undefined || input === null || typeof input !== 'object' || Array.isArray(input)) return input
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(schema.properties)) {
    if (!Object.hasOwn(input, key)) continue
    const value = (input as Record<string, unknown>)[key]
    if (typeof value === 'string') checkWellFormed(value, key)
    copy[key] = value
  }
  return copy
}
