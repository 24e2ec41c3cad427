/**
 * Reads a byte stream to the end, but never past `maxBytes`: the moment the
 * count passes the limit the stream is cancelled and `tooLarge()` is thrown,
 * so an oversized body (an HTTP request, a JWKS document) is never buffered.
 */
export async function readBounded(stream: ReadableStream<Uint8Array>, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    total += value.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw tooLarge()
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}
