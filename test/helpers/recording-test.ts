// A ConformanceTest that runs the kit in-process and records what it found
// instead of reporting it: the kit's own tests plant a mistake in a plugin
// and assert that the kit failed, naming the rule.
import type { ConformanceTest } from '../../plugins/testing/index.js'
import { SoftTest } from '../../plugins/testing/soft-test.js'

/** What one run of the kit found: each failure and skip as `subtest > ... > message`. */
export interface Recording {
  readonly failures: string[]
  readonly skips: string[]
}

/** Subtests run one at a time, as under tap; a subtest that throws is a failure. */
export class RecordingTest extends SoftTest {
  readonly recording: Recording
  readonly #path: readonly string[]
  #queue: Promise<unknown> = Promise.resolve()

  constructor(recording: Recording = { failures: [], skips: [] }, path: readonly string[] = []) {
    super()
    this.recording = recording
    this.#path = path
  }

  protected record(message: string): void {
    this.recording.failures.push([...this.#path, message].join(' > '))
  }

  test(name: string, fn: (t: ConformanceTest) => unknown): Promise<unknown> {
    const sub = new RecordingTest(this.recording, [...this.#path, name])
    const run = this.#queue.then(async () => {
      try {
        await fn(sub)
      } catch (err) {
        sub.fail(`threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`)
      }
      await sub.settled()
    })
    this.#queue = run
    return this.track(run)
  }

  skip(name: string): Promise<void> {
    this.recording.skips.push([...this.#path, name].join(' > '))
    return Promise.resolve()
  }

  comment(): void {}
}
