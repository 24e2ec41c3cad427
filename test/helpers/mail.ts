// A valid MailMessage for the mailer tests, with a fresh idempotency key per
// call so that tests never dedupe each other's messages by accident.
import type { MailMessage } from '../../lib/mailer-types.js'

let sequence = 0

/** A password-reset message to ada@example.com whose text holds a token link; `over` replaces fields. */
export function mailMessage(over: Partial<MailMessage> = {}): MailMessage {
  return {
    to: 'ada@example.com',
    kind: 'password-reset',
    subject: 'Reset your password',
    text: 'Open https://app.example.com/reset?token=secret-token-123 to choose a new password.',
    idempotencyKey: `key-${++sequence}`,
    ...over,
  }
}
