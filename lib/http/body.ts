import { AuthError } from '../errors.js'

/**
 * Reads a JSON object body with a hard byte limit: the declared length is
 * checked first, then the stream is counted as it arrives and cancelled the
 * moment it passes the limit, so a large body is never buffered.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<unknown> {
  const type = request.headers.get('content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new AuthError('ERR_AUTH_CONTENT_TYPE')
  const declared = request.headers.get('content-length')
  if (declared !== null && Number(declared) > maxBytes) throw new AuthError('ERR_AUTH_BODY_TOO_LARGE')
  if (!request.body) throw new AuthError('ERR_AUTH_BODY_MALFORMED', 'The request body is empty')

  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw new AuthError('ERR_AUTH_BODY_TOO_LARGE')
    }
    chunks.push(value)
  }
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks))
  } catch (cause) {
    throw new AuthError('ERR_AUTH_BODY_MALFORMED', 'The request body is not valid UTF-8', { cause })
  }
  try {
    return JSON.parse(text) as unknown
  } catch (cause) {
    throw new AuthError('ERR_AUTH_BODY_MALFORMED', undefined, { cause })
  }
}
