/**
 * The canonical-encoding check for compact JWS strings. base64url decoders
 * forgive padding and ignore the unused low bits of a segment's last
 * character, so one token has several spellings that all verify; the
 * verified-token cache is keyed by the exact string, so each spelling would
 * take its own entry. Accepting only the canonical spelling (RFC 7515 §2:
 * unpadded base64url; RFC 4648 §3.5: unused bits zero) makes one token one
 * string.
 */

/** The 6-bit value of each base64url character by char code, -1 for anything else ('=' included). */
const SEXTET = new Int8Array(128).fill(-1)
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
for (let i = 0; i < ALPHABET.length; i++) SEXTET[ALPHABET.charCodeAt(i)] = i

const DOT = 0x2e

/**
 * True when every dot-separated segment of `token` is canonical unpadded
 * base64url: only `[A-Za-z0-9_-]`, no `=`, a length that is not 1 more than a
 * multiple of 4, and zero unused bits in the last character. Says nothing
 * about the number of segments (the header check refuses other shapes).
 * One pass over the char codes, no allocation: it runs on every cache miss.
 */
export function isCanonicalCompactJws(token: string): boolean {
  const length = token.length
  let start = 0
  for (let i = 0; i < length; i++) {
    const code = token.charCodeAt(i)
    if (code === DOT) {
      if (!canonicalEnd(token, start, i)) return false
      start = i + 1
    } else if (code > 127 || SEXTET[code]! < 0) {
      return false
    }
  }
  return canonicalEnd(token, start, length)
}

/** Whether the segment `[start, end)` (characters already checked) ends canonically. */
function canonicalEnd(token: string, start: number, end: number): boolean {
  switch ((end - start) & 3) {
    case 0:
      return true
    case 2: // 12 bits for one byte: the last character's low 4 bits are unused
      return (SEXTET[token.charCodeAt(end - 1)]! & 0b1111) === 0
    case 3: // 18 bits for two bytes: the low 2 bits are unused
      return (SEXTET[token.charCodeAt(end - 1)]! & 0b11) === 0
    default: // one character is 6 bits: no whole byte, never an encoding
      return false
  }
}
