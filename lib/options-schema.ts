import { DEFAULT_RULES } from './access.js'
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

const role = {
  type: 'string',
  pattern: '^[A-Za-z0-9_.:-]{1,64}$',
  description: 'a role name of 1 to 64 letters, digits or _ . : -',
}
const roles = { type: 'array', maxItems: 64, items: role }
const positiveInt = (max: number) => ({ type: 'integer', minimum: 1, maximum: max })

const addressLimit = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 1_000_000 }, window: duration },
}

const linkPath = {
  type: 'string',
  maxLength: 512,
  pattern: "^(/[A-Za-z0-9._~!$&'()*+,;=:@-]*)+$",
  description: "a path under appUrl such as '/reset-password' (no query or fragment)",
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
    refreshTokenTtl: duration,
    sessionIdleTimeout: duration,
    refreshGraceWindow: duration,
    strictVerify: { type: 'boolean' },
    strictVerifyCacheTtl: duration,
    maxTokenSize: { type: 'integer', minimum: 256, maximum: 65536 },
    verifyCacheSize: { type: 'integer', minimum: 0, maximum: 1_000_000 },
    storage: { type: 'object', description: 'a storage plugin object' },
    mailer: {
      type: 'object',
      required: ['name', 'send'],
      properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, send: { kind: 'function' } },
      description: "a mailer object with a 'name' and a send(message) function",
    },
    appUrl: { type: 'string', minLength: 1, maxLength: 512, description: "the app's public origin, such as 'https://app.example.com'" },
    redirectUrls: { type: 'array', maxItems: 64, items: { type: 'string', minLength: 1, maxLength: 2048 } },
    trustedProviders: { type: 'array', maxItems: 64, items: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } },
    emailVerification: { enum: ['off', 'optional', 'required'], description: "'off', 'optional' or 'required'" },
    accountEmail: {
      type: 'object',
      additionalProperties: false,
      properties: {
        templates: {
          type: 'object',
          additionalProperties: false,
          properties: Object.fromEntries(
            ['password-reset', 'password-changed', 'email-verification', 'email-change', 'email-change-notice', 'sign-up-attempt']
              .map((kind) => [kind, { kind: 'function', description: 'a function returning { subject, text, html? }' }]),
          ),
        },
        links: {
          type: 'object',
          additionalProperties: false,
          properties: { resetPassword: linkPath, verifyEmail: linkPath },
        },
        resetTtl: duration,
        verificationTtl: duration,
        confirmationPages: { type: 'boolean' },
      },
    },
    methods: { type: 'array', minItems: 1, maxItems: 32, items: named('a sign-in method') },
    plugins: { type: 'array', maxItems: 64, items: named('a plugin') },
    defaultRole: role,
    adminRoles: roles,
    signUpRoles: roles,
    rules: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(
        Object.keys(DEFAULT_RULES).map((rule) => [rule, { kind: 'function', description: 'a function' }]),
      ),
    },
    passwordPolicy: {
      type: 'object',
      additionalProperties: false,
      properties: {
        minLength: { type: 'integer', minimum: 8, maximum: 1024 },
        maxLength: { type: 'integer', minimum: 8, maximum: 1024 },
        blockCommon: { type: 'boolean' },
        blocklist: { type: 'array', maxItems: 100_000, items: { type: 'string', minLength: 1, maxLength: 1024 } },
        argon2: {
          type: 'object',
          additionalProperties: false,
          properties: {
            memoryCost: { type: 'integer', minimum: 19456, maximum: 4_194_304 },
            timeCost: { type: 'integer', minimum: 2, maximum: 100 },
            parallelism: { type: 'integer', minimum: 1, maximum: 64 },
          },
        },
        hasher: { type: 'object', description: 'an object with hash, verify and needsRehash functions' },
        maxConcurrentHashes: positiveInt(256),
        maxQueuedHashes: { type: 'integer', minimum: 0, maximum: 100_000 },
      },
    },
    rateLimit: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        store: {
          description: "'memory', 'storage' or a rate-limit store object",
          anyOf: [{ enum: ['memory', 'storage'] }, { type: 'object' }],
        },
        failMode: { enum: ['closed', 'open'], description: "'closed' or 'open'" },
        signIn: addressLimit,
        signUp: addressLimit,
        refresh: addressLimit,
        scopes: {
          type: 'object',
          maxProperties: 256,
          propertyNames: { pattern: '^[a-z][a-z0-9-]{0,31}:[a-z][a-z0-9-]{0,31}$' },
          additionalProperties: addressLimit,
          description: "an object of '<plugin>:<scope>' names to { limit, window }",
        },
        account: {
          type: 'object',
          additionalProperties: false,
          properties: {
            freeAttempts: { type: 'integer', minimum: 0, maximum: 100 },
            lockAfter: { type: 'integer', minimum: 1, maximum: 100 },
            window: duration,
            delay: duration,
            maxDelay: duration,
            dailyFailures: { type: 'integer', minimum: 1, maximum: 100 },
          },
        },
      },
    },
    basePath: {
      type: 'string',
      maxLength: 512,
      pattern: "^(/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+$",
      description: "a path such as '/auth' (starts with '/', no trailing '/', no empty segments)",
    },
    maxBodySize: { type: 'integer', minimum: 1024, maximum: 1_048_576 },
    now: { kind: 'function', description: 'a function returning milliseconds since the epoch' },
  },
} as const
