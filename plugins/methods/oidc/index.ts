/**
 * `authcore/methods/oidc`: sign in with any OpenID Connect provider that
 * publishes discovery metadata, through `openid-client` (v6, by jose's
 * author). This file speaks the protocol only; the flow around it (routes,
 * the attempt cookie, accounts and linking, the one-time code) is AuthCore's
 * `oauth` plugin, which the core adds when a redirect method is configured.
 *
 * `github()` (OAuth 2, not OIDC) and `microsoft()` (multi-tenant issuers)
 * are in github.ts and microsoft.ts: they speak to their provider without
 * openid-client (see each file).
 *
 * ```ts
 * import { oidc, google } from 'authcore/methods/oidc'
 * new AuthCore({ secret, appUrl, redirectUrls: ['https://app.example.com/after-login'],
 *   methods: [basic(), google({ clientId, clientSecret }), oidc({ name: 'corp', issuer, clientId, clientSecret })] })
 * ```
 *
 * Every check is on, with no switch to turn one off: PKCE (S256), `state`,
 * `nonce`, the authorization response's `iss` (RFC 9207) when the provider
 * sends it, and the ID token's signature (keys from the provider's JWKS,
 * with the algorithm it declares; `none` and a MAC over the client secret
 * are refused), issuer, audience and expiry.
 */
import {
  AuthError, UsageError, type ExternalIdentity, type PluginContext, type ProviderTokens, type RedirectAttempt, type RedirectMethod,
} from '../../../lib/index.js'
import { providerTokens } from '../../oauth/index.js'

export { github, type GitHubOptions } from './github.js'
export { microsoft, type MicrosoftOptions } from './microsoft.js'

/** Options of {@link oidc}. */
export interface OidcOptions {
  /** The method's name: lower-case letters, digits and '-'; it names the routes (`/oauth/<name>/...`). */
  name: string
  /** The issuer URL (discovery is `<issuer>/.well-known/openid-configuration`): https, or http on a loopback address (tests, local development). */
  issuer: string
  clientId: string
  /** The client secret (confidential clients); without it the client is public and PKCE alone protects the code. */
  clientSecret?: string
  /** Scopes to ask for. Default `['openid', 'email', 'profile']`; `openid` is always included. */
  scopes?: string[]
  /** The callback URL registered at the provider, when not `${appUrl}${basePath}/oauth/<name>/callback`. */
  callbackUrl?: string
  /** How long a discovery or token request may take, in seconds. Default 10. */
  timeout?: number
  /**
   * Keep the provider's access and refresh tokens with the identity (sealed:
   * AES-256-GCM under a key derived from the signing key), refreshed on each
   * sign-in, for calling the provider's APIs; read them with
   * `method.tokens(userId)`. Default false: nothing of the provider's is kept.
   */
  keepTokens?: boolean
}

/** A redirect method that can also read back the provider tokens it keeps. */
export interface OidcMethod extends RedirectMethod {
  /** The provider tokens kept for the user (`keepTokens`), or undefined. Call after `auth.ready()`. */
  tokens(userId: string): Promise<ProviderTokens | undefined>
}

type OpenIdClient = typeof import('openid-client')
type Configuration = import('openid-client').Configuration

const NAME = /^[a-z][a-z0-9-]{0,31}$/

/** Loads openid-client on first use, so apps without redirect sign-in never load it. */
async function loadClient(): Promise<OpenIdClient> {
  try {
    return await import('openid-client')
  } catch (cause) {
    throw new UsageError("redirect sign-in needs the 'openid-client' package (npm install openid-client@6)", { cause })
  }
}

/** Whether a URL's host is a loopback address (where plain http is allowed). */
function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

function checkOptions(options: OidcOptions): URL {
  if (options === null || typeof options !== 'object') throw new UsageError('oidc(options) needs an options object')
  if (typeof options.name !== 'string' || !NAME.test(options.name)) throw new UsageError("oidc: name must be lower-case letters, digits and '-'")
  if (typeof options.clientId !== 'string' || options.clientId === '') throw new UsageError('oidc: clientId is required')
  if (options.clientSecret !== undefined && (typeof options.clientSecret !== 'string' || options.clientSecret === '')) {
    throw new UsageError('oidc: clientSecret must be a non-empty string when given')
  }
  let issuer: URL
  try {
    issuer = new URL(options.issuer)
  } catch {
    throw new UsageError('oidc: issuer must be an absolute URL')
  }
  if (!(issuer.protocol === 'https:' || (issuer.protocol === 'http:' && isLoopback(issuer)))) {
    throw new UsageError('oidc: issuer must use https (plain http only on a loopback address)')
  }
  if (options.scopes !== undefined && (!Array.isArray(options.scopes) || !options.scopes.every((s) => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)))) {
    throw new UsageError('oidc: scopes must be a list of scope tokens')
  }
  return issuer
}

