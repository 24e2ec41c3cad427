// The development mailer: what it prints, what it refuses to print, and its
// refusal to run in production (at construction and at send time).
import t from 'tap'
import type { MailMessage } from '../lib/mailer-types.js'
import { consoleMailer } from '../plugins/mailer/console.js'
import { mailMessage } from './helpers/mail.js'

const message = (over: Partial<MailMessage> = {}) => mailMessage({
  kind: 'email-verification',
  subject: 'Confirm your email',
  text: 'Open https://app.example.com/verify?token=tok-1 to confirm.',
  idempotencyKey: 'verify:1',
  ...over,
})

// A writer that keeps what it is given.
const capture = () => {
  const chunks: string[] = []
  return { chunks, writer: { write: (text: string) => chunks.push(text) } }
}

// Runs `fn` with NODE_ENV set to `value`, restoring it afterwards.
async function withNodeEnv<T>(value: string | undefined, fn: () => T | Promise<T>): Promise<T> {
  const saved = process.env.NODE_ENV
  if (value === undefined) delete process.env.NODE_ENV
  else process.env.NODE_ENV = value
  try {
    return await fn()
  } finally {
    if (saved === undefined) delete process.env.NODE_ENV
    else process.env.NODE_ENV = saved
  }
}

t.test('prints the recipient, subject and text body (the links)', async (t) => {
  const { chunks, writer } = capture()
  const mailer = consoleMailer({ writer })
  await mailer.send(message({ html: '<p>hi</p>' }))
  t.equal(chunks.length, 1)
  const out = chunks[0]!
  t.match(out, 'email-verification')
  t.match(out, 'To: ada@example.com')
  t.match(out, 'Subject: Confirm your email')
  t.match(out, 'https://app.example.com/verify?token=tok-1')
  t.match(out, 'Idempotency-Key: verify:1')
  t.notMatch(out, '<p>hi</p>', 'the HTML body is not printed')
  t.match(out, 'an HTML body of 9 characters')
  t.equal(mailer.name, 'console')
})

t.test('prints to standard output by default', async (t) => {
  const written: string[] = []
  const original = process.stdout.write
  process.stdout.write = ((chunk: string) => { written.push(chunk); return true }) as typeof process.stdout.write
  try {
    await consoleMailer().send(message())
  } finally {
    process.stdout.write = original
  }
  t.match(written.join(''), 'https://app.example.com/verify?token=tok-1')
})

t.test('terminal control sequences in a body are shown escaped, not run', async (t) => {
  const { chunks, writer } = capture()
  await consoleMailer({ writer }).send(message({ text: 'Hi \u001b]0;pwned\u0007 \u202Egnp.exe\r\nline two\ttab' }))
  const out = chunks[0]!
  t.notMatch(out, /[\u001b\u0007\u202E\r]/, 'no escape, bell, bidi override or CR reaches the terminal')
  t.match(out, '\\u{1b}]0;pwned\\u{7}')
  t.match(out, '\\u{202e}gnp.exe')
  t.match(out, 'line two\ttab', 'newlines and tabs stay')
})

t.test('applies the message checks and the idempotency rule of every mailer', async (t) => {
  const { chunks, writer } = capture()
  const mailer = consoleMailer({ writer })
  await t.rejects(mailer.send(message({ subject: 'a\r\nBcc: x@example.org' })), TypeError)
  await t.rejects(mailer.send(message({ to: 'a@example.com, b@example.com' })), { name: 'TypeError', message: /message\.to/ })
  await Promise.all([mailer.send(message()), mailer.send(message())])
  t.equal(chunks.length, 1, 'a key is printed once')
  await mailer.close()
  await t.rejects(mailer.send(message({ idempotencyKey: 'other' })), { code: 'ERR_AUTH_MAIL_FAILED' })
})

t.test('refuses to be created in production', async (t) => {
  for (const value of ['production', 'Production', ' production ']) {
    await withNodeEnv(value, () => {
      t.throws(() => consoleMailer(), { name: 'TypeError', message: /NODE_ENV=production/ }, `NODE_ENV=${JSON.stringify(value)}`)
    })
  }
  await withNodeEnv('development', () => t.doesNotThrow(() => consoleMailer()))
  await withNodeEnv(undefined, () => t.doesNotThrow(() => consoleMailer()))
})

t.test('refuses to send once NODE_ENV became production', async (t) => {
  const { chunks, writer } = capture()
  const mailer = await withNodeEnv('development', () => consoleMailer({ writer }))
  await withNodeEnv('production', async () => {
    await t.rejects(mailer.send(message()), { name: 'TypeError', message: /NODE_ENV=production/ })
  })
  t.equal(chunks.length, 0, 'nothing was printed')
})

t.test('options are checked: a TypeError naming the field', async (t) => {
  t.throws(() => consoleMailer({ writer: {} as never }), { name: 'TypeError', message: /writer\.write is required/ })
  t.throws(() => consoleMailer({ writer: { write: 'no' } as never }), { name: 'TypeError', message: /writer\.write must be a function/ })
  t.throws(() => consoleMailer({ writer: 5 } as never), { name: 'TypeError', message: /writer must be of type object/ })
  t.throws(() => consoleMailer({ idempotency: { maxKeys: 0 } }), { name: 'TypeError', message: /idempotency\.maxKeys must be at least 1/ })
  t.throws(() => consoleMailer({ stream: process.stdout } as never), { name: 'TypeError', message: /'stream' is not a known option/ })
})
