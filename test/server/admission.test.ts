import type { ClientRequest, IncomingMessage } from 'node:http'
import { get } from 'node:http'
import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { addressKey } from '../../src/server/admission.js'
import type { SyncServer, SyncServerOptions } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { until } from './docs/helpers.js'

/**
 * Issue 13, item 6: one user (or one address) cannot take every connection slot. Document
 * sockets and record watches (SSE and WS) count together; past a cap the new connection gets
 * HTTP 429, and every other user still connects.
 */
const servers: SyncServer[] = []
const cleanups: Array<() => void> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup()
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

const COLLECTION = 'com.example.message'

async function start(limits: NonNullable<SyncServerOptions['limits']>, extra: SyncServerOptions = {}): Promise<SyncServer> {
  const server = createSyncServer({ port: 0, storage: memoryStorage(), limits, onError: () => {}, ...extra })
  servers.push(server)
  await server.start()
  return server
}

/** `token` is `user:<name>`: the user is did:example:<name>. */
const authenticate: NonNullable<SyncServerOptions['authenticate']> = ({ token }) => (token.startsWith('user:') ? { userId: `did:example:${token.slice(5)}` } : undefined)

interface Opened {
  status: number
  close(): void
}

/** A document socket (`/`); resolves with 101 once open, or with the refusal's HTTP status. */
function openDocSocket(server: SyncServer, options: { token?: string; localAddress?: string } = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.url.replace('http', 'ws'), {
      ...(options.token !== undefined && { headers: { authorization: `Bearer ${options.token}` } }),
      ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
    })
    const close = (): void => socket.terminate()
    cleanups.push(close)
    socket.on('unexpected-response', (_request, response) => resolve({ status: response.statusCode ?? 0, close }))
    socket.on('open', () => resolve({ status: 101, close }))
    socket.on('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error)
    })
  })
}

/** An SSE watch; resolves with its status once the headers arrive, and keeps it open until closed. */
function openSseWatch(server: SyncServer, room: string, options: { token?: string; localAddress?: string } = {}): Promise<Opened> {
  return new Promise((resolve, reject) => {
    const request: ClientRequest = get(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=${room}`, {
      headers: { accept: 'text/event-stream', ...(options.token !== undefined && { authorization: `Bearer ${options.token}` }) },
      ...(options.localAddress !== undefined && { localAddress: options.localAddress }),
      agent: false,
    })
    const close = (): void => void request.destroy()
    cleanups.push(close)
    request.on('response', (response: IncomingMessage) => {
      response.resume()
      resolve({ status: response.statusCode ?? 0, close })
    })
    request.on('error', (error) => {
      if (!request.destroyed) reject(error)
    })
  })
}

/** The second step of a `mode=ws` watch: the handshake, then the socket it names. */
async function openWsWatch(server: SyncServer, room: string, token: string): Promise<Opened> {
  const handshake = await fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=${room}&mode=ws`, { headers: { accept: 'application/json', authorization: `Bearer ${token}` } })
  expect(handshake.status).toBe(200)
  const { wsUrl } = (await handshake.json()) as { wsUrl: string }
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(new URL(wsUrl, server.url.replace('http', 'ws')))
    const close = (): void => socket.terminate()
    cleanups.push(close)
    socket.on('unexpected-response', (_request, response) => resolve({ status: response.statusCode ?? 0, close }))
    socket.on('open', () => resolve({ status: 101, close }))
    socket.on('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error)
    })
  })
}

describe('connection admission', () => {
  it('maxConnectionsPerUser: a user at the cap gets 429 for sockets and watches alike; other users connect', async () => {
    const server = await start({ maxConnectionsPerUser: 2 }, { authenticate })
    const aliceDoc = await openDocSocket(server, { token: 'user:alice' })
    const aliceWatch = await openSseWatch(server, 'r', { token: 'user:alice' })
    expect([aliceDoc.status, aliceWatch.status]).toEqual([101, 200])

    expect((await openDocSocket(server, { token: 'user:alice' })).status).toBe(429)
    expect((await openSseWatch(server, 'r', { token: 'user:alice' })).status).toBe(429)
    expect((await openWsWatch(server, 'r', 'user:alice')).status).toBe(429)
    const refused = await fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=r`, { headers: { accept: 'text/event-stream', authorization: 'Bearer user:alice' } })
    expect(refused.headers.get('retry-after')).toBe('5')
    expect(await refused.json()).toMatchObject({ error: 'TooManyConnections', message: expect.stringMatching(/user/) })

    // Bob is not affected by Alice's connections.
    expect((await openDocSocket(server, { token: 'user:bob' })).status).toBe(101)
    expect((await openSseWatch(server, 'r', { token: 'user:bob' })).status).toBe(200)
    // …and has a cap of his own.
    expect((await openWsWatch(server, 'r', 'user:bob')).status).toBe(429)

    // A closed connection gives its slot back.
    aliceWatch.close()
    await until(async () => (await openWsWatch(server, 'r', 'user:alice')).status === 101, 3000, "Alice's watch socket to be accepted after she closed one")
  })

  it('maxConnectionsPerAddress: an address at the cap gets 429; another address connects', async () => {
    const server = await start({ maxConnectionsPerAddress: 2 })
    expect((await openDocSocket(server)).status).toBe(101)
    expect((await openSseWatch(server, 'r')).status).toBe(200)
    expect((await openDocSocket(server)).status).toBe(429)
    expect((await openSseWatch(server, 'r')).status).toBe(429)
    // Linux routes all of 127.0.0.0/8 to loopback: 127.0.0.2 is another client address.
    expect((await openDocSocket(server, { localAddress: '127.0.0.2' })).status).toBe(101)
    expect((await openSseWatch(server, 'r', { localAddress: '127.0.0.2' })).status).toBe(200)
  })

  it('counts IPv6 clients per /64 and IPv4-mapped addresses as IPv4', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'))
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'))
    expect(addressKey('2001:0db8:0001:0002::1')).toBe('2001:db8:1:2::/64')
    expect(addressKey('::1')).toBe('0:0:0:0::/64')
    expect(addressKey('::ffff:10.1.2.3')).toBe('10.1.2.3')
    expect(addressKey('10.1.2.3')).toBe('10.1.2.3')
  })
})
