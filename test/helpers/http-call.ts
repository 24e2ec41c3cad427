// A small HTTP client for the account-mail suites, on node:http so a test can
// send any Host header (fetch will not let it) and a HEAD.
import { request } from 'node:http'

/** An answer: status, headers (lower-case names, repeated values joined) and the body as text. */
export interface HttpReply {
  readonly status: number
  readonly headers: Record<string, string>
  readonly text: string
  /** The body parsed as JSON. */
  json(): any
}

export interface HttpCall {
  /** Sent as JSON (with its Content-Type) when given. */
  body?: unknown
  /** Extra headers; `host` replaces the one Node would send. */
  headers?: Record<string, string>
}

/** Sends `method path` to `base` (`http://127.0.0.1:port`) and reads the whole answer. */
export function httpCall(base: string, method: string, path: string, { body, headers = {} }: HttpCall = {}): Promise<HttpReply> {
  const { hostname, port } = new URL(base)
  const payload = body === undefined ? undefined : JSON.stringify(body)
  const sent: Record<string, string> = { ...(payload !== undefined && { 'content-type': 'application/json' }), ...headers }
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method, path, headers: sent, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
      res.on('end', () => {
        const out: Record<string, string> = {}
        for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value
        resolve({ status: res.statusCode!, headers: out, text, json: () => JSON.parse(text) })
      })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(payload)
  })
}

/** The path and query of a link, to request it from a local server. */
export const pathOf = (link: URL): string => link.pathname + link.search
