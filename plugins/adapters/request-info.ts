/** What every adapter decides the same way: which paths are AuthCore's, and who the client is. */
import { isIP } from 'node:net'
import type { ServeOptions } from './options.js'

/** Whether the core serves `pathname` (the same test its router makes). */
export function underBase(pathname: string, basePath: string): boolean {
  return pathname === basePath || pathname.startsWith(`${basePath}/`)
}

/**
 * The client address: the socket peer, unless `trustProxy` trusts that peer.
 * Then `X-Forwarded-For` is read from the right, because proxies append to
 * it and everything left of the first untrusted hop is whatever the client
 * chose to send: `true` trusts the peer as the one proxy and takes the
 * right-most entry; a function also skips, from the right, every entry it
 * trusts (proxies behind proxies) and takes the first it does not. A
 * malformed entry falls back to the peer.
 */
export function resolveClientAddress(
  peer: string | undefined,
  forwardedFor: string | null | undefined,
  trustProxy: ServeOptions['trustProxy'],
): string | undefined {
  if (!trustProxy || peer === undefined) return peer
  const trusts = (address: string) => trustProxy === true || trustProxy(address) === true
  if (!trusts(peer) || !forwardedFor) return peer
  const hops = forwardedFor.split(',').map((hop) => hop.trim())
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!
    if (!isIP(hop)) return peer
    if (trustProxy === true || !trusts(hop) || i === 0) return hop
  }
  return peer
}
