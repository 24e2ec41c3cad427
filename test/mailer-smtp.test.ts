// The SMTP mailer through the real nodemailer transport into an in-process
// smtp-server on loopback, parsed back with mailparser: what arrives, what is
// refused before connecting, how transport failures map, idempotency, close,
// and option errors.
import t, { type Test } from 'tap'
import { execFile } from 'node:child_process'
import { inspect, promisify } from 'node:util'
import type { AddressObject } from 'mailparser'
import { isAuthError } from '../lib/errors.js'
import type { MailMessage } from '../lib/mailer-types.js'
import { IDEMPOTENCY_HEADER, SmtpFailure, smtpMailer, type SmtpMailerOptions } from '../plugins/mailer/smtp/index.js'
import { resolveSmtpOptions } from '../plugins/mailer/smtp/options.js'
import { mailMessage as message } from './helpers/mail.js'
import { deadPort, rawServer, startSmtpServer } from './helpers/smtp.js'

const FROM = 'no-reply@example.com'

const server = await startSmtpServer()
t.teardown(() => server.close())

// A mailer on `url` (the test server by default), closed when the test ends.
const mailerFor = (t: Test, over: Partial<SmtpMailerOptions> = {}, url = server.url) => {
  const mailer = smtpMailer({ url, from: FROM, ...over })
  t.teardown(() => mailer.close())
  return mailer
}

const firstAddress = (field: AddressObject | AddressObject[] | undefined) => [field ?? []].flat()[0]?.value[0]

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a rejection')
}

t.test('a message arrives with its sender, recipient, subject, bodies and idempotency header', async (t) => {
  const mailer = mailerFor(t, { fromName: 'Example App' })
  const before = server.received.length
  await mailer.send(message({
    to: 'Grace@Example.com',
    subject: 'Réinitialisez votre mot de passe 🔑 — ünïcödé',
    text: 'Lien : https://app.example.com/reset?token=abc\nMerci ✓',
    html: '<p>Lien : <a href="https://app.example.com/reset?token=abc">réinitialiser</a></p>',
    idempotencyKey: 'reset:user-1:42',
  }))
  const mail = server.received[before]!
  t.equal(server.received.length, before + 1)
  t.same(firstAddress(mail.from), { address: FROM, name: 'Example App' })
  t.equal(firstAddress(mail.to)?.address, 'Grace@example.com', 'the local part as given; nodemailer lower-cases the domain')
  t.equal(mail.subject, 'Réinitialisez votre mot de passe 🔑 — ünïcödé', 'a UTF-8 subject survives encoding')
  t.equal(mail.text?.trim(), 'Lien : https://app.example.com/reset?token=abc\nMerci ✓')
  t.match(mail.html, /<a href="https:\/\/app\.example\.com\/reset\?token=abc">réinitialiser<\/a>/)
  t.equal(mail.headers.get(IDEMPOTENCY_HEADER.toLowerCase()), 'reset:user-1:42')
  t.ok(mail.messageId, 'nodemailer still sets its own Message-ID')
  t.equal(mailer.name, 'smtp')
})

t.test('a message without html is text only', async (t) => {
  const mailer = mailerFor(t)
  const before = server.received.length
  await mailer.send(message({ text: 'plain' }))
  t.equal(server.received[before]?.html, false)
  t.equal(server.received[before]?.text?.trim(), 'plain')
})

t.test('header injection is refused before any connection', async (t) => {
  const mailer = mailerFor(t)
  const connections = server.connections()
  const received = server.received.length
  const cases: [string, Partial<MailMessage>, RegExp][] = [
    ['CRLF in subject', { subject: 'Hello\r\nBcc: victim@example.org' }, /message\.subject/],
    ['LF in subject', { subject: 'Hello\nX-Evil: 1' }, /message\.subject/],
    ['CRLF in to', { to: 'ada@example.com\r\nBcc: victim@example.org' }, /message\.to/],
    ['trailing CRLF in to', { to: 'ada@example.com\r\n' }, /message\.to/],
    ['two recipients', { to: 'ada@example.com, eve@example.org' }, /message\.to/],
    ['a display name in to', { to: 'Ada <ada@example.com>' }, /message\.to/],
    ['CRLF in the idempotency key', { idempotencyKey: 'k\r\nBcc: victim@example.org' }, /message\.idempotencyKey/],
    ['an empty subject', { subject: '' }, /message\.subject/],
  ]
  for (const [name, over, field] of cases) {
    const err = await rejection(mailer.send(message(over)))
    t.type(err, TypeError, name)
    t.match((err as Error).message, field, `${name}: names the field`)
  }
  const missing = await rejection(mailer.send({ to: 'ada@example.com', kind: 'x', subject: 's', text: 't' } as MailMessage))
  t.match((missing as Error).message, /message\.idempotencyKey is required/)
  t.equal(server.connections(), connections, 'no connection was opened')
  t.equal(server.received.length, received, 'nothing was received')
})

