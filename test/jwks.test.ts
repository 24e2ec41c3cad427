import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { AuthCore, isAuthError } from '../lib/index.js'
import { ec, ed, mint, newSecret, rsa } from './helpers/keys.js'

/** A JWKS makes sense only with an issuer (or audience) to pin: the options require one. */
const ISS = 'https://issuer.test'

/** A JWKS endpoint on 127.0.0.1 whose answer the test controls, counting requests. */
async function jwksServer(t: Test) {
  const state = { body: JSON.stringify({ keys: [] }) as string, status: 200, hits: 0 }
  const server: Server = createServer((_req, res) => {
    state.hits++
    res.writeHead(state.status, { 'content-type': 'application/json' }).end(state.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`
  return { state, url }
}

const publicJwk = (pair: ReturnType<typeof rsa> | ReturnType<typeof ec>, kid: string, alg?: string) => ({
  ...pair.publicKey.export({ format: 'jwk' }),
  kid,
  ...(alg && { alg }),
})

t.test('tokens verify against keys fetched from the JWKS URL', async (t) => {
  const { state, url } = await jwksServer(t)
  const r = rsa()
  const e = ec()
  state.body = JSON.stringify({ keys: [publicJwk(r, 'r1', 'RS256'), publicJwk(e, 'e1')] })
  const auth = new AuthCore({ issuer: ISS, jwksUrl: url })
  t.equal((await auth.verify(await mint(r.privateKey, { iss: ISS }, { alg: 'RS256', kid: 'r1' }))).sub, 'user-1')
  t.equal((await auth.verify(await mint(e.privateKey, { iss: ISS }, { alg: 'ES256', kid: 'e1' }))).sub, 'user-1', 'alg derived from kty when the JWK has none')
  t.equal(state.hits, 1, 'fetched once, then cached')
})

t.test('unknown kid refetches at most once per cooldown', async (t) => {
  const { state, url } = await jwksServer(t)
  const r = rsa()
  state.body = JSON.stringify({ keys: [publicJwk(r, 'r1')] })
  let clock = Date.now()
  const auth = new AuthCore({ issuer: ISS, jwksUrl: url, jwks: { cooldown: 30 }, now: () => clock })
  await auth.verify(await mint(r.privateKey, { iss: ISS }, { alg: 'RS256', kid: 'r1' }))
  t.equal(state.hits, 1)

  const rotated = rsa()
  const newToken = await mint(rotated.privateKey, { iss: ISS }, { alg: 'RS256', kid: 'r2' })
  // Many tokens with made-up kids inside one cooldown cause no fetch.
  for (let i = 0; i < 20; i++) {
    await t.rejects(auth.verify(await mint(rotated.privateKey, { iss: ISS }, { alg: 'RS256', kid: `fake-${i}` })), { code: 'ERR_AUTH_TOKEN_KEY_UNKNOWN' })
  }
  t.equal(state.hits, 1, 'no refetch inside the cooldown')

  state.body = JSON.stringify({ keys: [publicJwk(r, 'r1'), publicJwk(rotated, 'r2')] })
  clock += 31_000
  t.equal((await auth.verify(newToken)).sub, 'user-1', 'after the cooldown, an unknown kid refetches and the new key verifies')
  t.equal(state.hits, 2)
})

t.test('the JWKS never supplies symmetric, private, encryption or mismatched keys', async (t) => {
  const { state, url } = await jwksServer(t)
  const secret = newSecret()
  const r = rsa()
  const e = ec()
  const privateJwk = { ...r.privateKey.export({ format: 'jwk' }), kid: 'priv' }
  state.body = JSON.stringify({
    keys: [
      { kty: 'oct', k: Buffer.from(secret).toString('base64url'), kid: 'oct' },
      privateJwk,
      { ...publicJwk(e, 'enc'), use: 'enc' },
      publicJwk(e, 'lying', 'RS256'),
      'not an object',
      null,
    ],
  })
  const auth = new AuthCore({ issuer: ISS, jwksUrl: url, verifyCacheSize: 0 })
  await t.rejects(auth.verify(await mint(new TextEncoder().encode(secret), { iss: ISS }, { kid: 'oct' })), { code: 'ERR_AUTH_TOKEN_KEY_UNKNOWN' }, 'oct key ignored')
  await t.rejects(auth.verify(await mint(r.privateKey, { iss: ISS }, { alg: 'RS256', kid: 'priv' })), { code: 'ERR_AUTH_TOKEN_KEY_UNKNOWN' }, 'private JWK ignored')
  await t.rejects(auth.verify(await mint(e.privateKey, { iss: ISS }, { alg: 'ES256', kid: 'enc' })), { code: 'ERR_AUTH_TOKEN_KEY_UNKNOWN' }, 'enc key ignored')
  await t.rejects(auth.verify(await mint(e.privateKey, { iss: ISS }, { alg: 'ES256', kid: 'lying' })), { code: 'ERR_AUTH_TOKEN_KEY_UNKNOWN' }, 'key whose alg contradicts its type ignored')
})

t.test('an unreachable JWKS gives a clear error; a failed refetch keeps the last good keys', async (t) => {
  const { state, url } = await jwksServer(t)
  state.status = 500
  let clock = Date.now()
  const auth = new AuthCore({ issuer: ISS, jwksUrl: url, jwks: { cooldown: 10, cacheMaxAge: 60 }, now: () => clock })
  const d = ed()
  const token = await mint(d.privateKey, { iss: ISS }, { alg: 'EdDSA', kid: 'd1' })
  const err = await auth.verify(token).catch((e: unknown) => e)
  t.ok(isAuthError(err, 'ERR_AUTH_JWKS_UNAVAILABLE'), 'no keys yet: unavailable')
  t.equal((err as { status: number }).status, 503)
  await t.rejects(auth.verify(token), { code: 'ERR_AUTH_JWKS_UNAVAILABLE' })
  t.equal(state.hits, 1, 'a down JWKS is not hammered: no refetch inside the cooldown')

  state.status = 200
  state.body = JSON.stringify({ keys: [publicJwk(d as never, 'd1')] })
  clock += 11_000
  t.ok(await auth.verify(token), 'recovers after the cooldown')

  state.status = 500
  clock += 61_000
  t.ok(await auth.verify(await mint(d.privateKey, { iss: ISS, sub: 'other' }, { alg: 'EdDSA', kid: 'd1' })), 'stale set kept when the refetch fails')
})

t.test('a JWKS URL without an issuer or audience is refused at construction', async (t) => {
  t.throws(() => new AuthCore({ jwksUrl: 'https://issuer.example/jwks' }), { code: 'ERR_AUTH_OPTIONS_INVALID' })
  t.ok(new AuthCore({ jwksUrl: 'https://issuer.example/jwks', audience: 'my-api' }))
})

t.test('an oversized JWKS document is refused', async (t) => {
  const { state, url } = await jwksServer(t)
  state.body = JSON.stringify({ keys: [], pad: 'x'.repeat(300 * 1024) })
  const auth = new AuthCore({ issuer: ISS, jwksUrl: url })
  const d = ed()
  await t.rejects(auth.verify(await mint(d.privateKey, { iss: ISS }, { alg: 'EdDSA', kid: 'd1' })), { code: 'ERR_AUTH_JWKS_UNAVAILABLE' })
})
