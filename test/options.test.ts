import t from 'tap'
import { AuthCore, isAuthError, type AuthCoreOptions } from '../lib/index.js'
import { ec, newSecret, rsa } from './helpers/keys.js'
import { generateKeyPairSync } from 'node:crypto'

/** Builds AuthCore with `options` and returns the problem lines of the error it throws. */
function problems(options: unknown): string[] {
  try {
    new AuthCore(options as AuthCoreOptions)
  } catch (err) {
    if (!isAuthError(err, 'ERR_AUTH_OPTIONS_INVALID')) throw err
    return (err.details as { problems: string[] }).problems
  }
  throw new Error('expected ERR_AUTH_OPTIONS_INVALID')
}

const secret = newSecret()

t.test('valid options construct and are usable', async (t) => {
  t.ok(new AuthCore({ secret }))
  t.ok(new AuthCore({ secret: new Uint8Array(32).fill(7) }))
  t.ok(new AuthCore({ keys: [{ alg: 'RS256', privateKey: rsa().privateKey }] }))
  t.ok(new AuthCore({ jwksUrl: 'https://issuer.example/.well-known/jwks.json', issuer: 'https://issuer.example' }))
  t.ok(new AuthCore({ secret, accessTokenTtl: '10 minutes', clockTolerance: 2, issuer: ['a', 'b'], audience: 'api' }))
})

t.test('one error names every bad field in words', async (t) => {
  let caught: unknown
  try {
    new AuthCore({ secret, accessTokenTtl: 'soon', maxTokenSize: 'big', colour: 'red' } as never)
  } catch (err) {
    caught = err
  }
  t.ok(isAuthError(caught, 'ERR_AUTH_OPTIONS_INVALID'))
  const err = caught as Error & { details: { problems: string[]; errors: unknown[] } }
  t.match(err.message, /accessTokenTtl must be a number of seconds or a duration/)
  t.match(err.message, /maxTokenSize must be a whole number/)
  t.match(err.message, /'colour' is not a known option/)
  t.equal(err.details.problems.length, 3, 'one line per bad field, no ajv branch noise')
  t.ok(Array.isArray(err.details.errors) && err.details.errors.length > 0, "ajv's errors are kept in details")
})

