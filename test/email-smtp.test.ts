// Account mail through a real SMTP server (smtp-server on loopback, parsed
// back with mailparser): a password reset from the HTTP request to the link
// in the inbox to the new password and the notice that follows; and a
// recipient the server refuses, which the mail queue does not retry (a 5xx is final) and
// reports, while the HTTP answer stays the same.
import t from 'tap'
import type { AddressObject, ParsedMail } from 'mailparser'
import { inspect } from 'node:util'
import { AuthCore, hashOneTimeSecret, isAuthError, type AuthEvents } from '../lib/index.js'
import { smtpMailer } from '../plugins/mailer/smtp/index.js'
import { sqliteStorage } from '../plugins/storage/sqlite/index.js'
import { startNode } from './helpers/apps.js'
import { fastHasher, NEW_PASS, PASS } from './helpers/email.js'
import { httpCall } from './helpers/http-call.js'
import { newSecret } from './helpers/keys.js'
import { startSmtpServer } from './helpers/smtp.js'

const APP_URL = 'https://app.example.com'

const server = await startSmtpServer()
t.teardown(() => server.close())

const auth = new AuthCore({
  secret: newSecret(),
  storage: sqliteStorage({ filename: ':memory:' }),
  // smtpMailer takes the display name apart: `from` must be the bare address.
  mailer: smtpMailer({ url: server.url, from: 'noreply@app.example.com', fromName: 'AuthCore' }),
  appUrl: APP_URL,
  passwordPolicy: { hasher: fastHasher },
  emailVerification: 'off',
})
t.teardown(() => auth.close())
const errors: AuthEvents['error'][] = []
auth.on('error', (event) => void errors.push(event))
const app = await startNode(auth, {})
t.teardown(() => app.close())

const post = (path: string, body: unknown) => httpCall(app.url, 'POST', path, { body })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const addressOf = (field: AddressObject | AddressObject[] | undefined) => [field ?? []].flat()[0]?.value[0]

/** The first message the server received since `from` (an index into `received`) that `matches`, waiting up to `timeoutMs`. */
async function arrival(from: number, matches: (mail: ParsedMail) => boolean, timeoutMs = 5000): Promise<ParsedMail> {
  for (let waited = 0; ; waited += 25) {
    const found = server.received.slice(from).find(matches)
    if (found) return found
    if (waited >= timeoutMs) throw new Error(`no matching message within ${timeoutMs} ms (${server.received.length - from} others arrived)`)
    await sleep(25)
  }
}

/** Every header line as sent, then the subject and both bodies: where a secret must not appear. */
const headerText = (mail: ParsedMail) => mail.headerLines.map((h) => h.line).join('\n')
const everything = (mail: ParsedMail) => [headerText(mail), mail.subject ?? '', mail.text ?? '', typeof mail.html === 'string' ? mail.html : ''].join('\n')

/** The link on its own line in the text body, and the one the HTML body's anchor points at. */
function linksIn(mail: ParsedMail): { text: string | undefined; html: string | undefined } {
  const text = (mail.text ?? '').split(/\r?\n/).map((line) => line.trim()).find((line) => line.startsWith('http'))
  const href = /<a href="([^"]+)"/.exec(typeof mail.html === 'string' ? mail.html : '')?.[1]
  return { text, html: href?.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'") }
}

