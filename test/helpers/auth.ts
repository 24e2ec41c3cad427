import type { Test } from 'tap'
import { AuthCore, type AuthCoreOptions } from '../../lib/index.js'
import { sqliteStorage } from '../../plugins/storage/sqlite/index.js'
import { newSecret } from './keys.js'

/** An AuthCore over a fresh in-memory SQLite database, closed when the test ends. */
export async function makeAuth(t: Test, options: Partial<AuthCoreOptions> = {}): Promise<AuthCore> {
  const auth = new AuthCore({ secret: newSecret(), storage: sqliteStorage({ filename: ':memory:' }), ...options } as AuthCoreOptions)
  await auth.ready()
  t.teardown(() => auth.close())
  return auth
}

/** Signs up a user and returns their verified claims with the rest of the result. */
export async function signedUp(auth: AuthCore, email: string, pass = 'a long enough passphrase', name = 'Test User') {
  const result = await auth.signUp({ email, name, pass })
  return { ...result, claims: await auth.verify(result.token), pass }
}

/** Resolves to the error a promise rejects with (fails loudly if it resolves). */
export async function errorOf(promise: Promise<unknown>): Promise<Error & { code?: string; status?: number }> {
  try {
    await promise
  } catch (err) {
    return err as Error & { code?: string; status?: number }
  }
  throw new Error('expected a rejection')
}