t.test('a server rejecting the recipient is ERR_AUTH_MAIL_FAILED, and the cause holds no body', async (t) => {
  const mailer = mailerFor(t)
  server.rejectRecipients(1)
  const body = message()
  const err = await rejection(mailer.send(body))
  t.ok(isAuthError(err, 'ERR_AUTH_MAIL_FAILED'), 'mapped to ERR_AUTH_MAIL_FAILED')
  t.equal((err as { status: number }).status, 503)
  const cause = (err as Error).cause
  t.type(cause, SmtpFailure)
  t.match(cause, { code: 'EENVELOPE', responseCode: 550 })
  t.same((err as { details?: unknown }).details, { permanent: true }, 'a 5xx is final: the mail queue will not send it again')
  const shown = inspect(err, { depth: 10, showHidden: true })
  t.notMatch(shown, 'secret-token-123', 'the body is not in the error or its cause')
  t.notMatch(shown, body.subject, 'nor the subject')
})

t.test('a failed send is not remembered: a retry with the same key sends', async (t) => {
  const mailer = mailerFor(t)
  const before = server.received.length
  const body = message()
  server.rejectRecipients(1)
  await t.rejects(mailer.send(body), { code: 'ERR_AUTH_MAIL_FAILED' })
  await mailer.send(body)
  t.equal(server.received.length, before + 1)
})

t.test('nobody listening is ERR_AUTH_MAIL_FAILED', async (t) => {
  const mailer = mailerFor(t, {}, `smtp://127.0.0.1:${await deadPort()}`)
  const err = await rejection(mailer.send(message()))
  t.ok(isAuthError(err, 'ERR_AUTH_MAIL_FAILED'))
  t.match((err as Error).cause, { originalCode: 'ECONNREFUSED' })
  t.equal((err as { details?: unknown }).details, undefined, 'a refused connection may pass: worth another try')
  await t.rejects(mailer.verify(), { code: 'ERR_AUTH_MAIL_FAILED' }, 'verify() finds it too')
})

t.test('a server that accepts then drops the connection is ERR_AUTH_MAIL_FAILED', async (t) => {
  const dropper = await rawServer((socket) => socket.destroy())
  t.teardown(() => dropper.close())
  const mailer = mailerFor(t, {}, dropper.url)
  await t.rejects(mailer.send(message()), { code: 'ERR_AUTH_MAIL_FAILED' })
})

t.test('a server that drops the connection mid-conversation is ERR_AUTH_MAIL_FAILED', async (t) => {
  const dropper = await rawServer((socket) => {
    socket.write('220 test ESMTP\r\n')
    socket.once('data', () => socket.destroy())
  })
  t.teardown(() => dropper.close())
  const mailer = mailerFor(t, {}, dropper.url)
  await t.rejects(mailer.send(message()), { code: 'ERR_AUTH_MAIL_FAILED' })
})

t.test('a server that never greets settles with ERR_AUTH_MAIL_FAILED after the greeting timeout', async (t) => {
  const silent = await rawServer(() => {})
  t.teardown(() => silent.close())
  const mailer = mailerFor(t, { timeouts: { greeting: 200 } }, silent.url)
  const err = await rejection(mailer.send(message()))
  t.ok(isAuthError(err, 'ERR_AUTH_MAIL_FAILED'))
  t.match((err as Error).cause, { code: 'ETIMEDOUT' })
})

t.test('requireTLS refuses a server that offers no STARTTLS', async (t) => {
  const mailer = mailerFor(t, { requireTLS: true })
  const before = server.received.length
  const err = await rejection(mailer.send(message()))
  t.ok(isAuthError(err, 'ERR_AUTH_MAIL_FAILED'))
  t.match((err as Error).cause, { code: 'ETLS', command: 'STARTTLS' })
  t.equal(server.received.length, before, 'nothing was sent in clear text')
})

