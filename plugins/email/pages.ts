/**
 * AuthCore's own confirmation pages (`accountEmail.confirmationPages`), for
 * apps without pages of their own. A GET shows a page and consumes nothing
 * (mail scanners open links); the page's button POSTs the token from the
 * address bar to the same path. The token is never written into the HTML,
 * the page loads nothing from elsewhere (a nonce-locked CSP), and
 * `Referrer-Policy: no-referrer` keeps the link out of any Referer header.
 */
import { randomBytes } from 'node:crypto'

/** Which page: choosing a new password, or confirming an address. */
export type PageKind = 'reset' | 'verify'

const TEXT = {
  reset: { title: 'Choose a new password', button: 'Set password', done: 'Your password is set. You can sign in with it now.' },
  verify: { title: 'Confirm your email address', button: 'Confirm', done: 'Thank you: your address is confirmed.' },
} as const

/** The page for `kind`, as a complete response. */
export function confirmationPage(kind: PageKind): Response {
  const nonce = randomBytes(16).toString('base64')
  const text = TEXT[kind]
  const passwordField = kind === 'reset'
    ? '<label>New password <input id="pass" type="password" autocomplete="new-password" required minlength="8"></label>'
    : ''
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${text.title}</title>
<style nonce="${nonce}">body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}label,button{display:block;margin:1rem 0}input{width:100%;padding:.5rem}button{padding:.5rem 1rem}</style>
</head><body><h1>${text.title}</h1>
<form id="form">${passwordField}<button type="submit">${text.button}</button></form>
<p id="result" role="status"></p>
<script nonce="${nonce}">
const form = document.getElementById('form'), result = document.getElementById('result')
form.addEventListener('submit', async (event) => {
  event.preventDefault()
  const token = new URLSearchParams(location.search).get('token') || ''
  const body = { token }
  const pass = document.getElementById('pass')
  if (pass) body.pass = pass.value
  const response = await fetch(location.pathname, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), credentials: 'omit' })
  const answer = await response.json().catch(() => ({}))
  result.textContent = response.ok ? ${JSON.stringify(text.done)} : (answer.error || 'Something went wrong; try again.')
  if (response.ok) form.hidden = true
})
</script></body></html>`
  return new Response(html, {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
    },
  })
}
