// AuthCore with account mail for the email tests: an in-memory mailer, the
// app's public origin, and a fast hasher (these tests are about links and
// sessions, not argon2's cost).
import type { Test } from 'tap'
import { AuthCore, type AuthCoreOptions, type MailMessage } from '../../lib/index.js'
import { sqliteStorage } from '../../plugins/storage/sqlite/index.js'
import { memoryMailer, type MemoryMailer } from '../../plugins/testing/index.js'
import { newSecret } from './keys.js'
import { fastHasher } from './hashers.js'

export { fastHasher }

export const APP_URL = 'https://app.example.com'
export const PASS = 'correct horse battery staple'
export const NEW_PASS = 'a brand new passphrase 2026'

/** An AuthCore with a memory mailer over in-memory SQLite (or `options.storage`), closed when `t` ends. */
export async function mailAuth(t: Test, options: Partial<AuthCoreOptions> = {}): Promise<{ auth: AuthCore; mailer: MemoryMailer }> {
  const mailer = memoryMailer()
  const auth = new AuthCore({
    secret: newSecret(),
    storage: sqliteStorage({ filename: ':memory:' }),
    mailer,
    appUrl: APP_URL,
    passwordPolicy: { hasher: fastHasher },
    ...options,
  } as AuthCoreOptions)
  t.teardown(() => auth.close())
  await auth.ready()
  return { auth, mailer }
}

/** The link in a message's text body (the line under appUrl). */
export function linkIn(message: MailMessage): URL {
  const found = message.text.split('\n').find((line) => line.startsWith('http'))
  if (!found) throw new Error(`no link in the '${message.kind}' message`)
  return new URL(found)
}

/** The token a message's link carries. */
export function tokenIn(message: MailMessage): string {
  const token = linkIn(message).searchParams.get('token')
  if (!token) throw new Error(`no token in the '${message.kind}' link`)
  return token
}
