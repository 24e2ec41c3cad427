import { isIP } from 'node:net'
import { DEFAULT_RULES, type AccessRules } from './access.js'
import { toSeconds } from './duration.js'
import type { PasswordOptions } from './passwords/service.js'
import { REQUIRED_RATE_LIMIT_OPERATIONS, type RateLimitStore } from './rate-limit-types.js'
import { resolveRateLimit, type RateLimitSettings } from './rate-limit/settings.js'
import { AuthError, UsageError } from './errors.js'
import type { AuthCoreOptions } from './options.js'
import { optionsSchema } from './options-schema.js'
import { ajv, describeErrors } from './schema.js'
import type { AuthPlugin } from './plugin-types.js'
import type { SignInMethod } from './method-types.js'
import type { Mailer } from './mailer-types.js'
import type { AccountEmailOptions } from './account-email-types.js'
import type { StoragePlugin } from './storage-types.js'
import { KeyMaterialError, normalizeKey, type NormalizedKey } from './tokens/key-material.js'

/** Options after validation: durations in seconds, keys parsed, defaults filled in. Frozen. */
export interface ResolvedOptions {
  readonly keys: readonly NormalizedKey[]
  readonly jwksUrl: URL | undefined
  readonly jwks: { readonly cacheMaxAge: number; readonly cooldown: number; readonly timeout: number }
  readonly issuer: readonly string[] | undefined
  readonly audience: readonly string[] | undefined
  readonly accessTokenTtl: number
  readonly clockTolerance: number
  readonly refreshTokenTtl: number
  readonly sessionIdleTimeout: number
  readonly refreshGraceWindow: number
  readonly strictVerify: boolean
  readonly strictVerifyCacheTtl: number
  readonly maxTokenSize: number
  readonly verifyCacheSize: number
  readonly storage: StoragePlugin | undefined
  readonly mailer: Mailer | undefined
  /** The public origin links point under, without a trailing '/' (undefined when not set). */
  readonly appUrl: string | undefined
  readonly emailVerification: 'off' | 'optional' | 'required'
  /** Exact URLs, as written (compared whole). */
  readonly redirectUrls: readonly string[]
  readonly trustedProviders: ReadonlySet<string>
  readonly accountEmail: AccountEmailOptions
  readonly methods: readonly SignInMethod[] | undefined
  readonly plugins: readonly AuthPlugin[]
  readonly defaultRole: string
  readonly adminRoles: ReadonlySet<string>
  readonly signUpRoles: ReadonlySet<string>
  readonly rules: Required<AccessRules>
  readonly passwordPolicy: PasswordOptions
  readonly rateLimit: RateLimitSettings
  /** The counter store as configured (resolved to a store at `ready()`). */
  readonly rateLimitStore: 'memory' | 'storage' | RateLimitStore
  readonly basePath: string
  readonly maxBodySize: number
  readonly now: () => number
}

const validateSchema = ajv.compile(optionsSchema)

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '')
  if (host === 'localhost' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}

function checkJwksUrl(raw: string, problems: string[]): URL | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    problems.push('jwksUrl must be an absolute URL')
    return undefined
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname))) return url
  problems.push('jwksUrl must use https (plain http is allowed only on a loopback address)')
  return undefined
}

/** `appUrl`: an absolute https origin (http only on loopback), maybe with a path; no credentials, query or fragment. */
function checkAppUrl(raw: string, problems: string[]): string | undefined {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    problems.push("appUrl must be an absolute URL such as 'https://app.example.com'")
    return undefined
  }
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname)))) {
    problems.push('appUrl must use https (plain http is allowed only on a loopback address)')
  } else if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '' || raw.includes('?') || raw.includes('#')) {
    problems.push('appUrl must not carry credentials, a query or a fragment')
  } else {
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
  }
  return undefined
}

function uniqueNames(list: readonly { name: string }[] | undefined, field: string, problems: string[]): void {
  const seen = new Set<string>()
  for (const item of list ?? []) {
    if (seen.has(item.name)) problems.push(`${field} has two entries named '${item.name}'; names must be unique`)
    seen.add(item.name)
  }
}

