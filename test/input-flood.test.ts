// Junk JSON fields must cost little and in proportion to their number: they
// arrive before any rate limit is charged. Checked by counting work, never by
// timing it.
import type { ErrorObject } from 'ajv'
import t from 'tap'
import { describeErrors } from '../lib/schema.js'
import { makeAuth } from './helpers/auth.js'

const post = (path: string, body: unknown) =>
  new Request(`http://localhost/auth${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })

t.test('1,600 unknown fields: refused with the first few named and the rest counted', async (t) => {
  const auth = await makeAuth(t)
  const body: Record<string, unknown> = { email: 'flood@example.com', name: 'Flood', pass: 'a long enough passphrase' }
  // About 14 KB: inside the default 16 KB body cap.
  for (let i = 0; i < 1600; i++) body[`f${i}`] = 0
  const response = await auth.handle(post('/email/signup', body))
  t.equal(response.status, 400)
  const answer = (await response.json()) as { code: string; error: string }
  t.equal(answer.code, 'ERR_AUTH_INPUT_INVALID')
  t.match(answer.error, /'f0' is not a known field; 'f1' is not a known field/)
  t.match(answer.error, /and 1595 more unknown field\(s\)$/)
  t.ok(answer.error.length < 400, 'the message stays short whatever the body holds')
})

t.test('an unknown field with a huge name is cut in the message', async (t) => {
  const auth = await makeAuth(t)
  const response = await auth.handle(post('/email/signin', { email: 'a@example.com', pass: 'x', ['k'.repeat(5000)]: 1 }))
  const answer = (await response.json()) as { error: string }
  t.ok(answer.error.length < 200)
  t.match(answer.error, /'k{64}\.\.\.' is not a known field/)
})

t.test('describeErrors reads each error a bounded number of times (no search per error)', async (t) => {
  let reads = 0
  const error = (path: string, described: boolean): ErrorObject => {
    const base = {
      keyword: 'type', schemaPath: `#/properties${path}/type`, params: { type: 'string' }, message: 'must be string',
      parentSchema: described ? { description: 'a string' } : {},
    }
    return Object.defineProperty(base, 'instancePath', { get: () => (reads++, path), enumerable: true }) as unknown as ErrorObject
  }
  const errors: ErrorObject[] = []
  for (let i = 0; i < 4000; i++) errors.push(error(`/f${i}`, i % 2 === 0))
  const lines = describeErrors(errors, 'field')
  t.equal(lines.length, 4000)
  t.equal(lines[0], 'f0 must be a string')
  t.equal(lines[1], 'f1 must be of type string')
  t.ok(reads <= 4 * errors.length, `instancePath read ${reads} times for ${errors.length} errors`)
})
