import { createHmac } from 'node:crypto'
import t, { type Test } from 'tap'
import { AuthCore, isAuthError, type AuthErrorCode } from '../lib/index.js'
import { b64, ec, ed, mint, newSecret, nowSec, rsa } from './helpers/keys.js'

const secret = newSecret()
const key = new TextEncoder().encode(secret)

async function rejects(t: Test, promise: Promise<unknown>, code: AuthErrorCode, name: string) {
  try {
    await promise
    t.fail(`${name}: expected ${code}, but it verified`)
  } catch (err) {
    t.ok(isAuthError(err, code), `${name}: ${isAuthError(err) ? err.code : String(err)}`)
    if (isAuthError(err)) t.equal(err.status, 401, `${name}: status 401`)
  }
}

/** A compact JWS signed with HMAC over whatever header and payload we give, for hand-made attacks. */
function forge(header: object, payload: object, hmacKey: string | Uint8Array = key): string {
  const input = `${b64(header)}.${b64(payload)}`
  return `${input}.${createHmac('sha256', hmacKey).update(input).digest('base64url')}`
}

t.test('a valid token from another service sharing the secret verifies', async (t) => {
  const auth = new AuthCore({ secret })
  const claims = await auth.verify(await mint(key))
  t.equal(claims.sub, 'user-1')
  t.equal(claims.id, 'user-1', 'id mirrors sub')
  t.equal(claims.email, 'a@example.com')
  t.equal(claims.role, 'user')
  t.ok(Object.isFrozen(claims), 'claims cannot be changed by one caller for the next')
})

t.test('Space Cloud claims: id without sub, and typ JWT or at+jwt', async (t) => {
  const auth = new AuthCore({ secret })
  const fromId = await auth.verify(await mint(key, { sub: undefined, id: 'sc-42' }))
  t.equal(fromId.sub, 'sc-42')
  t.equal(fromId.id, 'sc-42')
  t.ok(await auth.verify(await mint(key, {}, { typ: 'JWT' })))
  t.ok(await auth.verify(await mint(key, {}, { typ: 'at+jwt' })))
  t.ok(await auth.verify(await mint(key, {}, { typ: 'application/at+jwt' })))
})