t.test('every option error', async (t) => {
  const cases: [string, unknown, RegExp][] = [
    ['no key source', {}, /give a secret \(at least 32 bytes\), keys, or a jwksUrl/],
    ['short secret', { secret: 'too-short' }, /secret must be at least 32 bytes long \(got 9\)/],
    ['short byte secret', { secret: new Uint8Array(16) }, /secret must be at least 32 bytes long \(got 16\)/],
    ['secret of wrong type', { secret: 42 }, /secret must be a string or a Uint8Array/],
    ['secret and keys', { secret, keys: [{ alg: 'HS256', secret }] }, /either secret or keys, not both/],
    ['empty keys', { keys: [] }, /keys must have at least 1 item/],
    ['key without alg', { keys: [{ secret }] }, /keys\[0\]\.alg is required/],
    ['alg none', { keys: [{ alg: 'none', secret }] }, /keys\[0\]\.alg must be one of HS256, EdDSA, ES256, RS256/],
    ['unknown key field', { keys: [{ alg: 'HS256', secret, x5c: [] }] }, /keys\[0\]\.x5c is not a known option/],
    ['two materials', { keys: [{ alg: 'HS256', secret, publicKey: 'x' }] }, /keys\[0\] must have exactly one of secret, privateKey or publicKey/],
    ['HS256 with a public key', { keys: [{ alg: 'HS256', publicKey: rsa().publicKey }] }, /keys\[0\] uses HS256, which needs a secret/],
    ['RS256 with a secret', { keys: [{ alg: 'RS256', secret }] }, /keys\[0\] uses RS256, which needs a privateKey or publicKey/],
    ['RS256 with an EC key', { keys: [{ alg: 'RS256', privateKey: ec().privateKey }] }, /keys\[0\]\.privateKey is a key of type ec, but alg RS256 needs type rsa/],
    ['short RSA key', { keys: [{ alg: 'RS256', privateKey: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey }] }, /shorter than 2048 bits/],
    ['ES256 on the wrong curve', { keys: [{ alg: 'ES256', privateKey: generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey }] }, /P-256 curve/],
    ['unreadable PEM', { keys: [{ alg: 'EdDSA', publicKey: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' }] }, /keys\[0\]\.publicKey is not a readable public key/],
    ['public key used to sign', { keys: [{ alg: 'ES256', publicKey: ec().publicKey, use: 'sign' }] }, /only a publicKey, so it cannot have use 'sign'/],
    ['public key as private', { keys: [{ alg: 'ES256', privateKey: ec().publicKey }] }, /keys\[0\]\.privateKey is not a private key/],
    ['two signing keys', { keys: [{ alg: 'HS256', secret }, { alg: 'HS256', secret: newSecret() }] }, /2 signing keys; mark all but one with use: 'verify'/],
    ['duplicate kid', { keys: [{ kid: 'a', alg: 'HS256', secret }, { kid: 'a', alg: 'HS256', secret: newSecret(), use: 'verify' }] }, /two keys with the same kid/],
    ['bad use', { keys: [{ alg: 'HS256', secret, use: 'encrypt' }] }, /keys\[0\]\.use must be 'sign' or 'verify'/],
    ['jwksUrl over http', { jwksUrl: 'http://issuer.example/jwks', issuer: 'i' }, /jwksUrl must use https/],
    ['jwksUrl not a URL', { jwksUrl: 'not a url', issuer: 'i' }, /jwksUrl must be an absolute URL/],
    ['jwksUrl alone', { jwksUrl: 'https://issuer.example/jwks' }, /jwksUrl needs issuer or audience/],
    ['jwks unknown field', { secret, jwks: { ttl: 1 } }, /jwks\.ttl is not a known option/],
    ['jwks bad duration', { secret, jwks: { cooldown: -1 } }, /jwks\.cooldown must be a number of seconds/],
    ['issuer empty list', { secret, issuer: [] }, /issuer must be a non-empty string or a non-empty list/],
    ['audience of numbers', { secret, audience: [1] }, /audience must be a non-empty string or a non-empty list/],
    ['ttl too long', { secret, accessTokenTtl: '2 days' }, /accessTokenTtl must be between 1 second and 1 day/],
    ['ttl zero', { secret, accessTokenTtl: 0 }, /accessTokenTtl must be between 1 second and 1 day/],
    ['tolerance too large', { secret, clockTolerance: '10 minutes' }, /clockTolerance must be at most 5 minutes/],
    ['tolerance not a duration', { secret, clockTolerance: '5 parsecs' }, /clockTolerance must be a number of seconds/],
    ['maxTokenSize too small', { secret, maxTokenSize: 10 }, /maxTokenSize must be at least 256/],
    ['negative cache size', { secret, verifyCacheSize: -1 }, /verifyCacheSize must be at least 0/],
    ['storage not an object', { secret, storage: 'sqlite' }, /storage must be a storage plugin object/],
    ['method without name', { secret, methods: [{ kind: 'credentials' }] }, /methods\[0\]\.name is required/],
    ['duplicate method names', { secret, methods: [{ name: 'basic', kind: 'credentials' }, { name: 'basic', kind: 'credentials' }] }, /methods has two entries named 'basic'/],
    ['duplicate plugin names', { secret, plugins: [{ name: 'p' }, { name: 'p' }] }, /plugins has two entries named 'p'/],
    ['now not a function', { secret, now: 5 }, /now must be a function returning milliseconds/],
  ]
  for (const [name, options, expected] of cases) {
    const lines = problems(options)
    t.ok(lines.length === 1 && expected.test(lines[0]!), `${name}: ${lines.join(' | ')}`)
  }
})

t.test('misuse from code is a TypeError', async (t) => {
  t.throws(() => new AuthCore(undefined as never), TypeError)
  t.throws(() => new AuthCore(null as never), TypeError)
})

t.test('options are read once: later changes to the input do nothing', async (t) => {
  const input: AuthCoreOptions = { secret, issuer: ['one'] }
  const auth = new AuthCore(input)
  ;(input.issuer as string[]).push('two')
  input.secret = 'x'
  t.ok(auth, 'constructed before the mutation, unaffected by it')
})
