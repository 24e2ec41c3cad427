import { Ajv, type ErrorObject } from 'ajv'
import { UsageError } from './errors.js'

/*
 * Shared schema plumbing: one ajv instance and the translation of its errors
 * into one plain sentence per bad field, for options and request input alike.
 * `kind` is a custom keyword for values JSON Schema has no type for.
 */

/** The one ajv instance: strict, all errors, with the parent schema kept for messages. */
export const ajv = new Ajv({ allErrors: true, verbose: true, strict: true })
ajv.addKeyword({
  keyword: 'kind',
  schemaType: 'string',
  validate: (kind: string, data: unknown) =>
    kind === 'bytes' ? data instanceof Uint8Array : kind === 'function' ? typeof data === 'function' : false,
})

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
export function describeErrors(errors: readonly ErrorObject[], noun: 'option' | 'field'): string[] {
  // Described failures by path, so each error is placed in time linear in its depth, not in the error count.
  const described = new Map<string, ErrorObject[]>()
  for (const error of errors) {
    if (typeof error.parentSchema?.description !== 'string') continue
    const list = described.get(error.instancePath)
    if (list) list.push(error)
    else described.set(error.instancePath, [error])
  }
  const lines = new Set<string>()
  for (const error of errors) {
    // A described field reports once: drop failures inside it (its branches' items).
    if (insideDescribed(error.instancePath, described)) continue
    const field = fieldName(error.instancePath)
    const own = described.get(error.instancePath)?.find(
      (e) => error.schemaPath.startsWith(e.schemaPath.slice(0, e.schemaPath.lastIndexOf('/'))),
    )
    let line: string
    if (error.keyword === 'additionalProperties') {
      const extra = String(error.params.additionalProperty)
      line = field ? `${field}.${extra} is not a known ${noun}` : `'${extra}' is not a known ${noun}`
    } else if (error.keyword === 'required') {
      line = `${field ? `${field}.` : ''}${String(error.params.missingProperty)} is required`
    } else if (own) {
      line = `${field} must be ${String(own.parentSchema!.description)}`
    } else {
      line = `${field || (noun === 'option' ? 'options' : 'input')} ${plain(error)}`
    }
    lines.add(line)
  }
  return [...lines]
}

/** Whether a proper ancestor of `path` (`''` is the root) has a described failure. */
function insideDescribed(path: string, described: ReadonlyMap<string, unknown>): boolean {
  if (described.size === 0) return false
  for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
    if (described.has(path.slice(0, slash))) return true
  }
  return false
}

/**
 * A check for a plugin's options, or any value trusted code hands a plugin,
 * compiled once from a JSON Schema with AuthCore's ajv (strict, every error
 * collected; the `kind` keyword accepts `'function'` and `'bytes'` for what
 * JSON has no type for). The check throws a {@link UsageError} (a
 * `TypeError` with the code `ERR_AUTH_USAGE`) that names every bad field in
 * one sentence each and never shows a value, so a password in a bad option
 * cannot reach a log. For untrusted input (a request body), declare a
 * route `input` schema instead: that answers `ERR_AUTH_INPUT_INVALID`.
 *
 * ```ts
 * const check = optionsCheck({ type: 'object', additionalProperties: false, required: ['url'],
 *   properties: { url: { type: 'string', pattern: '^smtps?://' } } }, 'smtpMailer')
 * check(options) // UsageError: smtpMailer: url must match pattern "^smtps?://"
 * ```
 * @throws UsageError when the schema itself does not compile.
 */
export function optionsCheck(schema: object, where: string): (value: unknown) => void {
  let validate: ReturnType<typeof ajv.compile>
  try {
    validate = ajv.compile(schema)
  } catch (cause) {
    throw new UsageError(`${where}: the options schema does not compile: ${(cause as Error).message}`)
  }
  return (value) => {
    if (!validate(value)) throw new UsageError(`${where}: ${describeErrors(validate.errors ?? [], 'option').join('; ')}`)
  }
}
