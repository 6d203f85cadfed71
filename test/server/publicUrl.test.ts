import { request as httpRequest } from 'node:http'
import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { SyncError } from '../../src/core/errors.js'
import { resolveSocketUrl } from '../../src/core/records/wsTransport.js'
import type { SyncServer, SyncServerOptions } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'

/**
 * The `mode=ws` handshake's `wsUrl` is absolute (issue 16 item 3): contrail's client resolves
 * it against the page's origin, so a relative one led a page on another origin (or Node) to
 * `ws://localhost:80`. It is built from `publicUrl`, else the Host header, and behind a proxy
 * from `X-Forwarded-*` only with `trustProxy`.
 */
const COLLECTION = 'com.example.message'
const servers: SyncServer[] = []
async function start(options: SyncServerOptions = {}): Promise<SyncServer> {
  const server = createSyncServer({ port: 0, storage: memoryStorage(), ...options })
  servers.push(server)
  await server.start()
  return server
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

const watchPath = `/xrpc/${COLLECTION}.watchRecords?roomUri=room-1&mode=ws`

/** The handshake's `wsUrl`, asked with these headers (Host included, which fetch cannot set). */
function handshakeWsUrl(server: SyncServer, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.port, path: watchPath, headers: { accept: 'application/json', ...headers } }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => (body += chunk))
      res.on('end', () => (res.statusCode === 200 ? resolve((JSON.parse(body) as { wsUrl: string }).wsUrl) : reject(new Error(`status ${res.statusCode}: ${body}`))))
    })
    req.on('error', reject)
    req.end()
  })
}

const originOf = (url: string): string => new URL(url).origin
const ownOrigin = (server: SyncServer): string => server.url.replace('http', 'ws')

describe('what contrail\'s client does with wsUrl', () => {
  it('resolved against a page on another origin, it still leads to this server, and the socket opens', async () => {
    const server = await start()
    const handshake = (await (await fetch(`${server.url}${watchPath}`)).json()) as { wsUrl: string }
    // Contrail's client does new URL(wsUrl, location.href): a relative URL would land on the page's origin.
    const resolved = new URL(handshake.wsUrl, 'https://app.example.test/rooms/1')
    expect(resolved.origin).toBe(ownOrigin(server))
    expect(resolved.searchParams.get('ticket')).not.toBeNull()
    const socket = new WebSocket(resolved)
    const outcome = await new Promise<string>((resolve) => {
      socket.once('open', () => resolve('open'))
      socket.once('unexpected-response', (_request, response) => resolve(`refused: ${response.statusCode}`))
      socket.once('error', (error) => resolve(`error: ${error.message}`))
    })
    socket.terminate()
    expect(outcome).toBe('open')
  })

  it('syncline\'s own client still accepts it as the endpoint\'s origin, without allowedSocketOrigins', async () => {
    const server = await start()
    const endpoint = `${server.url}${watchPath}`
    const handshake = (await (await fetch(endpoint)).json()) as { wsUrl: string; ticket: string }
    expect(resolveSocketUrl(handshake.wsUrl, endpoint, handshake.ticket)).toBe(handshake.wsUrl)
  })
})

describe('where wsUrl points', () => {
  it('by default, to the Host the client asked for, with the ws scheme', async () => {
    const server = await start()
    expect(originOf(await handshakeWsUrl(server))).toBe(ownOrigin(server))
    expect(originOf(await handshakeWsUrl(server, { host: 'sync.example.test:8443' }))).toBe('ws://sync.example.test:8443')
    expect(new URL(await handshakeWsUrl(server, { host: '[::1]:9000' })).host).toBe('[::1]:9000')
  })

  it('ignores X-Forwarded-* without trustProxy, and a Host that is not a host', async () => {
    const server = await start()
    const forwarded = { host: 'sync.example.test', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example.test' }
    expect(originOf(await handshakeWsUrl(server, forwarded))).toBe('ws://sync.example.test')
    // Not a plain host: the address the request arrived on instead.
    expect(originOf(await handshakeWsUrl(server, { host: 'evil.example.test/path?x' }))).toBe(ownOrigin(server))
  })

  it('follows X-Forwarded-Proto and X-Forwarded-Host (the first of each) with trustProxy', async () => {
    const server = await start({ trustProxy: true })
    const forwarded = { host: '10.0.0.5:3030', 'x-forwarded-proto': 'https, http', 'x-forwarded-host': 'sync.example.test, 10.0.0.1' }
    expect(originOf(await handshakeWsUrl(server, forwarded))).toBe('wss://sync.example.test')
    // Without the forwarded headers, the Host header as usual.
    expect(originOf(await handshakeWsUrl(server))).toBe(ownOrigin(server))
  })

  it('to publicUrl when set, keeping its path prefix, whatever the headers say', async () => {
    const server = await start({ publicUrl: 'https://sync.example.test/base', trustProxy: true })
    const wsUrl = await handshakeWsUrl(server, { host: 'other.example.test', 'x-forwarded-host': 'evil.example.test' })
    expect(wsUrl.startsWith(`wss://sync.example.test/base/xrpc/${COLLECTION}.watchRecords?`)).toBe(true)
  })

  it('refuses a publicUrl that is not an absolute http(s) or ws(s) URL, with a SyncError', () => {
    for (const publicUrl of ['sync.example.test', 'ftp://sync.example.test']) {
      let thrown: unknown
      try {
        createSyncServer({ port: 0, storage: memoryStorage(), publicUrl })
      } catch (error) {
        thrown = error
      }
      expect(thrown).toBeInstanceOf(SyncError)
      expect((thrown as SyncError).code).toBe('bad-input')
    }
  })
})
