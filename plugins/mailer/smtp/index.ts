/**
 * `authcore/mailer/smtp`: sends AuthCore's mail (verification links, reset
 * links, notices) through an SMTP server with nodemailer.
 *
 * - Every failure of the server or the connection (refused, timed out,
 *   dropped, a rejected recipient, failed AUTH or STARTTLS) rejects `send`
 *   with `ERR_AUTH_MAIL_FAILED` (503) whose `cause` is a {@link SmtpFailure}:
 *   the SMTP stage and reply, never the message. Nothing is logged and no
 *   `'error'` event can end the process.
 * - A malformed message (a control character such as CR or LF in `to`,
 *   `subject` or the key, or a `to` that is not one address) rejects with a
 *   `UsageError` (a `TypeError`) before any connection is opened: the message
 *   comes from code.
 * - Each message carries its idempotency key in the `X-AuthCore-Idempotency-Key`
 *   header, and the mailer sends a key once within its memory (see
 *   {@link IdempotencyOptions}: one hour, 10 000 keys, this process only).
 *
 * Requires `nodemailer` (an optional peer dependency), imported on first use.
 *
 * @module
 */
import type { Mailer, MailMessage } from '../../../lib/index.js'
import { MailerLifecycle } from '../lifecycle.js'
import type { CheckedMessage } from '../message.js'
import { mailFailed } from './errors.js'
import { resolveSmtpOptions, type SmtpMailerOptions, type SmtpSettings } from './options.js'
import { createSmtpTransport, type OutgoingMail, type SmtpTransport } from './transport.js'

export type { Mailer, MailMessage } from '../../../lib/index.js'
export type { IdempotencyOptions } from '../idempotency.js'
export type { SmtpMailerOptions } from './options.js'
export { SmtpFailure } from './errors.js'

/** The header that carries a message's idempotency key, for servers and relays that dedupe on it. */
export const IDEMPOTENCY_HEADER = 'X-AuthCore-Idempotency-Key'

/** The mailer {@link smtpMailer} returns. */
export interface SmtpMailer extends Mailer {
  readonly name: 'smtp'
  /**
   * Connects, greets and authenticates without sending anything: call it at
   * start-up to find a wrong host or password before a user does. Rejects
   * with `ERR_AUTH_MAIL_FAILED` as `send` does.
   */
  verify(): Promise<void>
  /**
   * Refuses later sends (`ERR_AUTH_MAIL_FAILED`), waits for those in flight
   * (each bounded by the timeouts), then closes the transport's connections.
   */
  close(): Promise<void>
}

const NAME = 'smtpMailer'

/**
 * Creates an SMTP mailer. Options are checked now (a `UsageError` naming the
 * field); nodemailer is loaded and the first connection opened on the first
 * `send` or `verify`.
 *
 * @example
 * ```ts
 * import { smtpMailer } from 'authcore/mailer/smtp'
 * const mailer = smtpMailer({
 *   url: 'smtp://smtp.example.com:587',
 *   from: 'no-reply@example.com',
 *   auth: { user: process.env.SMTP_USER!, pass: process.env.SMTP_PASS! },
 * })
 * ```
 */
export function smtpMailer(options: SmtpMailerOptions): SmtpMailer {
  const settings = resolveSmtpOptions(options)
  const lifecycle = new MailerLifecycle('smtp', settings.idempotency)
  let transport: Promise<SmtpTransport> | undefined
  const open = () => (transport ??= createSmtpTransport(settings, NAME))

  const deliver = async (message: CheckedMessage): Promise<void> => {
    const smtp = await open()
    const info = await smtp.sendMail(outgoing(settings, message)).catch((err: unknown) => {
      throw mailFailed(err)
    })
    // One recipient: accepted, or the send failed. Checked in case a transport resolves with it rejected.
    if (info.rejected !== undefined && info.rejected.length > 0) throw mailFailed(new Error('the server rejected the recipient'))
  }

  return Object.freeze({
    name: 'smtp' as const,
    send: (message: MailMessage) => lifecycle.send(message, deliver),
    async verify(): Promise<void> {
      lifecycle.assertOpen()
      const smtp = await open()
      await smtp.verify().catch((err: unknown) => {
        throw mailFailed(err)
      })
    },
    close: () =>
      lifecycle.close(async () => {
        // Never opened (no send yet), or nodemailer failed to load: nothing to close.
        const smtp = await transport?.catch(() => undefined)
        smtp?.close()
      }),
  })
}

/** The message in nodemailer's terms; addresses as objects, so nodemailer never parses them from text. */
function outgoing(settings: SmtpSettings, message: CheckedMessage): OutgoingMail {
  return {
    from: { name: settings.from.name, address: settings.from.address },
    to: { name: '', address: message.to },
    subject: message.subject,
    text: message.text,
    ...(message.html === undefined ? {} : { html: message.html }),
    headers: { [IDEMPOTENCY_HEADER]: message.idempotencyKey },
  }
}
