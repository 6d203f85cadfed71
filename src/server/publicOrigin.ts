import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { SyncError } from '../core/errors.js'

/** How the server tells clients where it is: the base of the absolute URLs it hands out. */
export interface PublicOriginOptions {
  /** The server's address as its clients see it, e.g. `https://sync.example.com` (a path prefix is kept). */
  publicUrl?: string | undefined
  /** Believe `X-Forwarded-Proto` / `X-Forwarded-Host`: only behind a proxy that sets them. */
  trustProxy?: boolean | undefined
}

/** `host` or `host:port`, a bracketed IPv6 literal included: what a Host header may hold. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/

/**
 * The base URL (ending in `/`) a request's absolute URLs are built on: `publicUrl` when set;
 * else the `Host` header with the scheme of the connection, or behind a trusted proxy the
 * `X-Forwarded-*` headers. A client must be able to use a `mode=ws` `wsUrl` from anywhere:
 * contrail's client resolves it against the page, not the endpoint, so a relative one sent
 * it to the page's own origin. Forwarded headers are ignored unless `trustProxy`, or anyone
 * could point the URL elsewhere; a Host header that is not a plain host falls back to the
 * address the request arrived on.
 */
export function createPublicOrigin({ publicUrl, trustProxy = false }: PublicOriginOptions): (request: IncomingMessage) => URL {
  if (publicUrl !== undefined) {
    const fixed = parsePublicUrl(publicUrl)
    return () => new URL(fixed)
  }
  return (request) => {
    const forwardedProto = trustProxy ? firstValue(request.headers['x-forwarded-proto'])?.toLowerCase() : undefined
    const forwardedHost = trustProxy ? firstValue(request.headers['x-forwarded-host']) : undefined
    const encrypted = (request.socket as Partial<TLSSocket>).encrypted === true
    const scheme = forwardedProto === 'https' || forwardedProto === 'http' ? forwardedProto : encrypted ? 'https' : 'http'
    const host = [forwardedHost, request.headers.host].find((candidate) => candidate !== undefined && HOST.test(candidate)) ?? arrivalAddress(request)
    return new URL(`${scheme}://${host}/`)
  }
}

/** `wsUrl` is a WebSocket URL: http→ws and https→wss. */
export function toWebSocketUrl(url: URL): URL {
  if (url.protocol === 'http:') url.protocol = 'ws:'
  else if (url.protocol === 'https:') url.protocol = 'wss:'
  return url
}

function parsePublicUrl(text: string): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new SyncError('bad-input', `publicUrl must be an absolute URL such as https://sync.example.com, not "${text}"`)
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) throw new SyncError('bad-input', `publicUrl must be http(s) or ws(s), not ${url.protocol}`)
  url.search = ''
  url.hash = ''
  if (!url.pathname.endsWith('/')) url.pathname += '/'
  return url.toString()
}

/** A proxy chain appends: the first value is the one the client used. */
function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header
  const first = value?.split(',')[0]?.trim()
  return first === '' ? undefined : first
}

function arrivalAddress(request: IncomingMessage): string {
  // An IPv4 client on a dual-stack socket arrives on ::ffff:a.b.c.d.
  const address = (request.socket.localAddress ?? '127.0.0.1').replace(/^::ffff:(?=\d+\.)/, '')
  return `${address.includes(':') ? `[${address}]` : address}:${request.socket.localPort ?? 80}`
}
