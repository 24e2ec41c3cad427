/**
 * Work done after the answer (a look-up, a token, a mail), bounded: at most
 * `limit` tasks run at once, and past that new work is dropped and
 * reported. Failures are reported as `error` events, never thrown at a caller
 * who has already been answered.
 */
import type { PluginContext } from '../../lib/index.js'

/** Runs tasks after the current request has answered. */
export class Background {
  readonly #name: string
  readonly #limit: number
  readonly #running = new Set<Promise<void>>()

  /** `name` says whose work a dropped task was, in the report. */
  constructor(name: string, limit = 1000) {
    this.#name = name
    this.#limit = limit
  }

  /** Starts `task` on a later turn; reports its failure through `ctx` as a mail failure. */
  run(ctx: PluginContext, task: () => Promise<void>): void {
    if (this.#running.size >= this.#limit) {
      ctx.reportError(new Error(`${this.#name}: too much work queued; a message was dropped`))
      return
    }
    const done: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(task)
      .catch((error: unknown) => ctx.reportError(error))
      .finally(() => this.#running.delete(done))
    this.#running.add(done)
  }

  /** Resolves once every task started so far has ended. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running])
  }
}
