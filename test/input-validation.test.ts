import t from 'tap'
import { isAuthError } from '../lib/index.js'
import { normalizeEmail } from '../lib/email.js'
import { errorOf, makeAuth } from './helpers/auth.js'

const pass = 'a long enough passphrase'

t.test('emails: normalised to one canonical key, hostile forms refused', async (t) => {
  t.same(normalizeEmail('  Alice@Example.COM '), { email: 'Alice@Example.COM', key: 'alice@example.com' })
  t.same(normalizeEmail('ｂｏｂ@example.com'), { email: 'bob@example.com', key: 'bob@example.com' }, 'NFKC folds fullwidth forms')
  t.equal(normalizeEmail('ÉLODIE@exemple.fr').key, 'élodie@exemple.fr')
  const bad = [
    '', '   ', 'plainaddress', '@example.com', 'user@', 'a@b@example.com', 'a b@example.com', 'a,b@example.com',
    '"quoted"@example.com', 'user@example.com\r\nBcc: victim@example.com', 'user@exa mple.com', 'user@.example.com',
    'user@example..com', 'user@example.com.', '<user@example.com>', 'user;x@example.com', 'a\u0000@example.com',
    'a\u200b@example.com', `${'a'.repeat(250)}@example.com`,
  ]
  for (const email of bad) {
    const err = (() => {
      try {
        normalizeEmail(email)
      } catch (e) {
        return e
      }
    })()
    t.ok(isAuthError(err, 'ERR_AUTH_INPUT_INVALID'), `refused: ${JSON.stringify(email).slice(0, 60)}`)
  }
})

t.test('every input is checked before anything runs', async (t) => {
  const auth = await makeAuth(t)
  const cases: [string, unknown, RegExp][] = [
    ['missing email', { name: 'N', pass }, /email is required/],
    ['missing pass', { email: 'a@example.com', name: 'N' }, /pass is required/],
    ['missing name', { email: 'a@example.com', pass }, /name is required/],
    ['email not a string', { email: ['a@example.com'], name: 'N', pass }, /email must be of type string/],
    ['pass a number', { email: 'a@example.com', name: 'N', pass: 12345678 }, /pass must be of type string/],
    ['extra id', { email: 'a@example.com', name: 'N', pass, id: 'chosen' }, /'id' is not a known field/],
    ['a hash smuggled in', { email: 'a@example.com', name: 'N', pass, passwordHash: '$argon2id$...' }, /'passwordHash' is not a known field/],
    ['__proto__', JSON.parse(`{"email":"a@example.com","name":"N","pass":"${pass}","__proto__":{"role":"admin"}}`), /'__proto__' is not a known field/],
    ['constructor', { email: 'a@example.com', name: 'N', pass, constructor: { prototype: { role: 'admin' } } }, /'constructor' is not a known field/],
    ['oversized name', { email: 'a@example.com', name: 'n'.repeat(201), pass }, /name must be at most 200 characters long/],
    ['oversized email', { email: `${'a'.repeat(2000)}@example.com`, name: 'N', pass }, /email must be at most 1024 characters long/],
    ['NUL in name', { email: 'a@example.com', name: 'N\u0000', pass }, /name must match pattern/],
    ['NUL in pass', { email: 'a@example.com', name: 'N', pass: `${pass}\u0000` }, /pass must match pattern/],
    ['lone surrogate in email', { email: 'a\ud800b@example.com', name: 'N', pass }, /email is not well-formed Unicode text/],
    ['lone surrogate in name', { email: 'a@example.com', name: 'N\udc00', pass }, /name is not well-formed Unicode text/],
    ['right-to-left override in name', { email: 'a@example.com', name: 'Admin\u202Egnp.exe', pass }, /direction-override/],
    ['not an object', 'email=a@example.com', /input must be of type object/],
    ['an array', [], /must be of type object/],
    ['null', null, /must be of type object/],
  ]
  for (const [name, input, expected] of cases) {
    const err = await errorOf(auth.signUp(input as never))
    t.ok(isAuthError(err, 'ERR_AUTH_INPUT_INVALID') && expected.test(err.message), `${name}: ${err.message}`)
  }
  t.equal(({} as Record<string, unknown>).role, undefined, 'Object.prototype was not polluted')
})

t.test('password policy: each refusal says why, before any hashing', async (t) => {
  let hashes = 0
  const { argon2Hasher } = await import('../lib/passwords/hasher.js')
  const real = argon2Hasher()
  const hasher = { ...real, hash: (p: string) => (hashes++, real.hash(p)) }
  const auth = await makeAuth(t, { passwordPolicy: { hasher, blocklist: ['authcore rocks'] } })
  hashes = 0
  const cases: [string, string, RegExp][] = [
    ['too short', 'short', /pass must be at least 8 characters/],
    ['too long', 'x'.repeat(257), /pass must be at most 256 characters/],
    ['common', 'password1', /pass is one of the most commonly used passwords/],
    ['common, other case', 'PassWord1', /most commonly used/],
    ['custom blocklist', 'AuthCore Rocks', /most commonly used/],
  ]
  for (const [name, candidate, expected] of cases) {
    const err = await errorOf(auth.signUp({ email: 'p@example.com', name: 'P', pass: candidate }))
    t.ok(isAuthError(err, 'ERR_AUTH_PASSWORD_WEAK') && expected.test(err.message), `${name}: ${err.message}`)
  }
  const huge = await errorOf(auth.signUp({ email: 'p@example.com', name: 'P', pass: 'x'.repeat(100_000) }))
  t.ok(isAuthError(huge, 'ERR_AUTH_INPUT_INVALID'), 'a huge password is stopped by the input schema, before normalising')
  t.equal(hashes, 0, 'no refused password was hashed')
  t.ok(await auth.signUp({ email: 'p@example.com', name: 'P', pass: 'correct horse battery staple' }), 'no composition rules')
})

t.test('passwords are NFKC-normalised, never case-folded', async (t) => {
  const auth = await makeAuth(t)
  await auth.signUp({ email: 'n@example.com', name: 'N', pass: 'ｆｕｌｌｗｉｄｔｈ Pass 42' })
  t.ok(await auth.signIn({ email: 'n@example.com', pass: 'fullwidth Pass 42' }), 'NFKC-equivalent spelling signs in')
  await t.rejects(auth.signIn({ email: 'n@example.com', pass: 'fullwidth pass 42' }), { code: 'ERR_AUTH_INVALID_CREDENTIALS' }, 'case matters')
})
