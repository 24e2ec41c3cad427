/**
 * A mailer for tests: it keeps the messages it is given, in order, instead of
 * sending them. It applies the same message checks and the same idempotency
 * rule as the real mailers (plugins/mailer/lifecycle.ts), so a test that
 * passes against it does not hide a message the SMTP mailer would refuse, nor
 * a second link the SMTP mailer would not send.
 */
import { AuthError, type Mailer, type MailMessage } from '../../lib/index.js'
import { idempotencySchema, type IdempotencyOptions } from '../mailer/idempotency.js'
import { MailerLifecycle } from '../mailer/lifecycle.js'
import { recipient, type CheckedMessage } from '../mailer/message.js'
import { mailerOptionsCheck } from '../mailer/options.js'

/** Options of {@link memoryMailer}. */
export interface MemoryMailerOptions {
  /** How long and how many idempotency keys are remembered, as for the SMTP mailer. */
  idempotency?: IdempotencyOptions
  /** The clock of the idempotency window, in milliseconds. Default `Date.now`; pass a fake one to test the window. */
  now?: () => number
}

/** A {@link Mailer} that records messages; see {@link memoryMailer}. */
export interface MemoryMailer extends Mailer {
  readonly name: 'memory'
  /** The messages sent so far, oldest first (a frozen copy; a duplicate idempotency key appears once). */
  readonly messages: readonly MailMessage[]
  /** The newest message, or the newest one to `to` (compared as normalised emails); `undefined` when none. */
  last(to?: string): MailMessage | undefined
  /**
   * The next message sent from now on (to `to`, when given, compared as
   * normalised emails). AuthCore queues mail and sends it after answering,
   * so a test awaits this instead of reading {@link last} at once. Rejects
   * after `timeoutMs` (default 5 seconds).
   */
  next(to?: string, timeoutMs?: number): Promise<MailMessage>
  /** Forgets the messages, the idempotency keys and any failure queued by {@link failNext}. */
  clear(): void
  /**
   * Makes the next send that would deliver reject with `error` (default: an
   * `ERR_AUTH_MAIL_FAILED` AuthError). Each call queues one failure. The
   * failed message is not recorded and its key not remembered, as with SMTP.
   */
  failNext(error?: unknown): void
  /** Refuses later sends with `ERR_AUTH_MAIL_FAILED`; `messages` stay readable. */
  close(): Promise<void>
}

const NAME = 'memoryMailer'

const checkOptions = mailerOptionsCheck({
  type: 'object',
  additionalProperties: false,
  properties: { idempotency: idempotencySchema, now: { kind: 'function', description: 'a function returning milliseconds' } },
}, NAME)

/**
 * Creates an in-memory mailer for tests.
 *
 * @throws UsageError when an option is invalid.
 *
 * @example
 * ```ts
 * import { memoryMailer } from 'authcore/testing'
 * const mailer = memoryMailer()
 * const auth = new AuthCore({ secret, appUrl, mailer })
 * await auth.requestPasswordReset({ email: 'ada@example.com' })
 * const link = mailer.last('ada@example.com')?.text.match(/https:\S+/)?.[0]
 * ```
 */
export function memoryMailer(options: MemoryMailerOptions = {}): MemoryMailer {
  checkOptions(options)
  const lifecycle = new MailerLifecycle('memory', options.idempotency, options.now)
  let sent: CheckedMessage[] = []
  let failures: unknown[] = []
  const waiting = new Set<{ key: string | undefined; resolve: (message: MailMessage) => void }>()

  const deliver = async (message: CheckedMessage): Promise<void> => {
    if (failures.length > 0) throw failures.shift()
    sent.push(message)
    for (const waiter of waiting) {
      if (waiter.key !== undefined && waiter.key !== message.toKey) continue
      waiting.delete(waiter)
      waiter.resolve(publicView(message))
    }
  }

  return Object.freeze({
    name: 'memory' as const,
    get messages(): readonly MailMessage[] {
      return Object.freeze(sent.map(publicView))
    },
    last(to?: string): MailMessage | undefined {
      const key = to === undefined ? undefined : recipient(to, 'memory.last', 'to').key
      const found = sent.findLast((message) => key === undefined || message.toKey === key)
      return found && publicView(found)
    },
    next(to?: string, timeoutMs = 5000): Promise<MailMessage> {
      const key = to === undefined ? undefined : recipient(to, 'memory.next', 'to').key
      return new Promise((resolve, reject) => {
        const waiter = {
          key,
          resolve: (message: MailMessage) => {
            clearTimeout(timer)
            resolve(message)
          },
        }
        const timer = setTimeout(() => {
          waiting.delete(waiter)
          reject(new Error(`memoryMailer: no message${to === undefined ? '' : ` to ${to}`} within ${timeoutMs} ms`))
        }, timeoutMs)
        waiting.add(waiter)
      })
    },
    clear(): void {
      sent = []
      failures = []
      lifecycle.forgetKeys()
    },
    failNext(error: unknown = new AuthError('ERR_AUTH_MAIL_FAILED', undefined, { cause: new Error('failure injected by memoryMailer.failNext') })): void {
      failures.push(error)
    },
    send: (message: MailMessage) => lifecycle.send(message, deliver),
    close: () => lifecycle.close(),
  })
}

/** The message as the contract spells it, without the mailer's internal `toKey`. */
function publicView({ toKey: _toKey, ...message }: CheckedMessage): MailMessage {
  return Object.freeze(message)
}
