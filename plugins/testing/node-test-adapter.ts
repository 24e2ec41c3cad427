/**
 * The kit under node:test. The kit needs only {@link ConformanceTest};
 * {@link fromNodeTest} makes one from a node:test context, so a plugin's
 * tests need no tap:
 *
 * ```ts
 * import { test } from 'node:test'
 * import { fromNodeTest, runStorageConformance } from 'authcore/testing'
 * test('my storage', (t) => runStorageConformance(fromNodeTest(t), { name: 'mine', create: () => myStorage() }))
 * ```
 */
import type { ConformanceTest } from './kit-types.js'
import { SoftTest } from './soft-test.js'

/** The members of a node:test `TestContext` the adapter uses (node's `t` satisfies it). */
export interface NodeTestContext {
  test(name: string, fn: (t: NodeTestContext) => Promise<void>): Promise<unknown>
  test(name: string, options: { skip?: boolean | string }, fn: (t: NodeTestContext) => Promise<void>): Promise<unknown>
  diagnostic(message: string): void
}

class NodeTest extends SoftTest {
  readonly #node: NodeTestContext
  readonly #failures: string[] = []
  // The context handed to fromNodeTest has no end the adapter controls: a failure there throws at once.
  readonly #root: boolean

  constructor(node: NodeTestContext, root: boolean) {
    super()
    this.#node = node
    this.#root = root
  }

  protected record(message: string): void {
    if (this.#root) throw new Error(message)
    this.#failures.push(message)
  }

  test(name: string, fn: (t: ConformanceTest) => unknown): Promise<unknown> {
    return this.track(this.#node.test(name, async (node) => {
      const sub = new NodeTest(node, false)
      await fn(sub)
      await sub.settled()
      sub.#report()
    }))
  }

  skip(name: string): Promise<unknown> {
    return this.track(this.#node.test(name, { skip: true }, async () => {}))
  }

  comment(...message: unknown[]): void {
    this.#node.diagnostic(message.map(String).join(' '))
  }

  // node:test knows one failure per test: each is a diagnostic line, and the test fails naming them all.
  #report(): void {
    if (this.#failures.length === 0) return
    for (const failure of this.#failures) this.#node.diagnostic(`not ok: ${failure}`)
    throw new Error(`${this.#failures.length} check(s) failed:\n${this.#failures.map((f) => `- ${f}`).join('\n')}`)
  }
}

/**
 * A {@link ConformanceTest} over a node:test context: each kit subtest is a
 * node:test subtest (run one at a time), a failed check fails it (all of a
 * subtest's failures are listed, as diagnostics and in its error), a skipped
 * group is a skipped test, and a comment is a diagnostic.
 */
export function fromNodeTest(t: NodeTestContext): ConformanceTest {
  return new NodeTest(t, true)
}
