/**
 * What the presets that speak to a provider without openid-client share
 * (github(), microsoft()): option checks, the callback's parameters, PKCE,
 * and JSON requests that are bounded in time and size. Internal to
 * `authcore/methods/oidc`.
 *
 * Errors thrown here say what failed (which request, which status) and
 * never carry a token, a code or a secret: the flow reports them as an
 * `error` event, which an app logs.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { UsageError, type RedirectAttempt } from '../../../lib/index.js'

/** A redirect method's name: lower-case letters, digits and '-'. */
export const METHOD_NAME = /^[a-z][a-z0-9-]{0,31}$/

/** Whether a URL's host is a loopback address (where plain http is allowed). */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** Whether a URL is one a provider may be reached at: https, or http on a loopback address. */
export function isSafeUrl(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url))
}

/**
 * A base URL option (an origin and maybe a path, no query, fragment or
 * credentials), https or loopback http, without its trailing '/'.
 */
export function baseUrlOption(who: string, option: string, value: unknown): string {
  let url: URL
  try {
    url = new URL(value as string)
  } catch {
    throw new UsageError(`${who}: ${option} must be an absolute URL`)
  }
  if (typeof value !== 'string' || !isSafeUrl(url)) throw new UsageError(`${who}: ${option} must use https (plain http only on a loopback address)`)
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '' || value.includes('?') || value.includes('#')) {
    throw new UsageError(`${who}: ${option} must be a plain base URL (no query, fragment or credentials)`)
  }
  return url.href.replace(/\/+$/, '')
}

/** The common options of a preset: its name, client id, callback URL and timeout. */
export function checkCommon(who: string, options: { name?: unknown; clientId?: unknown; callbackUrl?: unknown; timeout?: unknown }): void {
  if (options.name !== undefined && (typeof options.name !== 'string' || !METHOD_NAME.test(options.name))) {
    throw new UsageError(`${who}: name must be lower-case letters, digits and '-'`)
  }
  if (typeof options.clientId !== 'string' || options.clientId === '') throw new UsageError(`${who}: clientId is required`)
  if (options.callbackUrl !== undefined && typeof options.callbackUrl !== 'string') throw new UsageError(`${who}: callbackUrl must be a URL`)
  if (options.timeout !== undefined && !(typeof options.timeout === 'number' && options.timeout > 0 && options.timeout <= 120)) {
    throw new UsageError(`${who}: timeout must be a number of seconds (at most 120)`)
  }
}

/** The PKCE S256 challenge of a verifier (RFC 7636). */
export function pkceChallenge(codeVerifier: string): string {
  return createHash('sha256').update(codeVerifier, 'ascii').digest('base64url')
}

/** Compares two strings in time that depends on neither where they differ nor their lengths (both are hashed first). */
export function constantTimeEqual(a: string, b: string): boolean {
  const hash = (value: string) => createHash('sha256').update(value, 'utf8').digest()
  return timingSafeEqual(hash(a), hash(b))
}

/** The one value of a callback parameter; undefined when it is absent, empty or repeated (RFC 6749 §3.1). */
export function single(query: URLSearchParams, name: string): string | undefined {
  const values = query.getAll(name)
  return values.length === 1 && values[0] !== '' ? values[0] : undefined
}

/**
 * Checks the provider's redirect back (RFC 6749 §4.1.2): no `error`, the
 * attempt's `state` (compared in constant time), and one `code`, which it
 * answers. Throws otherwise.
 */
export function authorizationCode(who: string, callbackUrl: URL, attempt: RedirectAttempt): string {
  const query = callbackUrl.searchParams
  if (query.has('error')) throw new Error(`${who}: the provider answered with an error (${describe(query.get('error'))})`)
  const state = single(query, 'state')
  if (state === undefined || !constantTimeEqual(state, attempt.state)) throw new Error(`${who}: the callback's state is not the attempt's`)
  const code = single(query, 'code')
  if (code === undefined || code.length > 2048) throw new Error(`${who}: the callback carries no single code`)
  return code
}

/** A provider's short error code, safe to log (never its free text). */
export function describe(value: unknown): string {
  return typeof value === 'string' && /^[\w.-]{1,64}$/.test(value) ? value : 'unspecified'
}

/** How a JSON request to a provider is made and bounded. */
export interface JsonRequest {
  /** Names the request in errors: `'github: the token request'`. */
  readonly what: string
  readonly method?: 'GET' | 'POST'
  readonly headers?: Record<string, string>
  /** Sent as `application/x-www-form-urlencoded`. */
  readonly form?: URLSearchParams
  /** Seconds before the request is aborted. */
  readonly timeout: number
  /** Bytes of the answer past which it is refused unread. */
  readonly maxBytes: number
}

/**
 * Makes a request and answers its JSON body. Throws on a failure to
 * connect, a timeout, a redirect or any status but 2xx, a body that is not
 * JSON or is larger than `maxBytes`, or a content type that is not JSON.
 */
export async function fetchJson(url: string, request: JsonRequest): Promise<unknown> {
  const signal = AbortSignal.timeout(request.timeout * 1000)
  const headers = new Headers({ accept: 'application/json', ...request.headers })
  if (request.form) headers.set('content-type', 'application/x-www-form-urlencoded')
  let response: Response
  try {
    response = await fetch(url, { method: request.method ?? (request.form ? 'POST' : 'GET'), headers, body: request.form, redirect: 'manual', signal })
  } catch (cause) {
    throw new Error(`${request.what} failed (${signal.aborted ? `no answer within ${request.timeout}s` : 'no connection'})`, { cause })
  }
  try {
    if (response.status < 200 || response.status > 299) {
      const body = await readBody(response, 16 * 1024, signal).then((text) => JSON.parse(text) as unknown).catch(() => undefined)
      const error = (body as { error?: unknown } | undefined)?.error
      throw new Error(`${request.what} answered ${response.status}${error === undefined ? '' : ` (${describe(error)})`}`)
    }
    const type = response.headers.get('content-type') ?? ''
    if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) throw new Error(`${request.what} answered ${type === '' ? 'no content type' : 'a content type other than JSON'}`)
    const text = await readBody(response, request.maxBytes, signal).catch((cause: unknown) => {
      throw new Error(`${request.what}: ${cause instanceof RangeError ? `the answer is larger than ${request.maxBytes} bytes` : signal.aborted ? `no answer within ${request.timeout}s` : 'the answer could not be read'}`)
    })
    try {
      return JSON.parse(text) as unknown
    } catch {
      throw new Error(`${request.what} answered malformed JSON`)
    }
  } finally {
    // Whatever was not read (an error's body past 16 KiB) frees the connection.
    await response.body?.cancel().catch(() => undefined)
  }
}

/** Reads a body as UTF-8 text, refusing (RangeError) as soon as it passes `maxBytes`. */
async function readBody(response: Response, maxBytes: number, signal: AbortSignal): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes) throw new RangeError('too large')
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    if (signal.aborted) throw new Error('timed out')
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw new RangeError('too large')
    }
    chunks.push(value)
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
}

/** Whether a value is a JSON object (not an array or null). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
