/** What every adapter decides the same way: which paths are AuthCore's, and who the client is. */
import { isIP } from 'node:net'
import type { ServeOptions } from './options.js'

/** Whether the core serves `pathname` (the same test its router makes). */
export function underBase(pathname: string, basePath: string): boolean {
  return pathname === basePath || pathname.startsWith(`${basePath}/`)
}

/**
 * The client address: the socket peer, unless `trustProxy` trusts that peer,
 * in which case the left-most `X-Forwarded-For` entry (when it is an IP).
 */
export function resolveClientAddress(
  peer: string | undefined,
  forwardedFor: string | null | undefined,
  trustProxy: ServeOptions['trustProxy'],
): string | undefined {
  if (!trustProxy || peer === undefined) return peer
  if (typeof trustProxy === 'function' && trustProxy(peer) !== true) return peer
  const forwarded = forwardedFor?.split(',')[0]?.trim()
  return forwarded && isIP(forwarded) ? forwarded : peer
}
