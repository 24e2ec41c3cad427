/**
 * Sign in with GitHub. GitHub speaks OAuth 2, not OpenID Connect: there is
 * no ID token to verify, so the identity comes from GitHub's API, asked
 * with the access token the code is exchanged for (over TLS, from the
 * configured host: that is what vouches for it).
 *
 * - The subject is the numeric user id, never the login: a login can be
 *   renamed, and a freed login taken by someone else.
 * - The email is the primary one from `/user/emails`, verified only when
 *   GitHub says so; the public profile email is never used.
 * - PKCE (S256) binds the code to the attempt that asked for it, `state`
 *   to the browser.
 */
import { UsageError, type ExternalIdentity, type RedirectAttempt, type RedirectMethod } from '../../../lib/index.js'
import { authorizationCode, baseUrlOption, checkCommon, describe, fetchJson, isObject, pkceChallenge } from './provider-http.js'

/** Options of {@link github}. */
export interface GitHubOptions {
  /** The method's name (it names the routes, `/oauth/<name>/...`). Default `'github'`. */
  name?: string
  /** The OAuth app's client ID (or a GitHub App's). */
  clientId: string
  /** The OAuth app's client secret. */
  clientSecret: string
  /** The callback URL registered at GitHub, when not `${appUrl}${basePath}/oauth/<name>/callback`. */
  callbackUrl?: string
  /**
   * Where users sign in: default `https://github.com`; a GitHub Enterprise
   * Server's URL (`https://github.example.com`). https, or http on a
   * loopback address (tests). Also the identity's issuer: ids of two
   * GitHub hosts are different people.
   */
  baseUrl?: string
  /** GitHub's REST API: default `https://api.github.com`; on Enterprise Server `https://github.example.com/api/v3`. */
  apiUrl?: string
  /** How long each request to GitHub may take, in seconds. Default 10. */
  timeout?: number
}

/** What the app asks for: the profile (read) and the email addresses. */
const SCOPE = 'read:user user:email'
/** GitHub's API asks every client to name itself. */
const USER_AGENT = 'authcore'
const API_VERSION = '2022-11-28'

/**
 * A sign-in method for GitHub (or GitHub Enterprise Server). Register an
 * OAuth app (Settings → Developer settings → OAuth Apps) with the callback
 * `${appUrl}${basePath}/oauth/github/callback`.
 */
export function github(options: GitHubOptions): RedirectMethod {
  if (options === null || typeof options !== 'object') throw new UsageError('github(options) needs an options object')
  checkCommon('github', options)
  if (typeof options.clientSecret !== 'string' || options.clientSecret === '') throw new UsageError('github: clientSecret is required')
  const base = baseUrlOption('github', 'baseUrl', options.baseUrl ?? 'https://github.com')
  const api = baseUrlOption('github', 'apiUrl', options.apiUrl ?? 'https://api.github.com')
  const timeout = options.timeout ?? 10
  const { clientId, clientSecret } = options

  /** A GET of GitHub's API with the user's access token (which goes nowhere else, and into no error). */
  const apiGet = (path: string, accessToken: string, what: string) =>
    fetchJson(`${api}${path}`, {
      what: `github: ${what}`,
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/vnd.github+json', 'user-agent': USER_AGENT, 'x-github-api-version': API_VERSION },
      timeout,
      maxBytes: 64 * 1024,
    })

  return Object.freeze({
    name: options.name ?? 'github',
    kind: 'redirect' as const,
    ...(options.callbackUrl !== undefined && { callbackUrl: options.callbackUrl }),

    async authorizationUrl(attempt: RedirectAttempt): Promise<URL> {
      const url = new URL(`${base}/login/oauth/authorize`)
      url.search = new URLSearchParams({
        client_id: clientId,
        redirect_uri: attempt.redirectUri,
        scope: SCOPE,
        state: attempt.state,
        code_challenge: pkceChallenge(attempt.codeVerifier),
        code_challenge_method: 'S256',
      }).toString()
      return url
    },

    async callback(callbackUrl: URL, attempt: RedirectAttempt): Promise<ExternalIdentity> {
      const code = authorizationCode('github', callbackUrl, attempt)
      const tokens = await fetchJson(`${base}/login/oauth/access_token`, {
        what: 'github: the token request',
        headers: { 'user-agent': USER_AGENT },
        form: new URLSearchParams({ client_id: clientId, client_secret: clientSecret, code, redirect_uri: attempt.redirectUri, code_verifier: attempt.codeVerifier }),
        timeout,
        maxBytes: 16 * 1024,
      })
      // GitHub answers a refused exchange (a wrong code or verifier) with 200 and an `error`.
      if (!isObject(tokens)) throw new Error('github: the token request answered no JSON object')
      if (tokens.error !== undefined) throw new Error(`github: the token request was refused (${describe(tokens.error)})`)
      const accessToken = tokens.access_token
      if (typeof accessToken !== 'string' || accessToken === '' || (tokens.token_type !== undefined && String(tokens.token_type).toLowerCase() !== 'bearer')) {
        throw new Error('github: the token request answered no bearer access token')
      }

      const user = await apiGet('/user', accessToken, 'GET /user')
      if (!isObject(user) || !Number.isSafeInteger(user.id) || (user.id as number) <= 0) throw new Error('github: GET /user answered no numeric id')
      const name = [user.name, user.login].find((n): n is string => typeof n === 'string' && n.trim() !== '')

      const emails = await apiGet('/user/emails?per_page=100', accessToken, 'GET /user/emails')
      if (!Array.isArray(emails) || !emails.every(isObject)) throw new Error('github: GET /user/emails answered no list of addresses')
      // Only the primary address, and verified only if GitHub says so: an account can list any address unverified.
      const primary = emails.find((e) => e.primary === true && typeof e.email === 'string' && e.email !== '')

      return {
        issuer: base,
        subject: String(user.id),
        ...(primary !== undefined && { email: primary.email as string, emailVerified: primary.verified === true }),
        ...(name !== undefined && { name }),
      }
    },
  })
}
