// The test OpenID Provider (test/helpers/oidc-provider.ts) against a client we did not write
// (openid-client v6): a normal sign-in gives back the account's claims, and each tamper makes
// the ID token one a client must refuse. If these fail, the fixture is wrong, not AuthCore.
import t from 'tap'
import * as client from 'openid-client'
import { decodeProtectedHeader } from 'jose'
import { oneAccount, startProvider, type Tamper, type TestProvider } from './helpers/oidc-provider.js'

const REDIRECT_URI = 'http://127.0.0.1:1/cb'

async function discover(provider: TestProvider, auth?: client.ClientAuth) {
  return client.discovery(new URL(provider.issuer), provider.clientId, provider.clientSecret, auth, {
    execute: [client.allowInsecureRequests],
  })
}

/** One full code flow with PKCE, state and nonce, as a relying party does it. */
async function signIn(provider: TestProvider, config: client.Configuration, sub: string = oneAccount.sub) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const nonce = client.randomNonce()
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email profile',
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  })
  const callback = await provider.login(url.href, sub)
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  })
  return { callback, state, tokens }
}

t.test('a sign-in returns the account claims in the ID token', async (t) => {
  const provider = await startProvider({ redirectUris: [REDIRECT_URI] })
  t.teardown(() => provider.close())
  t.match(provider.issuer, /^http:\/\/127\.0\.0\.1:\d+$/)
  const config = await discover(provider)

  const { callback, state, tokens } = await signIn(provider, config)
  t.equal(`${callback.origin}${callback.pathname}`, REDIRECT_URI, 'login() stops at the redirect_uri')
  t.equal(callback.searchParams.get('state'), state)
  t.equal(callback.searchParams.get('iss'), provider.issuer, 'RFC 9207 iss in the authorization response')
  t.ok(callback.searchParams.get('code'))
  t.match(tokens.claims(), {
    iss: provider.issuer,
    aud: provider.clientId,
    sub: oneAccount.sub,
    email: oneAccount.email,
    email_verified: true,
    name: oneAccount.name,
  })
  t.equal(decodeProtectedHeader(tokens.id_token!).alg, 'RS256')

  provider.addAccount({ sub: 'user-2', email: 'grace@example.com', emailVerified: false })
  const second = await signIn(provider, config, 'user-2')
  t.match(second.tokens.claims(), { sub: 'user-2', email: 'grace@example.com', email_verified: false })
  t.notOk('name' in second.tokens.claims()!, 'claims the account lacks are absent')

  const post = await signIn(provider, await discover(provider, client.ClientSecretPost(provider.clientSecret)))
  t.equal(post.tokens.claims()!.sub, oneAccount.sub, 'client_secret_post is accepted too')

  await t.rejects(provider.login('http://127.0.0.1:1/unused', 'nobody'), /no account registered for sub "nobody"/)
})

t.test('ES256 ID tokens when asked', async (t) => {
  const provider = await startProvider({ redirectUris: [REDIRECT_URI], clientId: 'es-client', idTokenSigningAlg: 'ES256' })
  t.teardown(() => provider.close())
  const { tokens } = await signIn(provider, await discover(provider))
  t.equal(decodeProtectedHeader(tokens.id_token!).alg, 'ES256')
  t.equal(tokens.claims()!.aud, 'es-client')
})

t.test('each tamper makes the client refuse the ID token', async (t) => {
  const provider = await startProvider({ redirectUris: [REDIRECT_URI] })
  t.teardown(() => provider.close())
  const config = await discover(provider)

  const cases: [string, Tamper, RegExp][] = [
    ['wrong iss', { idTokenIssuer: 'http://127.0.0.1:9/other' }, /"iss"/],
    ['wrong aud', { idTokenAudience: 'someone-else' }, /"aud"/],
    ['expired', { idTokenExpiresIn: -60 }, /"exp"/],
    ['wrong nonce', { nonce: 'not-the-nonce' }, /"nonce"/],
    ['alg none', { alg: 'none' }, /"alg"/],
    ['HS256 keyed with the client secret', { alg: 'HS256' }, /"alg"/],
  ]
  for (const [name, tamper, reason] of cases) {
    provider.tamper(tamper)
    // openid-client v6 throws a generic message ("unexpected JWT claim value encountered");
    // oauth4webapi's precise one, naming the claim, is its cause.
    const error = await signIn(provider, config).then(
      () => undefined,
      (e: unknown) => e as Error & { cause?: Error },
    )
    t.ok(error, `${name}: refused`)
    t.match(error?.cause?.message, reason, `${name}: ${error?.message} (${error?.cause?.message})`)
  }
  const { tokens } = await signIn(provider, config)
  t.equal(tokens.claims()!.sub, oneAccount.sub, 'a tamper applies to one token response only')
})

t.test('a tampered ID token is signed again with the real key: only the changed claim is wrong', async (t) => {
  const provider = await startProvider({ redirectUris: [REDIRECT_URI] })
  t.teardown(() => provider.close())
  const config = await discover(provider)
  // A claim a client does not check: the re-signed token must still pass every check.
  provider.tamper({ claims: { email_verified: false, name: undefined } })
  const { tokens } = await signIn(provider, config)
  t.match(tokens.claims(), { sub: oneAccount.sub, email_verified: false })
  t.notOk('name' in tokens.claims()!)
})
