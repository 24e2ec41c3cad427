import { Ajv, type ErrorObject } from 'ajv'
import { isIP } from 'node:net'
import { toSeconds } from './duration.js'
import { AuthError } from './errors.js'
import type { AuthCoreOptions } from './options.js'
import { optionsSchema } from './options-schema.js'
import type { AuthPlugin, SignInMethod } from './plugin-types.js'
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
  readonly maxTokenSize: number
  readonly verifyCacheSize: number
  readonly storage: StoragePlugin | undefined
  readonly methods: readonly SignInMethod[] | undefined
  readonly plugins: readonly AuthPlugin[]
  readonly now: () => number
}

const ajv = new Ajv({ allErrors: true, verbose: true, strict: true })
ajv.addKeyword({
  keyword: 'kind',
  schemaType: 'string',
  validate: (kind: string, data: unknown) =>
    kind === 'bytes' ? data instanceof Uint8Array : kind === 'function' ? typeof data === 'function' : false,
})
const validateSchema = ajv.compile(optionsSchema)

/** `/keys/0/alg` -> `keys[0].alg` */
function fieldName(path: string): string {
  return path
    .split('/')
    .slice(1)
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '')
}

/** ajv's phrasing for the keywords left over, in plainer words. */
function plain(error: ErrorObject): string {
  const p = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'type': return `must be ${p.type === 'integer' ? 'a whole number' : `of type ${String(p.type)}`}`
    case 'minimum': return `must be at least ${String(p.limit)}`
    case 'maximum': return `must be at most ${String(p.limit)}`
    case 'minItems': return `must have at least ${String(p.limit)} item(s)`
    case 'maxItems': return `must have at most ${String(p.limit)} items`
    case 'minLength': return `must be at least ${String(p.limit)} character(s) long`
    case 'maxLength': return `must be at most ${String(p.limit)} characters long`
    default: return error.message ?? 'is invalid'
  }
}

/**
 * Turns ajv's errors into one sentence per bad field. Where a schema node has
 * a `description`, its failure (and its branches') reads "<field> must be
 * <description>".
 */
function describe(errors: readonly ErrorObject[]): string[] {
  const lines = new Map<string, string>()
  const describedPaths = errors.filter((e) => typeof e.parentSchema?.description === 'string').map((e) => e.instancePath)
  for (const error of errors) {
    // A described field reports once: drop failures inside it (its branches' items).
    if (describedPaths.some((p) => error.instancePath.startsWith(`${p}/`))) continue
    const field = fieldName(error.instancePath)
    const described = errors.find(
      (e) => e.instancePath === error.instancePath && typeof e.parentSchema?.description === 'string' &&
        error.schemaPath.startsWith(e.schemaPath.slice(0, e.schemaPath.lastIndexOf('/'))),
    )
    let line: string
    if (error.keyword === 'additionalProperties') {
      const extra = String(error.params.additionalProperty)
      line = field ? `${field}.${extra} is not a known option` : `'${extra}' is not a known option`
    } else if (error.keyword === 'required') {
      line = `${field ? `${field}.` : ''}${String(error.params.missingProperty)} is required`
    } else if (described) {
      line = `${field} must be ${String(described.parentSchema!.description)}`
    } else {
      line = `${field || 'options'} ${plain(error)}`
    }
    lines.set(line, line)
  }
  return [...lines.values()]
}

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
      keys.push(normalizeKey(key, options.secret !== undefined ? 'secret' : `keys[${i}]`))
    } catch (err) {
      if (!(err instanceof KeyMaterialError)) throw err
      problems.push(err.message.replace(/^secret\.secret/, 'secret'))
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
  if (input === null || typeof input !== 'object') throw new TypeError('new AuthCore(options) needs an options object')
  const valid = validateSchema(input)
  const problems = valid ? [] : describe(validateSchema.errors ?? [])
  const options = input
  const bad = (field: string) => problems.some((p) => p.startsWith(field))

  if (options.secret === undefined && options.keys === undefined && options.jwksUrl === undefined) {
    problems.push('give a secret (at least 32 bytes), keys, or a jwksUrl to verify tokens with')
  }
  const keys = bad('secret') || bad('keys') ? [] : resolveKeys(options, problems)
  const jwksUrl = options.jwksUrl === undefined || bad('jwksUrl') ? undefined : checkJwksUrl(options.jwksUrl, problems)
  const seconds = (field: keyof AuthCoreOptions, fallback: number) =>
    bad(field) || options[field] === undefined ? fallback : toSeconds(options[field] as number | string)
  const accessTokenTtl = seconds('accessTokenTtl', 15 * 60)
  const clockTolerance = seconds('clockTolerance', 5)
  if (accessTokenTtl < 1 || accessTokenTtl > 86400) problems.push('accessTokenTtl must be between 1 second and 1 day')
  if (clockTolerance > 300) problems.push('clockTolerance must be at most 5 minutes')
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
    maxTokenSize: options.maxTokenSize ?? 8192,
    verifyCacheSize: options.verifyCacheSize ?? 10_000,
    storage: options.storage,
    methods: options.methods === undefined ? undefined : Object.freeze([...options.methods]),
    plugins: Object.freeze([...(options.plugins ?? [])]),
    now: options.now ?? Date.now,
  })
}
