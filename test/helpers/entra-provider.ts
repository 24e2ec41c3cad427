// A stand-in for the Microsoft identity platform (v2 endpoints) on 127.0.0.1: the test
// OpenID Provider (oidc-provider, ./oidc-provider.ts) does the protocol (authorization
// with PKCE, login and consent, the token endpoint, signing), and a small front server
// in front of it plays Microsoft's authority:
//
// - `GET /<tenant>/v2.0/.well-known/openid-configuration` answers the provider's metadata
//   with Microsoft's issuer: the template `<authority>/{tenantid}/v2.0` for `common` and
//   `organizations`, the personal-accounts tenant's issuer for `consumers`, the tenant's
//   own for a tenant ID or a registered domain (400 for an unknown one, as Microsoft);
//   no `authorization_response_iss_parameter_supported` (Microsoft sends no `iss` back),
//   and `jwks_uri` pointing at the front;
// - `GET /<tenant>/discovery/v2.0/keys` answers the provider's keys, each with the
//   `issuer` member Microsoft's keys carry (the template, unless `keyIssuer` says otherwise).
//
// Each ID token is then made Microsoft's: `login(url, user)` has the provider rewrite the
// next one (re-signed with its own key) so that it carries the user's `tid` and `oid`,
// `iss` = `<authority>/<tid>/v2.0`, the `email` claim, `preferred_username`, `xms_edov`
// when set, and no `email_verified` (Microsoft sends none).
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { startProvider, type Tamper, type TestProvider } from './oidc-provider.js'

/** The tenant of personal Microsoft accounts. */
export const CONSUMERS_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad'

export interface EntraUser {
  /** The tenant the user signs in to (a GUID). */
  tid: string
  /** The user's object ID in that tenant (a GUID). */
  oid: string
  email?: string
  /** `xms_edov`: the email's domain is verified by the tenant (left out when undefined). */
  edov?: boolean
  name?: string
  preferredUsername?: string
}

export interface EntraStandIn {
  /** http://127.0.0.1:PORT: the `authority` option. */
  readonly authority: string
  readonly clientId: string
  readonly clientSecret: string
  /** The provider behind the front. */
  readonly provider: TestProvider
  /**
   * Plays the browser at Microsoft as `user` (any user, any tenant: the provider accepts them all) and answers
   * the redirect back to the app without following it. The next ID token carries the user's claims, then
   * `change` (a different `iss`, claims, a tampered signature...).
   */
  login(authorizationUrl: string | URL, user: EntraUser, change?: Tamper): Promise<URL>
  close(): Promise<void>
}

export interface EntraOptions {
  redirectUris: string[]
  /** Verified domains, each the name of a tenant: `{ 'contoso.example': '<tid>' }`. */
  domains?: Record<string, string>
  /** The `issuer` member of every signing key, in place of the template. */
  keyIssuer?: (authority: string) => string
  /** The issuer discovery names for a tenant, in place of Microsoft's (to show a wrong one is refused). */
  discoveryIssuer?: (tenant: string, authority: string) => string
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

export async function startEntra(options: EntraOptions): Promise<EntraStandIn> {
  const provider = await startProvider({ redirectUris: options.redirectUris, clientId: '11111111-2222-4333-8444-555555555555' })
  const metadata = (await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>

  const front = createServer(async (req, res) => {
    const answer = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body))
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname
    const discovery = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path)
    if (req.method === 'GET' && discovery) {
      const tenant = decodeURIComponent(discovery[1]!).toLowerCase()
      const tid = tenant === 'consumers' ? CONSUMERS_TENANT : GUID.test(tenant) ? tenant : options.domains?.[tenant]
      const issuer = options.discoveryIssuer?.(tenant, authority) ?? (tenant === 'common' || tenant === 'organizations' ? `${authority}/{tenantid}/v2.0` : tid && `${authority}/${tid}/v2.0`)
      if (!issuer) return answer(400, { error: 'invalid_tenant', error_description: `AADSTS90002: Tenant '${tenant}' not found.` })
      const { authorization_response_iss_parameter_supported: _, ...rest } = metadata
      return answer(200, { ...rest, issuer, jwks_uri: `${authority}/${tenant}/discovery/v2.0/keys`, id_token_signing_alg_values_supported: ['RS256'] })
    }
    if (req.method === 'GET' && /^\/[^/]+\/discovery\/v2\.0\/keys$/.test(path)) {
      const jwks = (await (await fetch(String(metadata.jwks_uri))).json()) as { keys: Record<string, unknown>[] }
      return answer(200, { keys: jwks.keys.map((key) => ({ ...key, issuer: options.keyIssuer?.(authority) ?? `${authority}/{tenantid}/v2.0` })) })
    }
    answer(404, { error: 'not_found' })
  })
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve))
  const authority = `http://127.0.0.1:${(front.address() as AddressInfo).port}`

  return {
    authority,
    clientId: provider.clientId,
    clientSecret: provider.clientSecret,
    provider,
    async login(authorizationUrl, user, change = {}) {
      // Entra's `sub` is pairwise (per app) and is not the `oid`: keep them apart, so a test shows which is used.
      const sub = `pairwise-${user.tid.slice(0, 8)}-${user.oid}`
      provider.addAccount({ sub, ...(user.email !== undefined && { email: user.email }), ...(user.name !== undefined && { name: user.name }) })
      provider.tamper({
        idTokenIssuer: `${authority}/${user.tid}/v2.0`,
        ...change,
        claims: {
          tid: user.tid,
          oid: user.oid,
          email: user.email,
          email_verified: undefined,
          preferred_username: user.preferredUsername ?? user.email,
          ...(user.edov !== undefined && { xms_edov: user.edov }),
          ...change.claims,
        },
      })
      const back = await provider.login(authorizationUrl, sub)
      // oidc-provider sends `iss` back (RFC 9207); Microsoft does not.
      back.searchParams.delete('iss')
      return back
    },
    async close() {
      await new Promise<void>((resolve) => {
        front.close(() => resolve())
        front.closeAllConnections()
      })
      await provider.close()
    },
  }
}
