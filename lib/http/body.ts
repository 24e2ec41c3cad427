import { AuthError } from '../errors.js'
import { readBounded } from '../read-bounded.js'

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

  const bytes = await readBounded(request.body, maxBytes, () => new AuthError('ERR_AUTH_BODY_TOO_LARGE'))
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch (cause) {
    throw new AuthError('ERR_AUTH_BODY_MALFORMED', 'The request body is not valid UTF-8', { cause })
  }
  try {
    return JSON.parse(text) as unknown
  } catch (cause) {
    throw new AuthError('ERR_AUTH_BODY_MALFORMED', undefined, { cause })
  }
}
