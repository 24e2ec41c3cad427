/**
 * How a failure of the SMTP transport reaches the caller: always
 * `ERR_AUTH_MAIL_FAILED`, with a `cause` rebuilt from the transport's error
 * so it holds what an operator needs (the SMTP stage, reply code, the
 * server's short reply) and nothing else. The transport's own error object
 * may reference the message being sent, and causes end up in logs; a
 * one-time link in a log is a stolen account.
 */
import { AuthError } from '../../../lib/index.js'

/** The `cause` of an `ERR_AUTH_MAIL_FAILED` from the SMTP mailer. */
export class SmtpFailure extends Error {
  /** nodemailer's code: `ECONNECTION`, `ETIMEDOUT`, `EENVELOPE`, `EAUTH`, `ETLS`, `EMESSAGE`, ... */
  readonly code: string | undefined
  /** The system error's code under `code`, such as `ECONNREFUSED`. */
  readonly originalCode: string | undefined
  /** The SMTP stage that failed: `CONN`, `EHLO`, `AUTH PLAIN`, `MAIL FROM`, `RCPT TO`, `DATA`, ... */
  readonly command: string | undefined
  /** The server's reply code, when it replied (550, 421, ...). */
  readonly responseCode: number | undefined

  constructor(message: string, fields: { code?: string; originalCode?: string; command?: string; responseCode?: number }) {
    super(message)
    this.code = fields.code
    this.originalCode = fields.originalCode
    this.command = fields.command
    this.responseCode = fields.responseCode
  }

  override get name(): string {
    return 'SmtpFailure'
  }
}

// Enough for "Can't send mail - all recipients were rejected: 550 5.1.1 <...>: unknown user".
const MAX_MESSAGE = 300

/** Maps anything the transport threw to `ERR_AUTH_MAIL_FAILED` with a {@link SmtpFailure} cause. */
export function mailFailed(err: unknown): AuthError<'ERR_AUTH_MAIL_FAILED'> {
  if (err instanceof AuthError && err.code === 'ERR_AUTH_MAIL_FAILED') return err
  const source = (err ?? {}) as Record<string, unknown>
  const text = (key: string) => (typeof source[key] === 'string' ? (source[key] as string) : undefined)
  const message = (text('message') ?? 'the SMTP transport failed').slice(0, MAX_MESSAGE)
  const responseCode = typeof source.responseCode === 'number' ? source.responseCode : undefined
  const cause = new SmtpFailure(message, { code: text('code'), originalCode: text('originalCode'), command: text('command'), responseCode })
  // A 5xx reply is the server's final word (no such user, message refused): sending again cannot help.
  const permanent = responseCode !== undefined && responseCode >= 500 && responseCode < 600
  return new AuthError('ERR_AUTH_MAIL_FAILED', undefined, { cause, ...(permanent && { details: { permanent: true } }) })
}
