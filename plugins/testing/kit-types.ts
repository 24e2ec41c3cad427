/**
 * Types of the storage conformance kit. The kit takes the test object from
 * its caller and declares only the slice of a test runner it uses, so it
 * depends on no runner: a tap `t` fits as it is, `fromNodeTest(t)` adapts a
 * node:test one, and any other runner needs an object of these six methods.
 */
import type { RateLimitStore, StoragePlugin } from '../../lib/index.js'

/**
 * What the kit asks of a test runner (a tap `t` satisfies it; `fromNodeTest`
 * adapts node:test). Subtests must run one at a time, and a failed check
 * must not stop the subtest: the kit reports every failure it finds.
 */
export interface ConformanceTest {
  /** Runs `fn` as a subtest named `name`; the returned value settles when it has ended (a promise, under tap). */
  test(name: string, fn: (t: ConformanceTest) => unknown): unknown
  ok(value: unknown, message: string): unknown
  equal(found: unknown, wanted: unknown, message: string): unknown
  same(found: unknown, wanted: unknown, message: string): unknown
  fail(message: string): unknown
  comment(...message: unknown[]): unknown
  /** Registers a subtest that is skipped, not run (tap counts it in its summary); when absent, the kit only comments. */
  skip?(name: string, fn: (t: ConformanceTest) => unknown): unknown
}

/** What a storage plugin's author passes to {@link runStorageConformance}. */
export interface StorageConformanceOptions {
  /** Shown in the test names, for example `'sqlite (file)'`. */
  name: string
  /**
   * Makes a fresh, not yet initialised plugin. `scope` is a unique lower-case
   * identifier (letters and digits, at most 12 characters) per subtest: use it
   * to isolate storage, for example as a table-name prefix or file name.
   * Two calls with the same scope must reach the same data (unless
   * `sharedScope` is false).
   */
  create(scope: string): StoragePlugin | Promise<StoragePlugin>
  /** Removes what a scope left behind (drop its tables, delete its file), after the plugin is closed. */
  destroy?(scope: string): unknown
  /**
   * Makes the database go away under an initialised plugin (end its pool,
   * kill its connections, close its handle). When given, the kit checks that
   * every operation then rejects with `ERR_AUTH_STORAGE_UNAVAILABLE` carrying
   * the driver error as `cause`.
   */
  breakConnection?(plugin: StoragePlugin, scope: string): unknown
  /**
   * Set false when two plugins created with the same scope cannot share data
   * (an in-memory store); the cross-instance cases (three instances
   * initialising one storage; `close()` of one leaving what it was given
   * open for the next) are then reported as skipped. Default true.
   */
  sharedScope?: boolean
}

/** What a counter store's author passes to {@link runRateLimitStoreConformance}. */
export interface RateLimitConformanceOptions {
  /** Shown in the test names, for example `'redis'`. */
  name: string
  /**
   * Makes a fresh, ready store for one subtest. `scope` is a unique lower-case
   * identifier (letters and digits): use it to isolate the subtest's keys,
   * for example in a key prefix or table name.
   */
  create(scope: string): RateLimitStore | Promise<RateLimitStore>
  /** Removes what a scope left behind, after the store's `close()` (if it has one) has run. */
  destroy?(scope: string): unknown
  /**
   * Set true when the backend keeps time by its own clock rather than by the
   * `now` it is given (Redis expires keys itself). The kit then passes the
   * real time, waits for short windows to end instead of passing a later
   * `now`, and allows a few milliseconds of drift in `resetAt`. Default false.
   */
  ownClock?: boolean
  /**
   * Makes the backend go away under a live store (end the client or pool you
   * passed it). When given, the kit checks that every operation then rejects
   * with `ERR_AUTH_STORAGE_UNAVAILABLE` carrying the backend's error as
   * `cause`; without it those cases are reported as skipped.
   */
  breakConnection?(store: RateLimitStore, scope: string): unknown
}
