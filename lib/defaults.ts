/**
 * The one place the core names plugins: the defaults it documents. Without a
 * `methods` option, AuthCore signs in with `basic()`; without `storage`, it
 * keeps users in a SQLite file in the working directory; with a `mailer`, it
 * serves account mail (reset, verification, email change) through the
 * `plugins/email` plugin; with a redirect method, it runs the redirect
 * sign-in flow through the `plugins/oauth` plugin. Everything else in
 * `lib/` reaches plugins only through the contract types.
 */
import { basic } from '../plugins/methods/basic.js'
import { accountEmail } from '../plugins/email/index.js'
import { oauthFlow } from '../plugins/oauth/index.js'
import type { AccountEmailService } from './account-email-types.js'
import type { RedirectSignIn } from './redirect-sign-in-types.js'
import type { ResolvedOptions } from './options-validate.js'
import type { AuthPlugin } from './plugin-types.js'
import type { RedirectMethod, SignInMethod } from './method-types.js'
import type { StoragePlugin } from './storage-types.js'

/** The file the default SQLite storage uses, in the working directory. */
export const DEFAULT_SQLITE_FILE = 'authcore.db'

/** The sign-in methods the options name, or `[basic()]`. */
export function chooseMethods(options: ResolvedOptions): readonly SignInMethod[] {
  return options.methods ?? [basic()]
}

/** The storage plugin the options name, or the default SQLite file (created on its `init()`; the driver loads only then). */
export async function chooseStorage(options: ResolvedOptions): Promise<StoragePlugin> {
  return options.storage ?? (await import('../plugins/storage/sqlite/index.js')).sqliteStorage({ filename: DEFAULT_SQLITE_FILE })
}

/** The account-mail plugin when a mailer is set (it needs one to send its links), else none. */
export function chooseAccountEmail(options: ResolvedOptions): AccountEmailService | undefined {
  return options.mailer === undefined ? undefined : accountEmail(options.accountEmail)
}

/** The redirect sign-in flow (`plugins/oauth`) when a redirect method is configured (OpenID Connect, OAuth 2), else none. */
export function chooseRedirectFlow(methods: readonly SignInMethod[]): (AuthPlugin & RedirectSignIn) | undefined {
  const redirects = methods.filter((m): m is RedirectMethod => m.kind === 'redirect')
  return redirects.length === 0 ? undefined : oauthFlow(redirects)
}
