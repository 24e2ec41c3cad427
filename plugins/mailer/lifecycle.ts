/**
 * What every mailer does around its own delivery: check the message, refuse
 * once closed, send each idempotency key once, and on `close()` let the sends
 * in flight finish before the transport is released. A mailer supplies only
 * `deliver` (and what to release), so the three mailers cannot drift apart on
 * these rules.
 */
import { AuthError } from '../../lib/index.js'
import { SendOnce, type IdempotencyOptions } from './idempotency.js'
import { messageCheck, type CheckedMessage } from './message.js'

/** The shared half of a mailer; see the module comment. */
export class MailerLifecycle {
  readonly #name: string
  readonly #check: (message: unknown) => CheckedMessage
  readonly #once: SendOnce
  #closing: Promise<void> | undefined

  constructor(name: string, idempotency?: IdempotencyOptions, now?: () => number) {
    this.#name = name
    this.#check = messageCheck(name)
    this.#once = new SendOnce(idempotency, now)
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined
  }

  /**
   * Checks `message` (a `UsageError` when malformed), then delivers it unless
   * its idempotency key was sent already. Rejects with `ERR_AUTH_MAIL_FAILED`
   * once closed: a request racing shutdown gets a "try again", not a crash.
   */
  async send(message: unknown, deliver: (message: CheckedMessage) => Promise<void>): Promise<void> {
    const checked = this.#check(message)
    this.assertOpen()
    // Deduped per recipient and kind too: a key reused by mistake for another
    // address must never swallow that address's message.
    const once = JSON.stringify([checked.toKey, checked.kind, checked.idempotencyKey])
    await this.#once.run(once, () => deliver(checked))
  }

  /** Throws `ERR_AUTH_MAIL_FAILED` once `close()` was called. */
  assertOpen(): void {
    if (this.closed) throw new AuthError('ERR_AUTH_MAIL_FAILED', `The ${this.#name} mailer is closed`)
  }

  /** Refuses new sends, waits for those in flight, then runs `release` once; later calls share the first. */
  close(release: () => void | Promise<void> = () => {}): Promise<void> {
    this.#closing ??= this.#once.settled().then(release)
    return this.#closing
  }

  /** Forgets the idempotency keys sent so far. */
  forgetKeys(): void {
    this.#once.forget()
  }
}