t.test('a reset over SMTP: the link arrives in both bodies, sets the new password, and a notice follows', async (t) => {
  const email = 'ada@example.com'
  const { status } = await post('/auth/email/signup', { email, name: 'Ada', pass: PASS })
  t.equal(status, 200, 'signed up')
  const before = server.received.length
  const forgot = await post('/auth/password/forgot', { email: 'ADA@example.com' })
  t.equal(forgot.status, 202)
  t.same(forgot.json(), { ok: true })

  const mail = await arrival(before, (m) => addressOf(m.to)?.address === email)
  t.equal(mail.subject, 'Reset your password')
  t.same(addressOf(mail.from), { address: 'noreply@app.example.com', name: 'AuthCore' }, 'from the configured sender')
  t.equal(addressOf(mail.to)?.address, email, 'to the address of the account')
  t.equal([mail.to ?? []].flat().flatMap((to) => to.value).length, 1, 'one recipient')
  t.notOk(mail.cc ?? mail.bcc, 'nobody else')

  const links = linksIn(mail)
  t.ok(links.text, 'the text body carries the link')
  t.equal(links.html, links.text, 'the HTML body links to the same place')
  const link = new URL(links.text!)
  t.equal(link.origin + link.pathname, `${APP_URL}/reset-password`, 'under appUrl')
  const token = link.searchParams.get('token')!
  t.match(token, /^[A-Za-z0-9_-]{43}$/)
  t.notOk(headerText(mail).includes(token), 'no header carries the token')
  t.notOk(everything(mail).includes(hashOneTimeSecret(token)), "nothing carries the token's hash")
  t.notOk(everything(mail).includes(PASS), 'nothing carries the password')

  const noticeFrom = server.received.length
  t.equal((await post('/auth/password/reset', { token, pass: NEW_PASS })).status, 200, 'the token from the inbox resets the password')
  const signedIn = await post('/auth/email/signin', { email, pass: NEW_PASS })
  t.equal(signedIn.status, 200, 'the new password signs in')
  t.equal((await post('/auth/email/signin', { email, pass: PASS })).status, 401, 'the old one does not')

  const notice = await arrival(noticeFrom, (m) => addressOf(m.to)?.address === email)
  t.equal(notice.subject, 'Your password was changed', "the 'password-changed' notice arrives too")
  t.same(addressOf(notice.from), { address: 'noreply@app.example.com', name: 'AuthCore' })
  t.notOk(everything(notice).includes(NEW_PASS), 'the notice does not carry the new password')
  t.notOk(everything(notice).includes(token), 'nor the token')
  t.equal(linksIn(notice).text, undefined, 'nor any link')
  t.same(errors, [], 'no error reported')
})

t.test('a recipient the server refuses (550): final at once, reported as a mail error; the answer was 202 all the same', async (t) => {
  const email = 'refused@example.com'
  await auth.createUser({ email, name: 'Refused', pass: PASS })
  const before = server.received.length
  errors.length = 0
  // A 5xx is the server's final word: the queue does not send it again.
  server.rejectRecipients(1)
  const forgot = await post('/auth/password/forgot', { email })
  t.equal(forgot.status, 202, 'the answer does not wait for the mail')
  t.same(forgot.json(), { ok: true })

  for (let waited = 0; errors.length === 0 && waited < 15_000; waited += 50) await sleep(50)
  t.equal(errors.length, 1, 'one error event')
  t.equal(errors[0]?.event, 'mail')
  t.ok(isAuthError(errors[0]?.error, 'ERR_AUTH_MAIL_FAILED'), 'an ERR_AUTH_MAIL_FAILED')
  t.same((errors[0]?.error as { details?: unknown }).details, { permanent: true }, 'marked final')
  const reported = inspect(errors[0]?.error, { depth: 10 })
  t.notMatch(reported, /token=|reset-password/, 'the report carries neither the link nor the token')
  t.equal(server.received.length, before, 'nothing was delivered')

  // One refusal, one attempt: the next message goes through.
  const later = mailerTo('other@example.com')
  await auth.createUser({ email: 'other@example.com', name: 'Other', pass: PASS })
  await post('/auth/password/forgot', { email: 'other@example.com' })
  t.equal((await later).subject, 'Reset your password', 'the server takes the next message')
  t.equal(errors.length, 1, 'and no other error')
})

/** The next message to `to` from now on. */
function mailerTo(to: string): Promise<ParsedMail> {
  return arrival(server.received.length, (m) => addressOf(m.to)?.address === to)
}