/** A sign-in method for an OpenID Connect provider. */
export function oidc(options: OidcOptions): OidcMethod {
  const issuer = checkOptions(options)
  const scope = [...new Set(['openid', ...(options.scopes ?? ['email', 'profile'])])].join(' ')
  const timeout = options.timeout ?? 10
  let configuration: Promise<{ client: OpenIdClient; config: Configuration }> | undefined
  let context: PluginContext | undefined

  /** Discovery, once; a failure is forgotten so the next sign-in tries again. */
  const configured = () => {
    configuration ??= (async () => {
      const client = await loadClient()
      const insecure = issuer.protocol === 'http:' ? { execute: [client.allowInsecureRequests] } : {}
      const config = await client.discovery(issuer, options.clientId, options.clientSecret, undefined, { ...insecure, timeout })
      // openid-client trusts an ID token from the token endpoint without its
      // signature unless asked: ask, so the promise above holds for oidc() too.
      client.enableNonRepudiationChecks(config)
      return { client, config }
    })()
    configuration.catch(() => (configuration = undefined))
    return configuration
  }

  return Object.freeze({
    name: options.name,
    kind: 'redirect' as const,
    ...(options.callbackUrl !== undefined && { callbackUrl: options.callbackUrl }),

    setup(ctx: PluginContext) {
      context = ctx
    },

    async tokens(userId: string): Promise<ProviderTokens | undefined> {
      if (!context) throw new UsageError(`oidc '${options.name}': call auth.ready() first`)
      return providerTokens(context, userId, options.name)
    },

    async authorizationUrl(attempt: RedirectAttempt): Promise<URL> {
      const { client, config } = await configured()
      return client.buildAuthorizationUrl(config, {
        redirect_uri: attempt.redirectUri,
        scope,
        state: attempt.state,
        nonce: attempt.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(attempt.codeVerifier),
        code_challenge_method: 'S256',
      })
    },

    async callback(callbackUrl: URL, attempt: RedirectAttempt): Promise<ExternalIdentity> {
      const { client, config } = await configured()
      let tokens
      try {
        tokens = await client.authorizationCodeGrant(config, callbackUrl, {
          pkceCodeVerifier: attempt.codeVerifier,
          expectedState: attempt.state,
          expectedNonce: attempt.nonce,
          idTokenExpected: true,
        })
      } catch (err) {
        // openid-client's error and its cause can hold the ID token's claims,
        // the token response or the callback's code: pass on only what went wrong.
        throw new Error(`oidc '${options.name}': ${describe(err)}`)
      }
      const claims = tokens.claims()
      if (!claims || typeof claims.sub !== 'string' || claims.sub === '') throw new AuthError('ERR_OAUTH_VERIFICATION_FAILED')
      return {
        issuer: claims.iss,
        subject: claims.sub,
        ...(typeof claims.email === 'string' && { email: claims.email }),
        emailVerified: claims.email_verified === true,
        ...(typeof claims.name === 'string' && { name: claims.name }),
        ...(options.keepTokens === true && { tokens: keptTokens(tokens) }),
      }
    },
  })
}

/** What went wrong, from openid-client's error and its cause: their codes and messages, nothing they carry. */
function describe(err: unknown): string {
  const parts: string[] = []
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 3; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    parts.push(`${typeof code === 'string' ? `${code}: ` : ''}${e.message.slice(0, 200)}`)
  }
  return parts.join(' <- ') || 'the provider answer was refused'
}

/** The provider's tokens from a token response, as kept. */
function keptTokens(response: { access_token: string; refresh_token?: string; scope?: string; expiresIn(): number | undefined }): ProviderTokens {
  const expiresIn = response.expiresIn()
  return {
    accessToken: response.access_token,
    ...(response.refresh_token !== undefined && { refreshToken: response.refresh_token }),
    ...(expiresIn !== undefined && { expiresAt: new Date(Date.now() + expiresIn * 1000).toISOString() }),
    ...(response.scope !== undefined && { scope: response.scope }),
  }
}

/** Google: `oidc()` with Google's issuer. Register `${appUrl}${basePath}/oauth/google/callback` in the Google Cloud console. */
export function google(options: Omit<OidcOptions, 'issuer' | 'name'> & { name?: string }): OidcMethod {
  return oidc({ ...options, name: options.name ?? 'google', issuer: 'https://accounts.google.com' })
}
