// The memory mailer of authcore/testing: messages kept in order, last(),
// clear(), failure injection, and the idempotency and message rules it shares
// with the SMTP mailer.
import t from 'tap'
import { isAuthError } from '../lib/errors.js'
import { memoryMailer } from '../plugins/testing/index.js'
import { mailMessage as message } from './helpers/mail.js'

t.test('keeps sent messages in order; last() finds the newest, optionally by recipient', async (t) => {
  const mailer = memoryMailer()
  t.equal(mailer.last(), undefined)
  await mailer.send(message({ to: 'ada@example.com', subject: 'one' }))
  await mailer.send(message({ to: 'grace@example.com', subject: 'two' }))
  const third = message({ to: 'Ada@EXAMPLE.com', subject: 'three', html: '<b>3</b>' })
  await mailer.send(third)
  t.same(mailer.messages.map((m) => m.subject), ['one', 'two', 'three'])
  t.equal(mailer.last()?.subject, 'three')
  t.equal(mailer.last('ada@example.com')?.subject, 'three', 'addresses compare as normalised emails')
  t.equal(mailer.last('GRACE@example.com')?.subject, 'two')
  t.equal(mailer.last('nobody@example.com'), undefined)
  t.same(mailer.last(), third, 'recorded as sent, with no field of the mailer\'s own')
  t.throws(() => mailer.last('not an address'), TypeError)
  t.equal(mailer.name, 'memory')
})

t.test('recorded messages are frozen copies', async (t) => {
  const mailer = memoryMailer()
  const sent = { ...message(), subject: 'original' }
  await mailer.send(sent)
  sent.subject = 'changed later'
  t.equal(mailer.last()?.subject, 'original')
  t.ok(Object.isFrozen(mailer.messages) && Object.isFrozen(mailer.messages[0]))
})

t.test('one idempotency key records one message, within the window', async (t) => {
  let now = 1_000
  const mailer = memoryMailer({ idempotency: { window: 60_000 }, now: () => now })
  const body = message()
  await Promise.all([mailer.send(body), mailer.send(body)])
  await mailer.send(body)
  t.equal(mailer.messages.length, 1)
  now += 60_000
  await mailer.send(body)
  t.equal(mailer.messages.length, 2, 'sent again once the window has passed')
})

t.test('failNext() fails the next delivery; the key is not remembered', async (t) => {
  const mailer = memoryMailer()
  const body = message()
  mailer.failNext()
  const err = await mailer.send(body).catch((e: unknown) => e)
  t.ok(isAuthError(err, 'ERR_AUTH_MAIL_FAILED'), 'the default failure is ERR_AUTH_MAIL_FAILED')
  t.equal(mailer.messages.length, 0)
  await mailer.send(body)
  t.equal(mailer.messages.length, 1, 'a retry with the same key sends')
  const custom = new Error('boom')
  mailer.failNext(custom)
  mailer.failNext()
  await t.rejects(mailer.send(message()), custom, 'the given error as is')
  await t.rejects(mailer.send(message()), { code: 'ERR_AUTH_MAIL_FAILED' }, 'failures queue')
  await mailer.send(message())
  t.equal(mailer.messages.length, 2)
})

t.test('clear() forgets messages, keys and queued failures', async (t) => {
  const mailer = memoryMailer()
  const body = message()
  await mailer.send(body)
  mailer.failNext()
  mailer.clear()
  t.same(mailer.messages, [])
  await mailer.send(body)
  t.equal(mailer.messages.length, 1, 'the same key sends again, and the failure was dropped')
})

t.test('refuses what the SMTP mailer refuses', async (t) => {
  const mailer = memoryMailer()
  await t.rejects(mailer.send(message({ subject: 'x\r\nBcc: y@example.org' })), { name: 'TypeError', message: /message\.subject/ })
  await t.rejects(mailer.send(message({ to: 'ada@example.com\nBcc: y@example.org' })), { name: 'TypeError', message: /message\.to/ })
  await t.rejects(mailer.send(message({ to: 'ada@example.com;eve@example.org' })), { name: 'TypeError', message: /message\.to/ })
  // nodemailer reads 'group:' as group syntax and sends to '"group:eve"@example.org': not what was checked.
  await t.rejects(mailer.send(message({ to: 'group:eve@example.org' })), { name: 'TypeError', message: /message\.to is not an address mail can be sent to/ })
  await t.rejects(mailer.send(message({ to: '=?utf-8?q?eve?=@example.org' })), { name: 'TypeError', message: /message\.to/ })
  await t.rejects(mailer.send(null as never), { name: 'TypeError', message: /message must be an object/ })
  t.equal(mailer.messages.length, 0)
})

t.test('close() refuses later sends and keeps the messages readable', async (t) => {
  const mailer = memoryMailer()
  await mailer.send(message())
  await mailer.close()
  await mailer.close()
  await t.rejects(mailer.send(message()), { code: 'ERR_AUTH_MAIL_FAILED' })
  t.equal(mailer.messages.length, 1)
})

t.test('options are checked: a TypeError naming the field', async (t) => {
  t.throws(() => memoryMailer({ now: 5 } as never), { name: 'TypeError', message: /now must be a function returning milliseconds/ })
  t.throws(() => memoryMailer({ idempotency: { window: 0 } }), { name: 'TypeError', message: /idempotency\.window must be at least 1/ })
  t.throws(() => memoryMailer({ keys: 1 } as never), { name: 'TypeError', message: /'keys' is not a known option/ })
})

t.test('an idempotency key reused for another recipient or kind does not swallow that message', async (t) => {
  const { memoryMailer } = await import('../plugins/testing/index.js')
  const mailer = memoryMailer()
  const base = { kind: 'notice', subject: 'Hello', text: 'Hi', idempotencyKey: 'same-key' }
  await mailer.send({ ...base, to: 'alice@example.com' })
  await mailer.send({ ...base, to: 'bob@example.com' })
  await mailer.send({ ...base, to: 'ALICE@example.com' })
  await mailer.send({ ...base, to: 'alice@example.com', kind: 'other' })
  t.same(mailer.messages.map((m) => `${m.to} ${m.kind}`), ['alice@example.com notice', 'bob@example.com notice', 'alice@example.com other'])
})