t.test('hostile and broken tokens are refused with specific codes', async (t) => {
  const auth = new AuthCore({ secret, issuer: 'https://auth.example', audience: ['api'], verifyCacheSize: 0 })
  const good = { iss: 'https://auth.example', aud: 'api' }
  const now = nowSec()
  t.ok(await auth.verify(await mint(key, good)), 'control: a correct token verifies')

  const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'admin', exp: now + 60, ...good })}.`
  await rejects(t, auth.verify(unsigned), 'ERR_AUTH_TOKEN_ALG_NOT_ALLOWED', 'alg none')
  await rejects(t, auth.verify(forge({ alg: 'HS512' }, { sub: 'x', exp: now + 60, ...good })), 'ERR_AUTH_TOKEN_ALG_NOT_ALLOWED', 'alg outside the allow-list')
  await rejects(t, auth.verify(forge({ alg: 'RS256' }, { sub: 'x', exp: now + 60, ...good })), 'ERR_AUTH_TOKEN_ALG_NOT_ALLOWED', 'RS256 header for an HS256 key')

  const real = await mint(key, good)
  const [h, , s] = real.split('.')
  const tampered = `${h}.${b64({ sub: 'admin', role: 'admin', exp: now + 600, ...good })}.${s}`
  await rejects(t, auth.verify(tampered), 'ERR_AUTH_TOKEN_SIGNATURE_INVALID', 'tampered payload')
  await rejects(t, auth.verify(`${real.slice(0, -4)}AAAA`), 'ERR_AUTH_TOKEN_SIGNATURE_INVALID', 'bad signature')
  await rejects(t, auth.verify(await mint(new TextEncoder().encode(newSecret()), good)), 'ERR_AUTH_TOKEN_SIGNATURE_INVALID', 'other secret')

  await rejects(t, auth.verify(await mint(key, { ...good, exp: undefined })), 'ERR_AUTH_TOKEN_CLAIM_INVALID', 'missing exp')
  await rejects(t, auth.verify(await mint(key, { ...good, exp: now - 60 })), 'ERR_AUTH_TOKEN_EXPIRED', 'expired')
  await rejects(t, auth.verify(await mint(key, { ...good, nbf: now + 120 })), 'ERR_AUTH_TOKEN_NOT_YET_VALID', 'not yet valid')
  await rejects(t, auth.verify(await mint(key, { ...good, iss: 'https://evil.example' })), 'ERR_AUTH_TOKEN_CLAIM_INVALID', 'wrong iss')
  await rejects(t, auth.verify(await mint(key, { ...good, iss: undefined })), 'ERR_AUTH_TOKEN_CLAIM_INVALID', 'missing iss')
  await rejects(t, auth.verify(await mint(key, { ...good, aud: 'other-api' })), 'ERR_AUTH_TOKEN_CLAIM_INVALID', 'wrong aud')
  await rejects(t, auth.verify(await mint(key, good, { typ: 'refresh+jwt' })), 'ERR_AUTH_TOKEN_TYPE_INVALID', 'refresh typ')
  await rejects(t, auth.verify(await mint(key, good, { typ: 'id_token' })), 'ERR_AUTH_TOKEN_TYPE_INVALID', 'other typ')
  await rejects(t, auth.verify(await mint(key, good, { kid: 'nobody' })), 'ERR_AUTH_TOKEN_KEY_UNKNOWN', 'unknown kid')
  await rejects(t, auth.verify(await mint(key, { ...good, sub: 'a', id: 'b' })), 'ERR_AUTH_TOKEN_CLAIM_INVALID', 'sub and id disagree')
  await rejects(t, auth.verify(await mint(key, { ...good, sub: undefined })), 'ERR_AUTH_TOKEN_CLAIM_INVALID', 'no subject at all')
  await rejects(t, auth.verify(await mint(key, { ...good, role: ['admin'] as unknown as string })), 'ERR_AUTH_TOKEN_CLAIM_INVALID', 'role not a string')

  await rejects(t, auth.verify(`${'a'.repeat(5000)}.${'b'.repeat(5000)}.c`), 'ERR_AUTH_TOKEN_TOO_LARGE', 'oversized token')
  await rejects(t, auth.verify('not-a-jwt'), 'ERR_AUTH_TOKEN_MALFORMED', 'not a JWT')
  await rejects(t, auth.verify(''), 'ERR_AUTH_TOKEN_MALFORMED', 'empty string')
  await rejects(t, auth.verify('a.b.c.d.e'), 'ERR_AUTH_TOKEN_MALFORMED', 'JWE-shaped')
  await rejects(t, auth.verify(`${b64('x')}.${b64({})}.sig`), 'ERR_AUTH_TOKEN_MALFORMED', 'header not an object')
  await rejects(t, auth.verify(forge({ alg: 'HS256' }, ['not', 'an', 'object'])), 'ERR_AUTH_TOKEN_MALFORMED', 'payload not an object')
  await rejects(t, auth.verify(forge({ alg: 'HS256', crit: ['x-unknown'], 'x-unknown': 1 }, { sub: 'x', exp: now + 60, ...good })), 'ERR_AUTH_TOKEN_MALFORMED', 'unknown crit header')
  await t.rejects(auth.verify(42 as never), TypeError, 'a non-string token is caller misuse')
})

t.test('HS256 signed with the RSA public key as the secret is refused', async (t) => {
  const { privateKey, publicKey } = rsa()
  const auth = new AuthCore({ keys: [{ kid: 'rsa-1', alg: 'RS256', privateKey }], verifyCacheSize: 0 })
  const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string
  const payload = { sub: 'admin', role: 'admin', exp: nowSec() + 60 }
  await rejects(t, auth.verify(forge({ alg: 'HS256', kid: 'rsa-1' }, payload, pem)), 'ERR_AUTH_TOKEN_ALG_NOT_ALLOWED', 'with kid')
  await rejects(t, auth.verify(forge({ alg: 'HS256' }, payload, pem)), 'ERR_AUTH_TOKEN_ALG_NOT_ALLOWED', 'without kid')
  t.ok(await auth.verify(await mint(privateKey, {}, { alg: 'RS256', kid: 'rsa-1' })), 'control: RS256 verifies')
})

t.test('each asymmetric algorithm signs, verifies and is published', async (t) => {
  for (const [alg, pair] of [['RS256', rsa()], ['ES256', ec()], ['EdDSA', ed()]] as const) {
    const auth = new AuthCore({ keys: [{ alg, privateKey: pair.privateKey }] })
    const { keys } = await auth.jwks()
    t.equal(keys.length, 1, `${alg}: one public key`)
    t.notOk('d' in keys[0]!, `${alg}: no private part published`)
    t.equal(keys[0]!.alg, alg)
    const token = await mint(pair.privateKey, {}, { alg, kid: keys[0]!.kid })
    t.equal((await auth.verify(token)).sub, 'user-1', `${alg}: verifies`)
    const pem = pair.publicKey.export({ type: 'spki', format: 'pem' }) as string
    const verifier = new AuthCore({ keys: [{ alg, publicKey: pem }] })
    t.equal((await verifier.verify(token)).sub, 'user-1', `${alg}: a verify-only instance with the PEM verifies, kid from the thumbprint`)
    const jwkVerifier = new AuthCore({ keys: [{ alg, publicKey: keys[0] as never, kid: keys[0]!.kid }] })
    t.ok(await jwkVerifier.verify(token), `${alg}: a JWK public key verifies`)
  }
  t.same((await new AuthCore({ secret }).jwks()).keys, [], 'HS256 secrets are never published')
})

t.test('key rotation: the old key verifies while verify-only, and not once removed', async (t) => {
  const oldSecret = newSecret()
  const newOne = newSecret()
  const before = new AuthCore({ keys: [{ kid: 'k1', alg: 'HS256', secret: oldSecret }] })
  const oldToken = await mint(new TextEncoder().encode(oldSecret), {}, { kid: 'k1' })
  t.ok(await before.verify(oldToken))

  const during = new AuthCore({
    keys: [
      { kid: 'k2', alg: 'HS256', secret: newOne },
      { kid: 'k1', alg: 'HS256', secret: oldSecret, use: 'verify' },
    ],
  })
  t.ok(await during.verify(oldToken), 'old token still valid while its key is verify-only')
  t.ok(await during.verify(await mint(new TextEncoder().encode(newOne), {}, { kid: 'k2' })), 'new key verifies')

  const after = new AuthCore({ keys: [{ kid: 'k2', alg: 'HS256', secret: newOne }] })
  await rejects(t, after.verify(oldToken), 'ERR_AUTH_TOKEN_KEY_UNKNOWN', 'old token once its key is removed')
})

t.test('a kid-less token tries each key of its algorithm (shared secrets rotated)', async (t) => {
  const a = newSecret()
  const b = newSecret()
  const auth = new AuthCore({ keys: [{ alg: 'HS256', secret: a }, { alg: 'HS256', secret: b, use: 'verify' }] })
  t.ok(await auth.verify(await mint(new TextEncoder().encode(b))), 'second key verifies')
  await rejects(t, auth.verify(await mint(new TextEncoder().encode(newSecret()))), 'ERR_AUTH_TOKEN_SIGNATURE_INVALID', 'neither key')
})

t.test('the cache never serves an expired token, and skips the crypto for a repeated one', async (t) => {
  let clock = Date.now()
  const auth = new AuthCore({ secret, now: () => clock, clockTolerance: 0 })
  const exp = Math.floor(clock / 1000) + 30
  const token = await mint(key, { exp })
  t.ok(await auth.verify(token), 'first verify')
  clock = exp * 1000 - 1
  t.ok(await auth.verify(token), 'a millisecond before exp: still valid (cached)')
  clock = exp * 1000
  await rejects(t, auth.verify(token), 'ERR_AUTH_TOKEN_EXPIRED', 'at exp: refused, not served from cache')
  clock = exp * 1000 + 3_600_000
  await rejects(t, auth.verify(token), 'ERR_AUTH_TOKEN_EXPIRED', 'long after exp')
})

t.test('the cache is bounded and keyed by the exact token string', async (t) => {
  const auth = new AuthCore({ secret, verifyCacheSize: 2 })
  const tokens = await Promise.all([1, 2, 3].map((n) => mint(key, { sub: `u${n}` })))
  for (const token of tokens) await auth.verify(token)
  // Changing one character of the signature must never hit the cache.
  const last = tokens[2]!
  // Change a character in the middle of the signature (the last one may only carry padding bits).
  const at = last.length - 10
  const flipped = last.slice(0, at) + (last[at] === 'A' ? 'B' : 'A') + last.slice(at + 1)
  await rejects(t, auth.verify(flipped), 'ERR_AUTH_TOKEN_SIGNATURE_INVALID', 'near-identical token')
  t.equal((await auth.verify(tokens[0]!)).sub, 'u1', 'an evicted token verifies again through the crypto')
})

// base64url spellings of one value: '=' padding, and a last character whose
// unused low bits are set (4 bits when length % 4 == 2, 2 bits when == 3).
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
function looseSpellings(segment: string): string[] {
  const unused = segment.length % 4 === 2 ? 0b1111 : segment.length % 4 === 3 ? 0b11 : 0
  const spellings = [`${segment}=`, `${segment}${segment.length % 4 === 2 ? '==' : '='}`]
  if (unused !== 0) {
    const last = B64URL.indexOf(segment.at(-1)!)
    spellings.push(segment.slice(0, -1) + B64URL[last | 1]!, segment.slice(0, -1) + B64URL[last | unused]!)
  }
  return [...new Set(spellings)]
}

/** A JSON value whose base64url leaves unused bits (length % 4 != 0), so it has loose spellings. */
function withSpareBits(value: Record<string, unknown>): string {
  for (let pad = ''; ; pad += 'x') {
    const encoded = b64(pad === '' ? value : { ...value, x: pad })
    if (encoded.length % 4 !== 0) return encoded
  }
}

/** HS256 over the exact segment strings given, as a key holder would sign them. */
const signRaw = (header: string, payload: string) => `${header}.${payload}.${createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url')}`

t.test('only the canonical base64url spelling of a token verifies', async (t) => {
  const { TokenVerifier } = await import('../lib/tokens/verifier.js')
  const { resolveOptions } = await import('../lib/options-validate.js')
  const { buildKeyRing } = await import('../lib/tokens/key-ring.js')
  const options = resolveOptions({ secret })
  const verifier = new TokenVerifier(options, buildKeyRing(options.keys), undefined)
  const auth = new AuthCore({ secret })

  // The signature: 32 bytes are 43 characters, so its last one carries 2 unused bits.
  const token = await mint(key)
  const [h, p, s] = token.split('.') as [string, string, string]
  t.equal(s.length % 4, 3, 'an HS256 signature leaves unused bits')
  // The header and payload: signed over their loose spelling, so the signature
  // matches and only the spelling is wrong.
  const header = withSpareBits({ alg: 'HS256' })
  const payload = withSpareBits({ sub: 'user-2', exp: nowSec() + 600 })
  const canonical = [token, signRaw(header, payload)]
  // [name, token, segment, its loose spelling]
  const variants = [
    ...looseSpellings(s).map((v) => [`signature ...${v.slice(-3)}`, `${h}.${p}.${v}`, s, v] as const),
    ...looseSpellings(header).map((v) => [`header ...${v.slice(-3)}`, signRaw(v, payload), header, v] as const),
    ...looseSpellings(payload).map((v) => [`payload ...${v.slice(-3)}`, signRaw(header, v), payload, v] as const),
  ]
  for (const part of ['signature', 'header', 'payload']) {
    t.ok(variants.filter(([name]) => name.startsWith(part)).length >= 3, `${part}: padding and low-bit variants`)
  }
  for (const good of canonical) {
    t.ok(await auth.verify(good), 'control: the canonical spelling verifies')
    t.ok(await verifier.verify(good), 'control: the canonical spelling verifies (and is cached)')
  }
  t.equal(verifier.cache.size, canonical.length)
  for (const [name, variant, segment, spelling] of variants) {
    t.same(Buffer.from(spelling, 'base64url'), Buffer.from(segment, 'base64url'), `${name}: the same bytes as the canonical segment`)
    await rejects(t, auth.verify(variant), 'ERR_AUTH_TOKEN_MALFORMED', name)
    await rejects(t, verifier.verify(variant), 'ERR_AUTH_TOKEN_MALFORMED', `${name} (verifier)`)
  }
  t.equal(verifier.cache.size, canonical.length, 'no refused spelling took a cache entry')
  for (const good of canonical) t.ok(await auth.verify(good), 'the canonical spelling still verifies')

  await rejects(t, auth.verify(`${h}.${p}.${s}AA`), 'ERR_AUTH_TOKEN_MALFORMED', 'a segment of length % 4 == 1')
  await rejects(t, auth.verify(`${h}.${p}.${s.slice(0, 10)}+${s.slice(11)}`), 'ERR_AUTH_TOKEN_MALFORMED', 'base64 (not url) alphabet')
  await rejects(t, auth.verify(`${h}.${p}.${s.slice(0, 10)}\u00e9${s.slice(11)}`), 'ERR_AUTH_TOKEN_MALFORMED', 'a non-ASCII character')
  await rejects(t, auth.verify(`${h} .${p}.${s}`), 'ERR_AUTH_TOKEN_MALFORMED', 'a space')
})

t.test('authenticate reads Bearer headers and refuses anything else', async (t) => {
  const auth = new AuthCore({ secret })
  const token = await mint(key)
  t.equal((await auth.authenticate(`Bearer ${token}`)).sub, 'user-1')
  t.equal((await auth.authenticate(`bearer ${token}`)).sub, 'user-1', 'scheme is case-insensitive')
  t.equal((await auth.authenticate(`BEARER  ${token}`)).sub, 'user-1')
  await rejects(t, auth.authenticate(undefined), 'ERR_AUTH_HEADER_MISSING', 'no header')
  await rejects(t, auth.authenticate(''), 'ERR_AUTH_HEADER_MISSING', 'empty header')
  await rejects(t, auth.authenticate(token), 'ERR_AUTH_HEADER_INVALID', 'no scheme')
  await rejects(t, auth.authenticate('Bearer'), 'ERR_AUTH_HEADER_INVALID', 'scheme only')
  await rejects(t, auth.authenticate('Bearer '), 'ERR_AUTH_HEADER_INVALID', 'scheme and space')
  await rejects(t, auth.authenticate(`Basic ${token}`), 'ERR_AUTH_HEADER_INVALID', 'other scheme')
  await rejects(t, auth.authenticate(`Bearer Bearer ${token}`), 'ERR_AUTH_HEADER_INVALID', 'Bearer repeated')
  await rejects(t, auth.authenticate(`Bearer ${token}, Bearer ${token}`), 'ERR_AUTH_HEADER_INVALID', 'two headers joined')
  await rejects(t, auth.authenticate(`Bearer ${token} extra`), 'ERR_AUTH_HEADER_INVALID', 'trailing junk')
  await rejects(t, auth.authenticate(`Bearer ${token}\r\nX: y`), 'ERR_AUTH_HEADER_INVALID', 'CRLF')
  await rejects(t, auth.authenticate(`Bearer ${'a'.repeat(100_000)}`), 'ERR_AUTH_TOKEN_TOO_LARGE', 'huge header, refused before the regex')
})

t.test('error messages never carry the token', async (t) => {
  const auth = new AuthCore({ secret })
  const token = await mint(key, { exp: nowSec() - 100 })
  try {
    await auth.verify(token)
    t.fail('expired token verified')
  } catch (err) {
    t.notMatch(String((err as Error).message), token.split('.')[1]!)
    t.notMatch(JSON.stringify(err), token.split('.')[1]!)
  }
})

t.test('our own tokens carry the documented claims and verify', async (t) => {
  const { signAccessToken } = await import('../lib/tokens/issuer.js')
  const { resolveOptions } = await import('../lib/options-validate.js')
  const { buildKeyRing } = await import('../lib/tokens/key-ring.js')
  const { decodeProtectedHeader, decodeJwt } = await import('jose')
  const options = resolveOptions({ secret, issuer: ['https://auth.example', 'legacy'], audience: 'api', accessTokenTtl: '2 minutes' })
  const token = await signAccessToken(options, await buildKeyRing(options.keys), { id: 'u-9', email: 'z@example.com', role: 'admin', tokenVersion: 3, emailVerified: false })
  t.same(decodeProtectedHeader(token), { alg: 'HS256', typ: 'at+jwt' })
  const claims = decodeJwt(token)
  t.equal(claims.sub, 'u-9')
  t.equal(claims.id, 'u-9')
  t.equal(claims.iss, 'https://auth.example')
  t.equal(claims.aud, 'api')
  t.equal(claims.exp! - claims.iat!, 120)
  t.match(claims.jti, /^[0-9a-f-]{36}$/)
  t.equal(claims.ver, 3, 'the token version rides along')
  const auth = new AuthCore({ secret, issuer: ['https://auth.example', 'legacy'], audience: 'api' })
  t.equal((await auth.verify(token)).role, 'admin')
})

t.test('tokens AuthCore signs verify with plain jose, for HS256 and an asymmetric key', async (t) => {
  const { jwtVerify, importJWK } = await import('jose')
  const { makeAuth } = await import('./helpers/auth.js')
  const hs = await makeAuth(t, { secret })
  const { token } = await hs.signUp({ email: 'hs@example.com', name: 'H', pass: 'a long enough passphrase' })
  const { payload, protectedHeader } = await jwtVerify(token, key, { algorithms: ['HS256'], typ: 'at+jwt', requiredClaims: ['exp', 'sub', 'jti'] })
  t.equal(protectedHeader.alg, 'HS256')
  t.equal(payload.email, 'hs@example.com')
  const pair = ed()
  const ed25519 = await makeAuth(t, { secret: undefined, keys: [{ alg: 'EdDSA', privateKey: pair.privateKey }] } as never)
  const signed = await ed25519.signUp({ email: 'ed@example.com', name: 'E', pass: 'a long enough passphrase' })
  const [jwk] = (await ed25519.jwks()).keys
  const verified = await jwtVerify(signed.token, await importJWK(jwk!, 'EdDSA'), { algorithms: ['EdDSA'], typ: 'at+jwt' })
  t.equal(verified.protectedHeader.kid, jwk!.kid)
  t.equal(verified.payload.sub, signed.user.id)
})
