// Shared by the storage tests that need a database server: the rule for an
// unreachable server (fail under CI, otherwise skip loudly) and unique names.
import { randomBytes } from 'node:crypto'

interface PlanTest {
  fail(message: string): unknown
  plan(n: number, comment?: string): unknown
}

/** Resolves true when `probe` reaches the server; otherwise fails (CI) or skips the file, loudly. */
export async function serverReachable(t: PlanTest, name: string, url: string, probe: () => Promise<unknown>): Promise<boolean> {
  try {
    await probe()
    return true
  } catch (err) {
    const where = url.replace(/\/\/[^@/]*@/, '//***@')
    const reason = `${name} at ${where} is unreachable (${(err as Error).message || String(err)})`
    if (process.env.CI) {
      t.fail(`${reason}; CI is set, so the ${name} tests must run`)
    } else {
      console.error(`\n${'!'.repeat(72)}\n!! SKIPPING the ${name} storage tests: ${reason}\n!! Start the server or set the URL variable to run them.\n${'!'.repeat(72)}\n`)
      t.plan(0, `${name} unreachable`)
    }
    return false
  }
}

/** A random, identifier-safe prefix for this test file's tables. */
export function tablePrefix(): string {
  return 'ac' + randomBytes(3).toString('hex')
}