t.test('one idempotency key sends one message', async (t) => {
  const mailer = mailerFor(t)
  const before = server.received.length
  const body = message()
  await Promise.all([mailer.send(body), mailer.send(body), mailer.send({ ...body, subject: 'same key, other text' })])
  await mailer.send(body)
  t.equal(server.received.length, before + 1, 'concurrent and later duplicates are not sent')
  await mailer.send(message({ idempotencyKey: `${body.idempotencyKey}-other` }))
  t.equal(server.received.length, before + 2, 'another key sends')
})

t.test('the remembered keys are bounded by the window', async (t) => {
  const mailer = mailerFor(t, { idempotency: { window: 1 } })
  const before = server.received.length
  const body = message()
  await mailer.send(body)
  await new Promise((resolve) => setTimeout(resolve, 5))
  await mailer.send(body)
  t.equal(server.received.length, before + 2, 'a key is sent again once its window has passed')
})

t.test('a pooled mailer reuses its connection and close() ends it', async (t) => {
  const mailer = smtpMailer({ url: server.url, from: FROM, pool: { maxConnections: 1 } })
  const connections = server.connections()
  const before = server.received.length
  await mailer.send(message())
  await mailer.send(message())
  t.equal(server.received.length, before + 2)
  t.equal(server.connections(), connections + 1, 'both messages went over one connection')
  await mailer.close()
  await t.rejects(mailer.send(message()), { code: 'ERR_AUTH_MAIL_FAILED' }, 'a send after close is refused')
})

t.test('close() waits for sends in flight, refuses later ones, and may be called again', async (t) => {
  const mailer = smtpMailer({ url: server.url, from: FROM })
  const before = server.received.length
  const sending = mailer.send(message())
  await mailer.close()
  await sending
  t.equal(server.received.length, before + 1, 'the send in flight was delivered')
  await t.rejects(mailer.send(message()), { code: 'ERR_AUTH_MAIL_FAILED', message: /closed/ })
  await t.rejects(mailer.verify(), { code: 'ERR_AUTH_MAIL_FAILED' })
  await mailer.close()
  const unused = smtpMailer({ url: server.url, from: FROM })
  await unused.close()
  t.pass('closing a mailer that never connected works')
})

t.test('auth credentials are used, and refused ones are ERR_AUTH_MAIL_FAILED', async (t) => {
  const guarded = await startSmtpServer({ user: 'mailer', pass: 'correct horse' })
  t.teardown(() => guarded.close())
  await mailerFor(t, { auth: { user: 'mailer', pass: 'correct horse' } }, guarded.url).send(message())
  t.equal(guarded.received.length, 1)
  const err = await rejection(mailerFor(t, { auth: { user: 'mailer', pass: 'wrong' } }, guarded.url).send(message()))
  t.ok(isAuthError(err, 'ERR_AUTH_MAIL_FAILED'))
  t.match((err as Error).cause, { code: 'EAUTH', responseCode: 535 })
  t.notMatch(inspect(err, { depth: 10 }), 'wrong', 'the password is not in the error')
  await t.rejects(mailerFor(t, {}, guarded.url).send(message()), { code: 'ERR_AUTH_MAIL_FAILED' }, 'no credentials where AUTH is required')
  t.equal(guarded.received.length, 1)
})

t.test('nodemailer is loaded only on first use, and its absence is a TypeError', async (t) => {
  // A child process in which resolving 'nodemailer' fails, as when it is not installed.
  const hook = `export async function resolve(specifier, context, next) {
    if (specifier === 'nodemailer') throw Object.assign(new Error('nodemailer is blocked'), { code: 'ERR_MODULE_NOT_FOUND' })
    return next(specifier, context)
  }`
  const script = `
    import { register } from 'node:module'
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}))
    await import('./lib/index.ts')
    const { smtpMailer } = await import('./plugins/mailer/smtp/index.ts')
    const mailer = smtpMailer({ url: 'smtp://127.0.0.1:1', from: 'a@example.com' })
    const err = await mailer.send({ to: 'b@example.com', kind: 'k', subject: 's', text: 't', idempotencyKey: 'k' }).then(() => undefined, (e) => e)
    console.log(JSON.stringify({ name: err?.name, message: err?.message }))
  `
  const { stdout } = await promisify(execFile)(process.execPath, ['--import=tsx', '--input-type=module', '-e', script], { cwd: process.cwd() })
  t.same(JSON.parse(stdout.trim().split('\n').at(-1)!), {
    name: 'TypeError',
    message: 'smtpMailer: the nodemailer package is needed (npm install nodemailer)',
  }, 'the core and the constructed mailer loaded without it; the first send says what is missing')
})

