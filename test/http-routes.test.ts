// The routes beyond Space Cloud's: refresh, sign-out and the JWKS document,
// driven through auth.handle() as every adapter drives them.
import t from 'tap'
import { ed } from './helpers/keys.js'
import { makeAuth } from './helpers/auth.js'

const pass = 'a long enough passphrase'

function call(auth: { handle(r: Request): Promise<Response> }, method: string, path: string, body?: unknown) {
  return auth
    .handle(
      new Request(`http://localhost/auth${path}`, {
        method,
        ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
      }),
    )
    .then(async (response) => ({ status: response.status, headers: response.headers, body: (await response.json()) as Record<string, any> }))
}

t.test('POST /token/refresh rotates and POST /signout ends the session', async (t) => {
  const auth = await makeAuth(t)
  const signup = await call(auth, 'POST', '/email/signup', { email: 'r@example.com', name: 'R', pass })
  t.equal(signup.status, 200)
  const first = signup.body.refreshToken as string
  const refreshed = await call(auth, 'POST', '/token/refresh', { refreshToken: first })
  t.equal(refreshed.status, 200)
  t.same(Object.keys(refreshed.body).sort(), ['refreshToken', 'token'])
  t.equal(refreshed.headers.get('cache-control'), 'no-store')
  t.ok(await auth.verify(refreshed.body.token))

  const signedOut = await call(auth, 'POST', '/signout', { refreshToken: refreshed.body.refreshToken })
  t.same([signedOut.status, signedOut.body], [200, { ok: true }])
  const after = await call(auth, 'POST', '/token/refresh', { refreshToken: refreshed.body.refreshToken })
  t.same([after.status, after.body.code], [401, 'ERR_AUTH_SESSION_REVOKED'])
  t.equal(after.headers.get('www-authenticate'), 'Bearer')
})

t.test('refresh and sign-out refuse bad bodies and foreign tokens with clear codes', async (t) => {
  const auth = await makeAuth(t)
  const { token } = await auth.signUp({ email: 'b@example.com', name: 'B', pass })
  const cases: [unknown, number, string][] = [
    [{}, 400, 'ERR_AUTH_INPUT_INVALID'],
    [{ refreshToken: 42 }, 400, 'ERR_AUTH_INPUT_INVALID'],
    [{ refreshToken: 'x', extra: 1 }, 400, 'ERR_AUTH_INPUT_INVALID'],
    [{ refreshToken: token }, 401, 'ERR_AUTH_REFRESH_INVALID'],
    [{ refreshToken: 'not-a-refresh-token' }, 401, 'ERR_AUTH_REFRESH_INVALID'],
    ['{"refreshToken":', 400, 'ERR_AUTH_BODY_MALFORMED'],
  ]
  for (const path of ['/token/refresh', '/signout']) {
    for (const [body, status, code] of cases) {
      const answer = await call(auth, 'POST', path, body)
      t.same([answer.status, answer.body.code], [status, code], `${path} ${typeof body === 'string' ? body : JSON.stringify(body)}`)
      t.notMatch(JSON.stringify(answer.body), token.split('.')[1]!, 'no token echoed')
    }
    t.equal((await call(auth, 'GET', path)).status, 405)
  }
})

t.test('GET /.well-known/jwks.json is served only with asymmetric keys', async (t) => {
  const hs = await makeAuth(t)
  t.equal((await call(hs, 'GET', '/.well-known/jwks.json')).status, 404, 'HS256 only: no JWKS route')
  const pair = ed()
  const asym = await makeAuth(t, { secret: undefined, keys: [{ alg: 'EdDSA', privateKey: pair.privateKey }] } as never)
  const jwks = await call(asym, 'GET', '/.well-known/jwks.json')
  t.equal(jwks.status, 200)
  t.equal(jwks.body.keys.length, 1)
  t.notOk('d' in jwks.body.keys[0], 'no private part')
})