function resolveKeys(options: AuthCoreOptions, problems: string[]): NormalizedKey[] {
  if (options.secret !== undefined && options.keys !== undefined) {
    problems.push('give either secret or keys, not both')
    return []
  }
  const configured = options.secret !== undefined ? [{ alg: 'HS256' as const, secret: options.secret }] : options.keys ?? []
  const keys: NormalizedKey[] = []
  configured.forEach((key, i) => {
    try {
      keys.push(options.secret !== undefined ? normalizeKey(key, 'secret', 'secret') : normalizeKey(key, `keys[${i}]`))
    } catch (err) {
      if (!(err instanceof KeyMaterialError)) throw err
      problems.push(err.message)
    }
  })
  const signing = keys.filter((k) => k.use === 'sign')
  if (signing.length > 1) problems.push(`keys has ${signing.length} signing keys; mark all but one with use: 'verify'`)
  const kids = keys.map((k) => k.kid).filter((kid) => kid !== undefined)
  if (new Set(kids).size !== kids.length) problems.push('keys has two keys with the same kid')
  return keys
}

const list = (v: string | string[] | undefined) => (v === undefined ? undefined : Object.freeze([v].flat()))

/**
 * Validates options once and returns them resolved and frozen. Throws one
 * `ERR_AUTH_OPTIONS_INVALID` naming every bad field; ajv's raw errors are in
 * `details`.
 */