t.test('verify() checks the server without sending', async (t) => {
  const mailer = mailerFor(t)
  const before = server.received.length
  await mailer.verify()
  t.equal(server.received.length, before)
})

t.test('options are checked at construction: a TypeError naming the field', async (t) => {
  const good: SmtpMailerOptions = { url: 'smtp://smtp.example.com', from: FROM }
  const cases: [string, unknown, RegExp][] = [
    ['no options', undefined, /options must be an object/],
    ['no url', { from: FROM }, /url is required/],
    ['no from', { url: good.url }, /from is required/],
    ['an http url', { ...good, url: 'http://smtp.example.com' }, /url must be smtp:\/\/host\[:port\] or smtps:\/\//],
    ['not a url', { ...good, url: 'smtp.example.com:25' }, /url must be/],
    ['a url with a path', { ...good, url: 'smtp://smtp.example.com/x' }, /url must be/],
    ['a url with a query', { ...good, url: 'smtp://smtp.example.com?pool=true' }, /url must be/],
    ['a percent-escaped host', { ...good, url: 'smtp://smtp%2eexample.com' }, /url must be/],
    ['credentials in the url', { ...good, url: 'smtp://me:hunter2@smtp.example.com' }, /url must not hold credentials/],
    ['port 0', { ...good, url: 'smtp://smtp.example.com:0' }, /url must name a port/],
    ['a bad from', { ...good, from: 'not an address' }, /from must be one email address/],
    ['two senders', { ...good, from: 'a@example.com, b@example.com' }, /from must be one email address/],
    ['a display name in from', { ...good, from: 'Example <noreply@example.com>' }, /from must be the address alone.*fromName/],
    ['a CRLF in from', { ...good, from: 'a@example.com\r\nBcc: x@example.org' }, /from /],
    ['a CRLF in fromName', { ...good, fromName: 'App\r\nBcc: x@example.org' }, /fromName must be/],
    ['auth without pass', { ...good, auth: { user: 'me' } }, /auth\.pass is required/],
    ['a zero timeout', { ...good, timeouts: { connection: 0 } }, /timeouts\.connection must be at least 1/],
    ['a fractional timeout', { ...good, timeouts: { socket: 1.5 } }, /timeouts\.socket must be a whole number/],
    ['a bad pool', { ...good, pool: 'yes' }, /pool must be true, false or/],
    ['requireTLS not a boolean', { ...good, requireTLS: 'yes' }, /requireTLS must be of type boolean/],
    ['a bad idempotency window', { ...good, idempotency: { window: -1 } }, /idempotency\.window must be at least 1/],
    ['an unknown option', { ...good, secure: true }, /'secure' is not a known option/],
  ]
  for (const [name, options, field] of cases) {
    t.throws(() => smtpMailer(options as SmtpMailerOptions), field, name)
    t.throws(() => smtpMailer(options as SmtpMailerOptions), TypeError, `${name}: a TypeError`)
  }
  try {
    smtpMailer({ ...good, url: 'smtp://me:hunter2@smtp.example.com' })
  } catch (err) {
    t.notMatch((err as Error).message, 'hunter2', 'the message never repeats a password')
  }
})

t.test('requireTLS defaults to true unless the host is a loopback address', async (t) => {
  const resolve = (url: string, requireTLS?: boolean) =>
    resolveSmtpOptions({ url, from: FROM, ...(requireTLS === undefined ? {} : { requireTLS }) })
  t.match(resolve('smtp://smtp.example.com'), { host: 'smtp.example.com', port: 587, secure: false, requireTLS: true })
  t.match(resolve('smtps://smtp.example.com'), { port: 465, secure: true })
  t.match(resolve('smtp://127.0.0.1:2525'), { port: 2525, requireTLS: false })
  t.match(resolve('smtp://localhost:25'), { requireTLS: false })
  t.match(resolve('smtp://[::1]:25'), { host: '::1', requireTLS: false })
  t.match(resolve('smtp://10.0.0.5:25'), { requireTLS: true }, 'a private address is not loopback')
  t.match(resolve('smtp://smtp.example.com', false), { requireTLS: false }, 'an explicit false wins')
  t.match(resolve('smtp://smtp.example.com').timeouts, { connection: 10_000, greeting: 10_000, socket: 10_000 })
})
