// The browser's side of a redirect sign-in against the app under test: the
// attempt cookie from /authorize goes back to the callback, and the code
// cookie the callback sets goes with the POST /oauth/token, as a browser
// would send them (each only on its own path).

/** A GET without following redirects: status, Location, Set-Cookie and body. */
export async function get(url: string, cookie?: string) {
  const response = await fetch(url, { redirect: 'manual', headers: cookie ? { cookie } : {} })
  const setCookie = response.headers.getSetCookie()
  const text = await response.text()
  return { status: response.status, location: response.headers.get('location') ?? '', setCookie, text }
}

/** The `name=value` pair a Set-Cookie header sets. */
export const cookiePair = (setCookie: string) => setCookie.split(';')[0]!

/** One browser: what it keeps between the callback and the code exchange. */
export interface OAuthBrowser {
  /** GET `/auth/oauth/<name>/authorize`: the provider URL (`location`) and the attempt cookie (`cookie`). */
  authorize(name: string, redirectTo: string): Promise<Awaited<ReturnType<typeof get>> & { cookie: string }>
  /** Sends the provider's redirect (a URL under appUrl) to the app under test; keeps the code cookie it sets. */
  callback(back: URL, cookie?: string): ReturnType<typeof get>
  /** POST `/auth/oauth/token` with the code and this browser's code cookie. */
  exchange(code: string): Promise<{ status: number; body: Record<string, any> }>
  /** The code cookie (`name=value`) this browser holds, '' when none. */
  readonly codeCookie: string
}

/** A browser for the app served at `appBase` (the test server's origin). */
export function oauthBrowser(appBase: string): OAuthBrowser {
  let codeCookie = ''
  return {
    async authorize(name, redirectTo) {
      const started = await get(`${appBase}/auth/oauth/${name}/authorize?redirect_to=${encodeURIComponent(redirectTo)}`)
      return { ...started, cookie: started.setCookie[0] ? cookiePair(started.setCookie[0]) : '' }
    },
    async callback(back, cookie) {
      const answer = await get(`${appBase}${back.pathname}${back.search}`, cookie)
      const set = answer.setCookie.map(cookiePair).find((pair) => pair.startsWith('authcore_oauth_code='))
      if (set !== undefined) codeCookie = set.endsWith('=') ? '' : set
      return answer
    },
    async exchange(code) {
      const response = await fetch(`${appBase}/auth/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(codeCookie && { cookie: codeCookie }) },
        body: JSON.stringify({ code }),
      })
      return { status: response.status, body: (await response.json()) as Record<string, any> }
    },
    get codeCookie() {
      return codeCookie
    },
  }
}
