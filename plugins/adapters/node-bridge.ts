/**
 * Converting between node:http and the core's Web Request/Response, shared by
 * the Node, Express and Fastify adapters.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { AuthError } from '../../lib/index.js'
import type { AdapterAuth, ServeOptions } from './options.js'
import { resolveClientAddress, servesTarget } from './request-info.js'

/**
 * Requests are given this fixed origin: the core routes on the path alone,
 * and a client must not pick the origin through the Host header.
 */
const ORIGIN = 'http://localhost'

/** The request URL on the fixed origin, or null when the target cannot be parsed. */
export function requestUrl(target: string | undefined): URL | null {
  try {
    const raw = target ?? '/'
    // Origin-form ('/path?query') is appended as text, never resolved, so '//host/...' stays a path.
    if (raw.startsWith('/')) return new URL(ORIGIN + raw)
    // Absolute-form ('http://host/path', sent to proxies): keep only the path and query.
    const url = new URL(raw)
    return new URL(ORIGIN + url.pathname + url.search)
  } catch {
    return null
  }
}

/**
 * The URL of a request AuthCore answers (see {@link servesTarget}: its path
 * is under `basePath` both as sent and as normalised), else null.
 */
export function servedUrl(target: string | undefined, basePath: string): URL | null {
  const url = requestUrl(target)
  return url && target !== undefined && servesTarget(target, url, basePath) ? url : null
}

/** Every value of one header, in order, joined as a single field value (as Web Headers would). */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  // req.headers keeps only the first Authorization line and drops the rest;
  // rawHeaders has them all, so two values are refused instead of one winning.
  const values: string[] = []
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === name) values.push(req.rawHeaders[i + 1]!)
  }
  return values.length === 0 ? undefined : values.join(', ')
}

/** The client address: the socket peer, or the `X-Forwarded-For` entry `trustProxy` lets name the client. */
export function clientAddress(req: IncomingMessage, trustProxy: ServeOptions['trustProxy']): string | undefined {
  return resolveClientAddress(req.socket.remoteAddress, headerValue(req, 'x-forwarded-for'), trustProxy)
}

/**
 * A body stream that reads nothing until the core asks. Node itself then
 * discards a body the core never read (a 404, 405, 415 or declared-too-large
 * request), and `release()` discards the rest of one it stopped reading,
 * without buffering either and without resetting the connection (which
 * would lose the error response).
 */
function lazyBody(req: IncomingMessage): { stream: ReadableStream<Uint8Array>; release: () => void } {
  let chunks: AsyncIterator<Buffer> | undefined
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        chunks ??= req.iterator({ destroyOnReturn: false })
        let next: IteratorResult<Buffer>
        try {
          next = await chunks.next()
        } catch (cause) {
          // The client went away mid-body: a bad request, not a server fault to report.
          controller.error(new AuthError('ERR_AUTH_BODY_MALFORMED', 'The request body ended early', { cause }))
          return
        }
        if (next.done) controller.close()
        else controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength))
      },
    },
    // highWaterMark 0: no read ahead of the core.
    { highWaterMark: 0 },
  )
  const release = () => {
    if (!chunks || req.complete) return
    void chunks.return?.().catch(() => undefined)
    req.resume()
  }
  return { stream, release }
}

const BODYLESS = new Set(['GET', 'HEAD'])

/** Builds the Web Request for the core, streaming the body. */
export function toWebRequest(req: IncomingMessage, url: URL): { request: Request; release: () => void } {
  const headers = new Headers()
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!)
  const method = req.method ?? 'GET'
  if (BODYLESS.has(method)) return { request: new Request(url, { method, headers }), release: () => undefined }
  const body = lazyBody(req)
  // duplex 'half' is what undici requires for a streamed request body.
  const init: RequestInit & { duplex: 'half' } = { method, headers, body: body.stream, duplex: 'half' }
  return { request: new Request(url, init), release: body.release }
}

/** A Response's headers as node:http takes them (Set-Cookie kept as separate values). */
export function responseHeaders(response: Response): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of response.headers) if (name !== 'set-cookie') headers[name] = value
  const cookies = response.headers.getSetCookie()
  if (cookies.length > 0) headers['set-cookie'] = cookies
  return headers
}

/** Writes a Web Response to node:http. */
export async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status
  for (const [name, value] of Object.entries(responseHeaders(response))) res.setHeader(name, value)
  // The core's bodies are small, bounded JSON: sent whole, so Node sets Content-Length.
  res.end(Buffer.from(await response.arrayBuffer()))
}

/**
 * Serves one request when AuthCore answers its path (under basePath as sent
 * and as normalised). Returns false, having touched nothing, when it does not.
 */
export async function serveNode(
  auth: AdapterAuth,
  options: ServeOptions,
  req: IncomingMessage,
  res: ServerResponse,
  target: string | undefined,
): Promise<boolean> {
  const url = servedUrl(target, auth.basePath)
  if (!url) return false
  const { request, release } = toWebRequest(req, url)
  const response = await auth.handle(request, { clientAddress: clientAddress(req, options.trustProxy) })
  await writeResponse(res, response)
  release()
  return true
}
