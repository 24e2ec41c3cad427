// Email addresses: the key's length is checked (not just the display form's),
// invisible characters are refused, and an IDN domain has one key whichever
// way it is spelled. First normalizeEmail alone, then sign-up and sign-in on
// SQLite, PostgreSQL and MariaDB, so no engine answers a storage error.
import t, { type Test } from 'tap'
import { domainToASCII } from 'node:url'
import { AuthCore, isAuthError, type StoragePlugin } from '../lib/index.js'
import { MAX_EMAIL_LENGTH, normalizeEmail } from '../lib/email.js'
import { errorOf } from './helpers/auth.js'
import { eachEngine } from './helpers/engines.js'
import { newSecret } from './helpers/keys.js'

const pass = 'a long enough passphrase'
// 'İ' (U+0130) lower-cases to 'i' + U+0307: two code units for one, so these
// addresses are short as typed and long as keys.
const dottedI = (n: number) => `${'İ'.repeat(n)}@example.com`
const LONGEST_KEY = dottedI(121) // key: 242 + 12 = 254
const KEY_TOO_LONG = dottedI(122) // key: 256
const KEY_OVERFLOWS_COLUMN = dottedI(127) // key: 266, over MariaDB's varchar(255)

// Characters that draw nothing (or blank space), each of which once let an
// address look like another.
const INVISIBLE = [
  '\u3164', '\u034f', '\u2800', '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u115f', '\u1160',
  '\uffa0', '\u180e', '\u00ad', '\ufe0f', '\u{e0100}', '\u17b4', '\u{1d159}', '\u{e0041}', '\u00a0', '\u2028', '\u3000',
]

function refusal(email: string, field?: string): unknown {
  try {
    normalizeEmail(email, field)
  } catch (err) {
    return err
  }
  return undefined
}

const hex = (s: string) => [...s].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(' ')

t.test('normalizeEmail: the key must fit MAX_EMAIL_LENGTH, not only the display form', async (t) => {
  const longest = normalizeEmail(LONGEST_KEY)
  t.equal(longest.email.length, 133, 'display form as typed')
  t.equal(longest.key.length, MAX_EMAIL_LENGTH, 'a key of exactly the limit is accepted')
  for (const email of [KEY_TOO_LONG, KEY_OVERFLOWS_COLUMN]) {
    t.ok(email.length <= MAX_EMAIL_LENGTH, 'the display form alone would pass')
    const err = refusal(email)
    t.ok(isAuthError(err, 'ERR_AUTH_INPUT_INVALID'), `${email.length} characters typed, key longer than ${MAX_EMAIL_LENGTH}: refused`)
    t.match(err, { message: /^email must be at most 254 characters/, details: { field: 'email' } })
  }
  t.match(refusal(KEY_TOO_LONG, 'newEmail'), { message: /^newEmail /, details: { field: 'newEmail' } }, 'names the field it was given')
})

t.test('normalizeEmail: invisible and blank characters are refused, in the local part and the domain', async (t) => {
  for (const c of INVISIBLE) {
    // (Not at either end: trim() removes the white-space ones there, as it does a space.)
    for (const email of [`ad${c}min@example.com`, `admin${c}@example.com`, `admin@exa${c}mple.com`]) {
      const err = refusal(email)
      t.ok(isAuthError(err, 'ERR_AUTH_INPUT_INVALID'), `refused: ${hex(c)} in ${email.indexOf(c) < email.indexOf('@') ? 'local part' : 'domain'}`)
      t.match(err, { details: { field: 'email' } })
    }
  }
  t.match(refusal('ad\u3164min@example.com'), { message: /invisible/ }, 'the message says why')
  // Punycode can spell a label the Unicode form would be refused for.
  const blankLabel = `admin@${domainToASCII('\u2800example.com')}`
  t.match(blankLabel, /@xn--/)
  t.ok(isAuthError(refusal(blankLabel), 'ERR_AUTH_INPUT_INVALID'), 'a Punycode domain that decodes to a blank character')
})

