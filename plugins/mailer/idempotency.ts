/**
 * Idempotency keys, honoured in-process: every mailer sends one key at most
 * once within a bounded memory. The contract (lib/mailer-types.ts) says a key
 * names one logical message, so a second send of a key is a retry or a
 * double submit, and must not put a second link in the user's inbox.
 *
 * The memory is per mailer instance and bounded both ways: a key is
 * remembered for `window` milliseconds after its send succeeded, and at most
 * about `maxKeys` keys are kept (the oldest half is dropped when full). Only
 * keys are kept, never addresses or bodies. A failed send is forgotten at
 * once, so a retry sends again. Another process, or this one after a restart,
 * does not know the keys: a transport that dedupes on the
 * `X-AuthCore-Idempotency-Key` header can go further.
 */
import { BoundedMap } from '../../lib/index.js'
import { milliseconds } from './options.js'

/** How long and how many idempotency keys a mailer remembers. */
export interface IdempotencyOptions {
  /** Milliseconds a key is remembered after its message was sent. Default 3 600 000 (1 hour), at most 1 day. */
  window?: number
  /** About how many keys are remembered at most; the oldest go first. Default 10 000. */
  maxKeys?: number
}

/** The schema of {@link IdempotencyOptions}, for each mailer's options schema. */
export const idempotencySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    window: milliseconds(86_400_000),
    maxKeys: { type: 'integer', minimum: 1, maximum: 1_000_000 },
  },
} as const

/**
 * Runs a send at most once per key: a call while the key's send is in flight
 * shares its outcome, and a call within the window after it succeeded
 * resolves without sending.
 */
export class SendOnce {
  readonly #window: number
  readonly #now: () => number
  // Key -> when its send succeeded.
  readonly #sent: BoundedMap<string, number>
  readonly #inFlight = new Map<string, Promise<void>>()

  constructor(options: IdempotencyOptions = {}, now: () => number = Date.now) {
    this.#window = options.window ?? 3_600_000
    this.#sent = new BoundedMap(options.maxKeys ?? 10_000)
    this.#now = now
  }

  /** Sends through `send` unless `key` is in flight or was sent within the window. */
  run(key: string, send: () => Promise<void>): Promise<void> {
    const pending = this.#inFlight.get(key)
    if (pending !== undefined) return pending
    const sentAt = this.#sent.get(key)
    if (sentAt !== undefined && this.#now() - sentAt < this.#window) return Promise.resolve()
    const attempt = send()
      .then(() => this.#sent.set(key, this.#now()))
      .finally(() => this.#inFlight.delete(key))
    this.#inFlight.set(key, attempt)
    return attempt
  }

  /** Resolves once every send in flight now has settled (whatever its outcome): for `close()`. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#inFlight.values()])
  }

  /** Forgets every remembered key (sends in flight still finish). */
  forget(): void {
    this.#sent.clear()
  }
}
