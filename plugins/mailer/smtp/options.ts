/**
 * The options of `smtpMailer`, their schema, and their resolution into the
 * settings the transport is created with. Everything is checked when the
 * mailer is built, so a typo fails at start-up rather than on the first
 * password reset.
 */
import { BlockList, isIP } from 'node:net'
import { UsageError } from '../../../lib/index.js'
import { idempotencySchema, type IdempotencyOptions } from '../idempotency.js'
import { recipient } from '../message.js'
import { mailerOptionsCheck, milliseconds, NO_CONTROL } from '../options.js'

/** Options of `smtpMailer`. */
export interface SmtpMailerOptions {
  /**
   * The server: `smtp://host[:port]` (port 587 by default; STARTTLS, required
   * unless the host is a loopback address) or `smtps://host[:port]` (TLS from
   * the first byte, port 465 by default). Nothing else: no credentials (give
   * them in `auth`, since URLs end up in logs), path or query.
   */
  url: string
  /** The sender: one address, such as `no-reply@example.com`. */
  from: string
  /** A display name for the sender (`"Example" <no-reply@example.com>`), encoded as needed. */
  fromName?: string
  /** Credentials for SMTP AUTH, by a method the server offers (PLAIN or LOGIN, usually). Default: no AUTH. */
  auth?: { user: string; pass: string }
  /**
   * For `smtp://`: refuse to send unless the server upgrades the connection
   * with STARTTLS, so an attacker who strips the upgrade cannot read links in
   * transit. Default `true`, except for a loopback host (a local relay).
   */
  requireTLS?: boolean
  /** Milliseconds to wait, each at most 5 minutes. */
  timeouts?: {
    /** For the TCP (and TLS) connection, DNS look-up included. Default 10 000. */
    connection?: number
    /** For the server's greeting once connected. Default 10 000. */
    greeting?: number
    /** Of silence on an open connection before it is given up. Default 10 000. */
    socket?: number
  }
  /**
   * Keep connections open and reuse them (`true`, or limits) instead of one
   * connection per message. Default `false`.
   */
  pool?: boolean | { maxConnections?: number; maxMessages?: number }
  /** How long and how many idempotency keys are remembered. */
  idempotency?: IdempotencyOptions
}

/** The options after checking: what the transport is created with. */
export interface SmtpSettings {
  readonly host: string
  readonly port: number
  /** TLS from the start (`smtps:`). */
  readonly secure: boolean
  readonly requireTLS: boolean
  readonly from: { readonly name: string; readonly address: string }
  readonly auth: { readonly user: string; readonly pass: string } | undefined
  readonly timeouts: { readonly connection: number; readonly greeting: number; readonly socket: number }
  readonly pool: { readonly maxConnections: number; readonly maxMessages: number } | undefined
  readonly idempotency: IdempotencyOptions | undefined
}

const NAME = 'smtpMailer'
const DEFAULT_TIMEOUT = 10_000
const timeout = milliseconds(300_000)

const checkOptions = mailerOptionsCheck({
  type: 'object',
  additionalProperties: false,
  required: ['url', 'from'],
  properties: {
    url: { type: 'string', minLength: 1, maxLength: 2048 },
    from: { type: 'string', minLength: 1, maxLength: 1024, pattern: NO_CONTROL },
    fromName: { type: 'string', minLength: 1, maxLength: 128, pattern: NO_CONTROL, description: 'a name of 1 to 128 characters without control characters' },
    auth: {
      type: 'object',
      additionalProperties: false,
      required: ['user', 'pass'],
      properties: {
        user: { type: 'string', minLength: 1, maxLength: 1024, pattern: NO_CONTROL },
        pass: { type: 'string', minLength: 1, maxLength: 1024 },
      },
    },
    requireTLS: { type: 'boolean' },
    timeouts: {
      type: 'object',
      additionalProperties: false,
      properties: { connection: timeout, greeting: timeout, socket: timeout },
    },
    pool: {
      description: 'true, false or { maxConnections?, maxMessages? } with whole numbers',
      anyOf: [
        { type: 'boolean' },
        {
          type: 'object',
          additionalProperties: false,
          properties: {
            maxConnections: { type: 'integer', minimum: 1, maximum: 100 },
            maxMessages: { type: 'integer', minimum: 1, maximum: 100_000 },
          },
        },
      ],
    },
    idempotency: idempotencySchema,
  },
}, NAME)

/**
 * Checks `options` and resolves defaults. Throws `UsageError` naming the bad
 * field; no message repeats a value (the URL or the password).
 */
export function resolveSmtpOptions(options: SmtpMailerOptions): SmtpSettings {
  checkOptions(options)
  const server = parseServerUrl(options.url)
  // 'Name <address>' is the common form elsewhere: say where the name goes.
  if (typeof options.from === 'string' && /[<>]/.test(options.from)) {
    throw new UsageError(`${NAME}: from must be the address alone (noreply@example.com); put a display name in fromName`)
  }
  const from = recipient(options.from, NAME, 'from').email
  const pool = options.pool === true ? {} : options.pool || undefined
  return Object.freeze({
    ...server,
    requireTLS: options.requireTLS ?? (!server.secure && !isLoopback(server.host)),
    from: Object.freeze({ name: options.fromName ?? '', address: from }),
    auth: options.auth && Object.freeze({ user: options.auth.user, pass: options.auth.pass }),
    timeouts: Object.freeze({
      connection: options.timeouts?.connection ?? DEFAULT_TIMEOUT,
      greeting: options.timeouts?.greeting ?? DEFAULT_TIMEOUT,
      socket: options.timeouts?.socket ?? DEFAULT_TIMEOUT,
    }),
    pool: pool && Object.freeze({ maxConnections: pool.maxConnections ?? 5, maxMessages: pool.maxMessages ?? 100 }),
    idempotency: options.idempotency,
  })
}

// A DNS name (letters, digits, hyphens, dots) or a bracketed IPv6 address.
// The URL parser leaves the host of a non-web scheme as written, so
// percent-escapes and other characters would reach DNS unchecked.
const HOST_RE = /^(?:[A-Za-z0-9-]+\.)*[A-Za-z0-9-]+\.?$|^\[[0-9A-Fa-f:.]+\]$/

function parseServerUrl(raw: string): { host: string; port: number; secure: boolean } {
  const shape = 'url must be smtp://host[:port] or smtps://host[:port]'
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new UsageError(`${NAME}: ${shape}`)
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new UsageError(`${NAME}: ${shape}`)
  if (url.username !== '' || url.password !== '') {
    throw new UsageError(`${NAME}: url must not hold credentials; give them in auth`)
  }
  if (!HOST_RE.test(url.hostname) || (url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    throw new UsageError(`${NAME}: ${shape}`)
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (url.hostname.startsWith('[') && isIP(host) !== 6) throw new UsageError(`${NAME}: ${shape}`)
  const secure = url.protocol === 'smtps:'
  const port = url.port === '' ? (secure ? 465 : 587) : Number(url.port)
  if (port === 0) throw new UsageError(`${NAME}: url must name a port from 1 to 65535`)
  return { host, port, secure }
}

const loopback = new BlockList()
loopback.addSubnet('127.0.0.0', 8, 'ipv4')
loopback.addAddress('::1', 'ipv6')

/** `localhost`, 127.0.0.0/8 or ::1: mail that never leaves the machine. */
function isLoopback(host: string): boolean {
  const family = isIP(host)
  if (family === 0) return host.toLowerCase() === 'localhost'
  return loopback.check(host, family === 4 ? 'ipv4' : 'ipv6')
}