t.test('normalizeEmail: an IDN domain has one key, its Unicode form', async (t) => {
  const key = 'a@bücher.de'
  for (const email of ['a@bücher.de', 'a@xn--bcher-kva.de', 'A@XN--BCHER-KVA.DE', 'a@BÜCHER.DE', 'a@Xn--Bcher-Kva.De', 'a@ｂücher.de']) {
    const n = normalizeEmail(email)
    t.equal(n.key, key, `${email} -> ${key}`)
    t.equal(n.email, email.normalize('NFKC'), 'the display form is what was typed (NFKC)')
  }
  t.equal(normalizeEmail('Ünïcode@Bücher.DE').key, 'ünïcode@bücher.de', 'the local part is lower-cased, nothing more')
  t.equal(normalizeEmail('i@xn--ls8h.la').key, 'i@💩.la')
  // Keys stored before this change were the lower-cased NFKC address; for
  // ASCII and ordinary Unicode domains they are unchanged.
  for (const email of ['Alice@Example.COM', 'ÉLODIE@exemple.fr', 'user@Bücher.de', 'x@ΣΊΣΥΦΟΣ.gr', 'k@x', 'a@localhost', 'a@1.2.3.4', 'a_b@sub_domain.example']) {
    t.equal(normalizeEmail(email).key, email.normalize('NFKC').toLowerCase(), `unchanged: ${email}`)
  }
  // UTS-46 maps a few characters differently than lower-casing: capital sharp s.
  t.equal(normalizeEmail('a@STRAẞE.de').key, 'a@strasse.de')
  t.equal(normalizeEmail('a@straße.de').key, 'a@straße.de', 'small sharp s is kept (non-transitional processing)')

  const refused = [
    'a@xn--a.com', // not Punycode
    'a@xn--.com',
    'a@exa%mple.com', // not a host
    'a@exam|ple.com',
    'a@1', // would become the host 0.0.0.1
    'a@0x7f.1', // would become 127.0.0.1
    'a@example.123', // a numeric last label that is no address
    'a@a\u200db.com', // ZWJ outside the context IDNA allows (also invisible)
    'a@example.com\u3002', // an ideographic full stop maps to a trailing dot: the same mailbox, a second key
    'a@example\u3002\u3002com', // an empty label once mapped
    'a@\uff61example.com', // a halfwidth one, leading
    'a@%65xample.com', // percent-decoded by the host parser: keyed as example.com, mailed as typed
  ]
  for (const email of refused) t.ok(isAuthError(refusal(email), 'ERR_AUTH_INPUT_INVALID'), `refused: ${JSON.stringify(email)}`)
})

/**
 * The same cases through sign-up and sign-in on one engine: refused input is
 * ERR_AUTH_INPUT_INVALID before any write (never a storage error), and an IDN
 * domain is one account whichever way it is spelled.
 */
async function throughStorage(t: Test, storage: StoragePlugin) {
  const auth = new AuthCore({ secret: newSecret(), storage })
  t.teardown(() => auth.close())
  await auth.ready()

  for (const email of [KEY_OVERFLOWS_COLUMN, KEY_TOO_LONG]) {
    const err = await errorOf(auth.signUp({ email, name: 'Long', pass }))
    t.ok(isAuthError(err, 'ERR_AUTH_INPUT_INVALID'), `${email.length} characters typed, key over ${MAX_EMAIL_LENGTH}: ${err.code}`)
    t.equal(err.status, 400)
    t.match(err, { details: { field: 'email' } })
  }
  const longest = await auth.signUp({ email: LONGEST_KEY, name: 'Longest', pass })
  t.equal(longest.user.email, LONGEST_KEY, 'a key of exactly 254 characters is stored intact')
  t.equal((await storage.findUserByEmailKey(normalizeEmail(LONGEST_KEY).key))?.id, longest.user.id)
  t.equal((await auth.signIn({ email: LONGEST_KEY, pass })).user.id, longest.user.id)

  for (const [first, second] of [['a@bücher.de', 'a@xn--bcher-kva.de'], ['b@xn--bcher-kva.de', 'B@Bücher.de']] as const) {
    const { user } = await auth.signUp({ email: first, name: 'IDN', pass })
    t.equal(user.email, first, 'the display form is kept as typed')
    const dup = await errorOf(auth.signUp({ email: second, name: 'IDN again', pass }))
    t.ok(isAuthError(dup, 'ERR_AUTH_USER_EXISTS'), `${first} then ${second}: ${dup.code}`)
    for (const spelling of [first, second]) {
      t.equal((await auth.signIn({ email: spelling, pass })).user.id, user.id, `signIn as ${spelling} finds the user`)
    }
    const record = await storage.findUserByEmailKey(normalizeEmail(first).key)
    t.equal(record?.emailKey, `${first[0]!.toLowerCase()}@bücher.de`, 'the stored key has the Unicode domain')
  }

  for (const email of ['ad\u200bmin@example.com', 'ad\u3164min@example.com', 'admin@exa\u3164mple.com', 'admin\u2800@example.com']) {
    const err = await errorOf(auth.signUp({ email, name: 'Invisible', pass }))
    t.ok(isAuthError(err, 'ERR_AUTH_INPUT_INVALID'), `sign-up with ${hex(email.replace(/[\x20-\x7e]/g, ''))}: ${err.code}`)
  }
  const admin = await auth.signUp({ email: 'admin@example.com', name: 'Admin', pass })
  t.ok(admin.user.id, 'the visible address was still free: nothing was written for the refused ones')
}

eachEngine(t, 'sign-up and sign-in with hostile or IDN emails', (t, engine) => throughStorage(t, engine.storage(t)))
