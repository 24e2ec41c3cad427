import { isIPv4, isIPv6 } from 'node:net'

/**
 * The key a client address is counted under. IPv4 counts per address. IPv6
 * counts per /64 (one subscriber usually holds a whole /64, so counting per
 * address would let them rotate through 2^64 keys), and every spelling of an
 * address (zero compression, case, leading zeros, an IPv4-mapped form, a zone
 * id) gives the same key. Anything that is not an IP address is one shared
 * key, `other`, so junk cannot mint fresh buckets.
 */
export function addressKey(address: string | undefined): string | undefined {
  if (address === undefined || address === '') return undefined
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  if (isIPv4(bare)) return `4:${bare}`
  if (!isIPv6(bare)) return 'other'
  const groups = expandIPv6(bare)
  // ::ffff:a.b.c.d is an IPv4 client seen through a dual-stack socket.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `4:${groups[6]! >> 8}.${groups[6]! & 255}.${groups[7]! >> 8}.${groups[7]! & 255}`
  }
  return `6:${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`
}

/** Eight 16-bit groups of a valid IPv6 address (with an optional dotted IPv4 tail). */
function expandIPv6(address: string): number[] {
  let text = address.toLowerCase()
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text)
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::') as [string, string | undefined]
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)))
  const left = parse(head)
  if (tail === undefined) return left
  const right = parse(tail)
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right]
}
