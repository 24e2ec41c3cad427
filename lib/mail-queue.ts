/**
 * Mail goes out after the answer, from a queue: a request that sends mail
 * answers in the same time whether or not a message was queued (so "is this
 * address registered?" cannot be read from the response time), and a slow
 * or failing mail server never holds a request.
 */
import type { Mailer, MailMessage } from './mailer-types.js'

/** Tuning of a {@link MailQueue}. */
export interface MailQueueOptions {
  /** Messages sent at once. */
  readonly concurrency: number
  /** Messages waiting at most; past it a message is dropped and reported. */
  readonly maxQueued: number
  /** Attempts per message (the first included); the mailer's idempotency key makes a retry safe. */
  readonly attempts: number
  /** Wait before the n-th retry, in milliseconds. */
  readonly backoff: (attempt: number) => number
}

const DEFAULTS: MailQueueOptions = {
  concurrency: 4,
  maxQueued: 10_000,
  attempts: 3,
  backoff: (attempt) => 1000 * 4 ** (attempt - 1),
}

/** Whether a mailer marked the failure final (`details.permanent`), so no retry can succeed. */
function isPermanent(error: unknown): boolean {
  const details = (error as { details?: unknown } | null)?.details
  return typeof details === 'object' && details !== null && (details as { permanent?: unknown }).permanent === true
}

/** A bounded in-process queue in front of a mailer. */
export class MailQueue {
  readonly #mailer: Mailer
  readonly #report: (error: unknown) => void
  readonly #options: MailQueueOptions
  readonly #waiting: MailMessage[] = []
  readonly #idle: (() => void)[] = []
  #running = 0
  #closed = false

  /** `report` receives every message that could not be sent (never its body). */
  constructor(mailer: Mailer, report: (error: unknown) => void, options: Partial<MailQueueOptions> = {}) {
    this.#mailer = mailer
    this.#report = report
    this.#options = { ...DEFAULTS, ...options }
  }

  /** Queues a message; returns at once. Never throws. */
  enqueue(message: MailMessage): void {
    if (this.#closed) {
      this.#report(new Error(`mail '${message.kind}' dropped: AuthCore is closing`))
      return
    }
    if (this.#waiting.length >= this.#options.maxQueued) {
      this.#report(new Error(`mail '${message.kind}' dropped: the mail queue is full (${this.#options.maxQueued} waiting)`))
      return
    }
    this.#waiting.push(message)
    // After the current request has answered.
    setImmediate(() => this.#pump())
  }

  /** Messages waiting or being sent. */
  get pending(): number {
    return this.#waiting.length + this.#running
  }

  /** Resolves once every queued message was sent or given up. */
  settled(): Promise<void> {
    if (this.pending === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** Stops taking messages and waits (at most `timeoutMs`) for those queued. */
  async close(timeoutMs = 10_000): Promise<void> {
    this.#closed = true
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.settled(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs).unref()))])
    clearTimeout(timer)
  }

  #pump(): void {
    while (this.#running < this.#options.concurrency && this.#waiting.length > 0) {
      const message = this.#waiting.shift()!
      this.#running++
      void this.#send(message).finally(() => {
        this.#running--
        this.#pump()
        if (this.pending === 0) for (const resolve of this.#idle.splice(0)) resolve()
      })
    }
  }

  async #send(message: MailMessage): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#mailer.send(message)
        return
      } catch (error) {
        // A TypeError is a bad message (a bug), and a failure the mailer marks
        // permanent (an SMTP 5xx) is final: sending again cannot help.
        if (attempt >= this.#options.attempts || error instanceof TypeError || isPermanent(error)) {
          this.#report(error)
          return
        }
        await new Promise((resolve) => setTimeout(resolve, this.#options.backoff(attempt)).unref())
      }
    }
  }
}