export function resolveOptions(input: AuthCoreOptions): ResolvedOptions {
  if (input === null || typeof input !== 'object') throw new UsageError('new AuthCore(options) needs an options object')
  const valid = validateSchema(input)
  const problems = valid ? [] : describeErrors(validateSchema.errors ?? [], 'option')
  const options = input
  const bad = (field: string) => problems.some((p) => p.startsWith(field))

  if (options.secret === undefined && options.keys === undefined && options.jwksUrl === undefined) {
    problems.push('give a secret (at least 32 bytes), keys, or a jwksUrl to verify tokens with')
  }
  const keys = bad('secret') || bad('keys') ? [] : resolveKeys(options, problems)
  const jwksUrl = options.jwksUrl === undefined || bad('jwksUrl') ? undefined : checkJwksUrl(options.jwksUrl, problems)
  if (options.jwksUrl !== undefined && options.issuer === undefined && options.audience === undefined) {
    // A shared key set (a big identity provider's) signs tokens for every app it serves.
    problems.push('jwksUrl needs issuer or audience too, or any token its keys sign would be accepted (ID tokens, other apps\' tokens)')
  }
  const seconds = (field: keyof AuthCoreOptions, fallback: number) =>
    bad(field) || options[field] === undefined ? fallback : toSeconds(options[field] as number | string)
  const accessTokenTtl = seconds('accessTokenTtl', 15 * 60)
  const clockTolerance = seconds('clockTolerance', 5)
  const refreshTokenTtl = seconds('refreshTokenTtl', 30 * 86400)
  const sessionIdleTimeout = seconds('sessionIdleTimeout', 7 * 86400)
  const refreshGraceWindow = seconds('refreshGraceWindow', 5)
  const strictVerifyCacheTtl = seconds('strictVerifyCacheTtl', 5)
  if (refreshTokenTtl < 60) problems.push('refreshTokenTtl must be at least 1 minute')
  if (sessionIdleTimeout < 60) problems.push('sessionIdleTimeout must be at least 1 minute')
  if (refreshGraceWindow > 60) problems.push('refreshGraceWindow must be at most 1 minute')
  if (strictVerifyCacheTtl > 300) problems.push('strictVerifyCacheTtl must be at most 5 minutes')
  if (accessTokenTtl < 1 || accessTokenTtl > 86400) problems.push('accessTokenTtl must be between 1 second and 1 day')
  if (clockTolerance > 300) problems.push('clockTolerance must be at most 5 minutes')
  const adminRoles = new Set(options.adminRoles ?? ['admin'])
  const defaultRole = options.defaultRole ?? 'user'
  if (!bad('signUpRoles') && !bad('adminRoles')) {
    for (const role of options.signUpRoles ?? []) {
      if (adminRoles.has(role)) problems.push(`signUpRoles must not include the admin role '${role}': anyone could sign up as an admin`)
    }
  }
  if (!bad('defaultRole') && !bad('adminRoles') && adminRoles.has(defaultRole)) {
    problems.push(`defaultRole '${defaultRole}' is an admin role: every new user would be an admin`)
  }
  const policy = options.passwordPolicy
  if (policy?.minLength !== undefined && policy.maxLength !== undefined && policy.minLength > policy.maxLength) {
    problems.push('passwordPolicy.minLength must not exceed passwordPolicy.maxLength')
  }
  if (!bad('basePath') && options.basePath?.split('/').some((segment) => segment === '.' || segment === '..')) {
    problems.push("basePath must not contain '.' or '..' segments")
  }
  const store = options.rateLimit?.store
  if (!bad('rateLimit') && typeof store === 'object') {
    const missing = REQUIRED_RATE_LIMIT_OPERATIONS.filter((fn) => typeof (store as unknown as Record<string, unknown>)[fn] !== 'function')
    if (missing.length) problems.push(`rateLimit.store lacks ${missing.join(', ')}`)
  }
  const appUrl = options.appUrl === undefined || bad('appUrl') ? undefined : checkAppUrl(options.appUrl, problems)
  if (options.mailer !== undefined && options.appUrl === undefined) {
    problems.push('appUrl is required with a mailer: it is the public origin every link in a mail points under')
  }
  const emailVerification = options.emailVerification ?? (options.mailer === undefined ? 'off' : 'optional')
  if (emailVerification !== 'off' && options.mailer === undefined && !bad('emailVerification')) {
    problems.push(`emailVerification '${emailVerification}' needs a mailer to send the links`)
  }
  const account = options.accountEmail ?? {}
  if (!bad('accountEmail')) {
    const within = (field: 'resetTtl' | 'verificationTtl', min: number, max: number, words: string) => {
      if (account[field] !== undefined) {
        const value = toSeconds(account[field])
        if (value < min || value > max) problems.push(`accountEmail.${field} must be ${words}`)
      }
    }
    within('resetTtl', 60, 86_400, 'from 1 minute to 1 day')
    within('verificationTtl', 60, 7 * 86_400, 'from 1 minute to 7 days')
  }
  if (!bad('redirectUrls')) {
    for (const raw of options.redirectUrls ?? []) {
      let url: URL | undefined
      try {
        url = new URL(raw)
      } catch {
        problems.push(`redirectUrls: '${raw}' is not an absolute URL`)
        continue
      }
      if (!(url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname)))) {
        problems.push(`redirectUrls: '${raw}' must use https (plain http only on a loopback address)`)
      } else if (url.hash !== '' || raw.includes('#') || url.username !== '' || url.password !== '') {
        problems.push(`redirectUrls: '${raw}' must not carry a fragment or credentials`)
      } else if (url.href !== raw) {
        // Compared whole against what the browser sends: only the canonical spelling can match.
        problems.push(`redirectUrls: write '${raw}' as '${url.href}'`)
      }
    }
  }
  if (!bad('trustedProviders')) {
    for (const name of options.trustedProviders ?? []) {
      if (!(options.methods ?? []).some((m) => m.name === name && m.kind === 'redirect')) {
        problems.push(`trustedProviders: '${name}' is not a configured redirect method`)
      }
    }
  }
  if (!bad('methods')) uniqueNames(options.methods, 'methods', problems)
  if (!bad('plugins')) uniqueNames(options.plugins, 'plugins', problems)

  if (problems.length > 0) {
    const message = `Invalid AuthCore options:\n- ${problems.join('\n- ')}`
    throw new AuthError('ERR_AUTH_OPTIONS_INVALID', message, { details: { problems, errors: validateSchema.errors ?? [] } })
  }

  const jwks = options.jwks ?? {}
  return Object.freeze({
    keys: Object.freeze(keys),
    jwksUrl,
    jwks: Object.freeze({
      cacheMaxAge: toSeconds(jwks.cacheMaxAge ?? 600),
      cooldown: toSeconds(jwks.cooldown ?? 30),
      timeout: toSeconds(jwks.timeout ?? 5),
    }),
    issuer: list(options.issuer),
    audience: list(options.audience),
    accessTokenTtl,
    clockTolerance,
    refreshTokenTtl,
    sessionIdleTimeout,
    refreshGraceWindow,
    strictVerify: options.strictVerify ?? false,
    strictVerifyCacheTtl,
    maxTokenSize: options.maxTokenSize ?? 8192,
    verifyCacheSize: options.verifyCacheSize ?? 10_000,
    storage: options.storage,
    mailer: options.mailer,
    appUrl,
    emailVerification,
    redirectUrls: Object.freeze([...(options.redirectUrls ?? [])]),
    trustedProviders: new Set(options.trustedProviders ?? []),
    accountEmail: Object.freeze({ ...account }),
    methods: options.methods === undefined ? undefined : Object.freeze([...options.methods]),
    plugins: Object.freeze([...(options.plugins ?? [])]),
    defaultRole,
    adminRoles,
    signUpRoles: new Set(options.signUpRoles ?? []),
    rules: Object.freeze({ ...DEFAULT_RULES, ...options.rules }),
    passwordPolicy: Object.freeze({ ...options.passwordPolicy }),
    rateLimit: bad('rateLimit') ? resolveRateLimit() : resolveRateLimit(options.rateLimit),
    rateLimitStore: options.rateLimit?.store ?? 'memory',
    basePath: options.basePath ?? '/auth',
    maxBodySize: options.maxBodySize ?? 16_384,
    now: options.now ?? Date.now,
  })
}
