/**
 * A {@link ConformanceTest} whose assertions record a failure instead of
 * throwing: the base of the kit's adapters for runners whose own assertions
 * throw (node:test), so the kit goes on after a failure and every failure
 * of a subtest is reported, as under tap. `equal` is `===` and `same` is a
 * loose deep equality, as tap's.
 */
import { deepEqual } from 'node:assert'
import { inspect } from 'node:util'
import type { ConformanceTest } from './kit-types.js'

/** A value as an assertion message shows it: short, on one line. */
export function show(value: unknown): string {
  const text = inspect(value, { depth: 4, breakLength: Infinity, maxArrayLength: 20, maxStringLength: 80 })
  return text.length > 300 ? `${text.slice(0, 300)}...` : text
}

function looselyEqual(found: unknown, wanted: unknown): boolean {
  try {
    deepEqual(found, wanted)
    return true
  } catch {
    return false
  }
}

/** Assertions that record failures through {@link SoftTest.record}, and subtests tracked until they end. */
export abstract class SoftTest implements ConformanceTest {
  readonly #pending: Promise<unknown>[] = []

  /** Keeps a failure (or throws it, where there is nothing to report it to later). */
  protected abstract record(message: string): void
  abstract test(name: string, fn: (t: ConformanceTest) => unknown): Promise<unknown>
  abstract comment(...message: unknown[]): unknown

  ok(value: unknown, message: string): void {
    if (!value) this.record(message)
  }

  equal(found: unknown, wanted: unknown, message: string): void {
    if (found !== wanted) this.record(`${message} (found ${show(found)}, wanted ${show(wanted)})`)
  }

  same(found: unknown, wanted: unknown, message: string): void {
    if (!looselyEqual(found, wanted)) this.record(`${message} (found ${show(found)}, wanted ${show(wanted)})`)
  }

  fail(message: string): void {
    this.record(message)
  }

  /** Tracks a subtest, so {@link SoftTest.settled} waits for it. */
  protected track<T>(subtest: Promise<T>): Promise<T> {
    this.#pending.push(subtest)
    return subtest
  }

  /** Resolves once every subtest registered so far, and every one they registered, has ended. */
  async settled(): Promise<void> {
    while (this.#pending.length > 0) await Promise.allSettled(this.#pending.splice(0))
  }
}
