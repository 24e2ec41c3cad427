/**
 * The options of `emailLink()`: checked once, in the factory, and resolved
 * to the values the plugin works with (lifetimes in seconds, the template).
 */
import { optionsCheck, toSeconds, UsageError, type Duration, type MailTemplate } from '../../../lib/index.js'
import { DEFAULT_TEMPLATES } from '../../email/templates.js'

/** Options of {@link emailLink}. Every field is optional. */
export interface EmailLinkOptions {
  /**
   * Create an account when an address that has none is proven: the new user
   * is verified, has no password, and gets `defaultRole`. Default false: a
   * request for an unknown address sends nothing (and answers the same).
   */
  signUp?: boolean
  /**
   * The path under `appUrl` that links open; the token is added as a
   * `token` query parameter. Your page there reads it and POSTs it to
   * `{basePath}/email-link/sign-in` (opening the link consumes nothing).
   * Default `/sign-in/email`.
   */
  linkPath?: string
  /** How long a link works. Default 15 minutes; from 1 minute to 1 day. */
  ttl?: Duration
  /**
   * How long a code works. Default 10 minutes; from 1 minute to 1 hour. It
   * is also the window of the `email-link:attempt` scope, so a code's five
   * attempts cover its whole life.
   */
  codeTtl?: Duration
  /** Renders the message (kind `'sign-in-link'`; `link` or `code` is set). Default: the built-in sign-in template. */
  template?: MailTemplate
}

/** The options as the plugin uses them. */
export interface ResolvedEmailLinkOptions {
  /** Whether a proven address with no account gets one. */
  readonly signUp: boolean
  /** The path under `appUrl` links open. */
  readonly linkPath: string
  /** How long a link works, in seconds. */
  readonly ttl: number
  /** How long a code works, in seconds (and the attempt window). */
  readonly codeTtl: number
  /** Renders the message. */
  readonly template: MailTemplate
}

const duration = { anyOf: [{ type: 'number' }, { type: 'string' }], description: "a number of seconds or a duration such as '15 minutes'" }

const check = optionsCheck({
  type: 'object',
  additionalProperties: false,
  properties: {
    signUp: { type: 'boolean' },
    // A path, not a URL: links are always under appUrl, and carry only the token.
    linkPath: {
      type: 'string',
      maxLength: 256,
      pattern: '^/(?![/\\\\])[^?#\\s\\\\]*$',
      description: "a path starting with '/' (not '//'), with no query, fragment, spaces or backslashes",
    },
    ttl: duration,
    codeTtl: duration,
    template: { kind: 'function', description: 'a function' },
  },
}, 'emailLink')

/** A lifetime within bounds, in seconds. */
function lifetime(value: Duration | undefined, fallback: number, field: string, min: number, max: number, words: string): number {
  if (value === undefined) return fallback
  let seconds: number
  try {
    seconds = toSeconds(value)
  } catch {
    throw new UsageError(`emailLink: ${field} must be a number of seconds or a duration such as '15 minutes'`)
  }
  if (seconds < min || seconds > max) throw new UsageError(`emailLink: ${field} must be ${words}`)
  return seconds
}

/**
 * Checks and resolves the options.
 * @throws UsageError naming every bad field (never a value).
 */
export function resolveOptions(options: EmailLinkOptions): ResolvedEmailLinkOptions {
  check(options)
  return Object.freeze({
    signUp: options.signUp ?? false,
    linkPath: options.linkPath ?? '/sign-in/email',
    ttl: lifetime(options.ttl, 15 * 60, 'ttl', 60, 86_400, 'from 1 minute to 1 day'),
    codeTtl: lifetime(options.codeTtl, 10 * 60, 'codeTtl', 60, 3600, 'from 1 minute to 1 hour'),
    template: options.template ?? DEFAULT_TEMPLATES['sign-in-link'],
  })
}
