import { DURATION_PATTERN } from './duration.js'
import { ALGORITHMS } from './options.js'

/*
 * The JSON schema for AuthCoreOptions. `description` on a node is the phrase
 * used in error messages ("<field> must be <description>"), so a person reads
 * one sentence per bad field instead of ajv's list of failed branches.
 * `kind` is a custom keyword for values JSON Schema has no type for.
 */

const duration = {
  description: "a number of seconds or a duration such as '15 minutes'",
  anyOf: [{ type: 'number', minimum: 0 }, { type: 'string', pattern: DURATION_PATTERN }],
}

const stringOrList = {
  description: 'a non-empty string or a non-empty list of non-empty strings',
  anyOf: [
    { type: 'string', minLength: 1, maxLength: 2048 },
    { type: 'array', minItems: 1, maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 2048 } },
  ],
}

const secret = {
  description: 'a string or a Uint8Array',
  anyOf: [{ type: 'string' }, { kind: 'bytes' }],
}

const keyMaterial = {
  description: 'PEM text, a JWK object, a KeyObject or a CryptoKey',
  anyOf: [{ type: 'string' }, { type: 'object' }],
}

const named = (what: string) => ({
  type: 'object',
  description: `${what} object with a non-empty string 'name'`,
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
})

/** The options schema; exported for docs and tests. */
export const optionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    secret,
    keys: {
      type: 'array',
      minItems: 1,
      maxItems: 32,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['alg'],
        properties: {
          kid: { type: 'string', minLength: 1, maxLength: 256 },
          alg: { enum: ALGORITHMS, description: `one of ${ALGORITHMS.join(', ')}` },
          secret,
          privateKey: keyMaterial,
          publicKey: keyMaterial,
          use: { enum: ['sign', 'verify'], description: "'sign' or 'verify'" },
        },
      },
    },
    jwksUrl: { type: 'string', minLength: 1, maxLength: 2048 },
    jwks: {
      type: 'object',
      additionalProperties: false,
      properties: { cacheMaxAge: duration, cooldown: duration, timeout: duration },
    },
    issuer: stringOrList,
    audience: stringOrList,
    accessTokenTtl: duration,
    clockTolerance: duration,
    maxTokenSize: { type: 'integer', minimum: 256, maximum: 65536 },
    verifyCacheSize: { type: 'integer', minimum: 0, maximum: 1_000_000 },
    storage: { type: 'object', description: 'a storage plugin object' },
    methods: { type: 'array', minItems: 1, maxItems: 32, items: named('a sign-in method') },
    plugins: { type: 'array', maxItems: 64, items: named('a plugin') },
    now: { kind: 'function', description: 'a function returning milliseconds since the epoch' },
  },
} as const
