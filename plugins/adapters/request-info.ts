/** What every adapter decides the same way: which paths are AuthCore's, and who the client is. */
import { isIP } from 'node:net'
import type { ServeOptions } from './options.js'

/** Whether `pathname` is `basePath` or under `basePath/` (the same test the core's router makes). */
export function underBase(pathname: string, basePath: string): boolean {
  return pathname === basePath || pathname.startsWith(`${basePath}/`)
}

/** The scheme and authority of an absolute-form target (`http://host`), which precede its path. */
const SCHEME_AND_AUTHORITY = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\\?#]*/

/**
 * The path of a request target exactly as the client sent it: nothing
 * decoded, no dot segment resolved, no `\` turned into `/`. An
 * absolute-form target (`http://host/path`, sent to proxies) loses its
 * scheme and authority; the query goes in every form.
 */
function rawPath(target: string): string {
  const path = target.replace(SCHEME_AND_AUTHORITY, '')
  const end = path.search(/[?#]/)
  return end === -1 ? path : path.slice(0, end)
}

/**
 * Whether AuthCore answers a request: only when its path is under
 * `basePath` both as sent (`target`, the raw request target) and as the
 * core routes it (`url`, after WHATWG normalisation). A path that leaves
 * `basePath` through dot segments (`/auth/%2e%2e/health`) and one that
 * enters it only by normalisation (`/public/../auth/profiles`,
 * `/public\..\auth`, `/%61uth`) are the app's. Both halves are needed:
 * frameworks, proxies and access rules in front of the app may route on
 * either form, and AuthCore must never answer a request they believe
 * went elsewhere.
 */
export function servesTarget(target: string, url: URL, basePath: string): boolean {
  return underBase(rawPath(target), basePath) && underBase(url.pathname, basePath)
}

/** A port as proxies append it: digits only, 1 to 65535. */
function isPort(text: string): boolean {
  return /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535
}

/**
 * The address in one `X-Forwarded-For` entry, without a port: a bare IP,
 * `a.b.c.d:port` or `[v6]` / `[v6]:port` (some proxies append the client's
 * port). Undefined for anything else. A bare entry that is an IP is taken
 * whole first, so an IPv6 address such as `::1` is never split as host:port.
 */
function forwardedAddress(entry: string): string | undefined {
  if (isIP(entry)) return entry
  const bracketed = /^\[([^\]]+)\](?::([^:]*))?$/.exec(entry)
  if (bracketed) {
    const [, address, port] = bracketed
    return isIP(address!) === 6 && (port === undefined || isPort(port)) ? address : undefined
  }
  const colon = entry.lastIndexOf(':')
  const address = entry.slice(0, colon)
  return colon > 0 && isIP(address) === 4 && isPort(entry.slice(colon + 1)) ? address : undefined
}

/**
 * The client address: the socket peer, unless `trustProxy` trusts that peer.
 * Then `X-Forwarded-For` is read from the right, because proxies append to
 * it and everything left of the first untrusted hop is whatever the client
 * chose to send: `true` trusts the peer as the one proxy and takes the
 * right-most entry; a function also skips, from the right, every entry it
 * trusts (proxies behind proxies) and takes the first it does not. An entry
 * may carry a port (`a.b.c.d:port`, `[v6]:port`), which is dropped; any
 * other malformed entry falls back to the peer.
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
    const hop = forwardedAddress(hops[i]!)
    if (hop === undefined) return peer
    if (trustProxy === true || !trusts(hop) || i === 0) return hop
  }
  return peer
}
