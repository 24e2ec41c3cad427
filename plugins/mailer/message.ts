/**
 * The checks every mailer applies to a {@link MailMessage} before it goes
 * anywhere. A message is built by AuthCore or a plugin from values already
 * validated (the recipient is a stored, normalised email), so a bad one is a
 * bug in the caller: it rejects with a `UsageError` (a `TypeError`) naming
 * the field, never with an `AuthError` an HTTP client would see as its own
 * fault.
 *
 * Header injection is refused here, before a connection is opened: `to`,
 * `subject`, `kind` and `idempotencyKey` may hold no control character (CR and
 * LF among them), and `to` must be one address by {@link normalizeEmail}'s
 * rules (which refuse commas, semicolons, angle brackets and quotes, so no
 * second recipient can hide in it).
 */
import { AuthError, assertMailable, normalizeEmail, optionsCheck, UsageError, type MailMessage, type NormalizedEmail } from '../../lib/index.js'
import { NO_CONTROL } from './options.js'

/** Longest subject accepted, in characters (RFC 5322's line limit, before any encoding). */
export const MAX_SUBJECT_LENGTH = 998
/** Longest body accepted, text and HTML each, in characters. */
export const MAX_BODY_LENGTH = 1_000_000
/** Longest idempotency key accepted, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 256

const headerText = (minLength: number, maxLength: number) => ({
  type: 'string', minLength, maxLength, pattern: NO_CONTROL,
  description: `text of ${minLength} to ${maxLength} characters with no control character (CR, LF, tab)`,
}) as const

const messageSchema = {
  type: 'object',
  required: ['to', 'kind', 'subject', 'text', 'idempotencyKey'],
  properties: {
    to: headerText(1, 1024),
    kind: headerText(1, 64),
    subject: headerText(1, MAX_SUBJECT_LENGTH),
    text: { type: 'string', maxLength: MAX_BODY_LENGTH },
    html: { type: 'string', maxLength: MAX_BODY_LENGTH },
    idempotencyKey: headerText(1, MAX_IDEMPOTENCY_KEY_LENGTH),
  },
} as const

// The message is checked as the `message` field of an envelope, so every
// problem is named from it: "message.subject must ...", "message.to is required".
const envelopeSchema = { type: 'object', required: ['message'], properties: { message: messageSchema } } as const

/** A message that passed a {@link messageCheck}: a frozen copy, `to` normalised. */
export interface CheckedMessage extends MailMessage {
  /** The recipient's canonical key, to compare addresses. */
  readonly toKey: string
}

/**
 * The message check of one mailer, compiled once: it returns a frozen copy of
 * the message's known fields, so a later change to the caller's object
 * changes nothing sent or recorded, and throws `UsageError` ("`mailer`.send:
 * message.field ...") when a field is missing, too long, holds a control
 * character, or `to` is not one address.
 */
export function messageCheck(mailer: string): (message: unknown) => CheckedMessage {
  const where = `${mailer}.send`
  const check = optionsCheck(envelopeSchema, where)
  return (message) => {
    if (message === null || typeof message !== 'object') throw new UsageError(`${where}: message must be an object`)
    check({ message })
    const m = message as MailMessage
    // Sent exactly as checked: no address a mail library would quote or rewrite.
    const to = recipient(m.to, where, 'message.to', true)
    return Object.freeze({
      to: to.email,
      toKey: to.key,
      kind: m.kind,
      subject: m.subject,
      text: m.text,
      ...(m.html === undefined ? {} : { html: m.html }),
      idempotencyKey: m.idempotencyKey,
    })
  }
}

/**
 * `address` normalised; a `UsageError` naming `field` when it is not one email
 * address (or, with `mailable`, one a mail library would send elsewhere than
 * checked: see `assertMailable`).
 */
export function recipient(address: string, where: string, field = 'message.to', mailable = false): NormalizedEmail {
  try {
    const email = normalizeEmail(address, field)
    if (mailable) assertMailable(email, field)
    return email
  } catch (err) {
    // normalizeEmail speaks to end users (ERR_AUTH_INPUT_INVALID); here the caller is code.
    if (err instanceof AuthError) throw new UsageError(`${where}: ${err.message}`)
    throw err
  }
}
