/**
 * `authcore/mailer/console`: a mailer for development that prints each
 * message (recipient, subject and the text body, where the links are) instead
 * of sending it, so a developer can follow a reset or verification link
 * without a mail server.
 *
 * It prints one-time links and codes, which no other mailer ever logs, so it
 * refuses to exist in production: `consoleMailer()` throws when `NODE_ENV` is
 * `production`, and `send` rejects if `NODE_ENV` has become `production` since.
 *
 * @module
 */
import { UsageError, type Mailer, type MailMessage } from '../../lib/index.js'
import { idempotencySchema, type IdempotencyOptions } from './idempotency.js'
import { MailerLifecycle } from './lifecycle.js'
import type { CheckedMessage } from './message.js'
import { mailerOptionsCheck } from './options.js'

export type { Mailer, MailMessage } from '../../lib/index.js'
export type { IdempotencyOptions } from './idempotency.js'

/** Where the console mailer prints: `process.stdout`, a file stream, or any object with `write`. */
export interface ConsoleMailerWriter {
  write(text: string): unknown
}

/** The mailer {@link consoleMailer} returns. */
export interface ConsoleMailer extends Mailer {
  readonly name: 'console'
  /** Refuses later sends (`ERR_AUTH_MAIL_FAILED`) once those in flight are printed. */
  close(): Promise<void>
}

/** Options of {@link consoleMailer}. */
export interface ConsoleMailerOptions {
  /** Where messages are printed. Default `process.stdout`. */
  writer?: ConsoleMailerWriter
  /** How long and how many idempotency keys are remembered (a key is printed once). */
  idempotency?: IdempotencyOptions
}

const NAME = 'consoleMailer'

const checkOptions = mailerOptionsCheck({
  type: 'object',
  additionalProperties: false,
  properties: {
    writer: {
      type: 'object',
      required: ['write'],
      properties: { write: { kind: 'function', description: 'a function' } },
    },
    idempotency: idempotencySchema,
  },
}, NAME)

// Trimmed and lower-cased: 'Production ' is a production deployment too.
const inProduction = () => process.env.NODE_ENV?.trim().toLowerCase() === 'production'

const PRODUCTION_REFUSAL =
  'the console mailer prints one-time links and codes, so it refuses to run with NODE_ENV=production; use smtpMailer from authcore/mailer/smtp'

/**
 * Creates a development mailer that prints messages to `options.writer`
 * (standard output by default). The HTML body is not printed, only its
 * length: the text body carries the same links.
 *
 * @throws UsageError when `NODE_ENV` is `production`, or an option is invalid.
 *
 * @example
 * ```ts
 * import { consoleMailer } from 'authcore/mailer/console'
 * const mailer = process.env.SMTP_URL ? smtpMailer({ url: process.env.SMTP_URL, from }) : consoleMailer()
 * ```
 */
export function consoleMailer(options: ConsoleMailerOptions = {}): ConsoleMailer {
  if (inProduction()) throw new UsageError(`${NAME}: ${PRODUCTION_REFUSAL}`)
  checkOptions(options)
  const writer = options.writer ?? process.stdout
  const lifecycle = new MailerLifecycle('console', options.idempotency)
  return Object.freeze({
    name: 'console',
    async send(message: MailMessage): Promise<void> {
      // Checked on every send: NODE_ENV may be set after the mailer was built.
      if (inProduction()) throw new UsageError(`console.send: ${PRODUCTION_REFUSAL}`)
      await lifecycle.send(message, async (checked) => {
        writer.write(render(checked))
      })
    },
    close: () => lifecycle.close(),
  })
}

/** The printed form of one message. */
function render(message: CheckedMessage): string {
  const html = message.html === undefined ? '' : `(an HTML body of ${message.html.length} characters is not shown)\n`
  return [
    `--- authcore console mailer: ${message.kind} ---`,
    `To: ${message.to}`,
    `Subject: ${terminalSafe(message.subject)}`,
    `Idempotency-Key: ${terminalSafe(message.idempotencyKey)}`,
    '',
    terminalSafe(message.text.replace(/\r\n?/g, '\n')),
    `${html}--- end ---`,
    '',
  ].join('\n')
}

// Control characters other than newline and tab, and the bidirectional
// overrides: a body holding text from a user (a name, say) could otherwise
// move the cursor, retitle the terminal or reorder how a link reads.
const UNSAFE_FOR_TERMINAL = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu

/** `text` with each character unsafe for a terminal written as `\u{...}`. */
function terminalSafe(text: string): string {
  return text.replace(UNSAFE_FOR_TERMINAL, (c) => (c === '\n' || c === '\t' ? c : `\\u{${c.codePointAt(0)!.toString(16)}}`))
}
