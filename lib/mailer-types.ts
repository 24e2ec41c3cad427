/**
 * The mailer plugin kind: how AuthCore's capabilities (verification links,
 * reset codes, notices) send mail. The core never imports a mail library;
 * `authcore/mailer/smtp` does, and any object of this shape works.
 */

/** One message to send. Bodies may contain a one-time link or code: a mailer never logs them. */
export interface MailMessage {
  /** One recipient address. */
  readonly to: string
  /** What the message is, for templates, metrics and tests (for example `'password-reset'`). */
  readonly kind: string
  readonly subject: string
  readonly text: string
  readonly html?: string
  /**
   * The same key for the same logical message: a mailer that retries, or a
   * transport that supports it, sends a key at most once.
   */
  readonly idempotencyKey: string
}

/**
 * A mailer. `send` resolves once the transport accepted the message, and
 * rejects with `ERR_AUTH_MAIL_FAILED` otherwise; with `details: { permanent:
 * true }` when the failure is final (an SMTP 5xx: no such user), so the mail
 * queue does not send it again.
 */
export interface Mailer {
  /** A short name for messages, for example `'smtp'`. */
  readonly name: string
  send(message: MailMessage): Promise<void>
  /** Releases connections the mailer opened; AuthCore calls it from `close()` when the mailer is in its options. */
  close?(): Promise<void>
}
