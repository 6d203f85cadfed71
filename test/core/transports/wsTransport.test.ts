import type { IncomingMessage, ServerResponse } from 'node:http'
import { WebSocket } from 'ws'
import type { WebSocket as WsSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { wsTransport } from '../../../src/core/records/wsTransport.js'
import { COLLECTION, WATCH_PATH, closeAll, delay, rawServer, record, recordingSink, socketServer } from './helpers.js'
import type { RawServer } from './helpers.js'

afterEach(closeAll)

const WebSocketImpl = WebSocket as unknown as typeof globalThis.WebSocket

const handshake = (overrides: Record<string, unknown> = {}) => ({
  transport: 'ws',
  snapshot: { records: [record('r1', 'one'), record('r2', 'two')], cursor: 'page-2' },
  ticket: 'ws-ticket',
  ticketTtlMs: 60_000,
  sinceTs: 1_700_000_000_000,
  wsUrl: `/xrpc/${COLLECTION}.watchRecords/socket`,
  ...overrides,
})

const json = (body: unknown, status = 200) => (_request: IncomingMessage, response: ServerResponse): void => {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(typeof body === 'string' ? body : JSON.stringify(body))
}

const send = (socket: WsSocket, kind: string, data: unknown): void => socket.send(JSON.stringify({ kind, data }))

async function connect(
  handler: Parameters<typeof rawServer>[0],
  onSocket: (socket: WsSocket, request: IncomingMessage) => void = () => {},
  options: { ticket?: string; refuse?: (request: IncomingMessage) => number | undefined; WebSocket?: typeof globalThis.WebSocket | undefined } = {},
) {
  const server: RawServer = await rawServer(handler)
  const sockets = socketServer(server, onSocket, options.refuse)
  const recorder = recordingSink()
  const abort = new AbortController()
  const handle = wsTransport({
    url: server.url + WATCH_PATH,
    collection: COLLECTION,
    ticket: options.ticket,
    fetch: globalThis.fetch,
    WebSocket: 'WebSocket' in options ? options.WebSocket : WebSocketImpl,
    signal: abort.signal,
    sink: recorder.sink,
  })
  return { server, handle, abort, upgrades: sockets.upgrades, wss: sockets.wss, ...recorder }
}

describe('wsTransport', () => {
  it('applies the handshake snapshot, goes live when the socket opens, then relays live frames', async () => {
    const t = await connect(json(handshake()), (socket) => {
      send(socket, 'record.created', { record: record('r3', 'three') })
      send(socket, 'record.deleted', { uri: record('r1', '').uri, did: 'did:example:a', rkey: 'r1' })
    })
    await t.until(() => t.kinds().includes('record.deleted'))
    expect(t.trace()).toEqual([
      'opened',
      'events(snapshot.start,snapshot.record,snapshot.record)',
      'events(snapshot.end)',
      'events(record.created)',
      'events(record.deleted)',
    ])
    expect(t.events()[1]).toEqual({ kind: 'snapshot.record', data: { record: record('r1', 'one') } })
    expect(t.events()[3]).toEqual({ kind: 'snapshot.end', data: { cursor: 'page-2' } })
  })

  it('asks for mode=ws with the ticket, and opens wsUrl (relative, http→ws) with the handshake ticket', async () => {
    const t = await connect(json(handshake()), () => {}, { ticket: 'first-ticket' })
    await t.until(() => t.kinds().includes('snapshot.end'))
    const request = t.server.requests[0]!
    expect(request.headers.accept).toBe('application/json')
    const url = new URL(request.url!, 'http://x')
    expect(url.searchParams.get('mode')).toBe('ws')
    expect(url.searchParams.get('ticket')).toBe('first-ticket')
    expect(url.searchParams.get('roomUri')).toBe('at://did:example:owner/room/1')
    expect(t.upgrades[0]!.url).toBe(`/xrpc/${COLLECTION}.watchRecords/socket?ticket=ws-ticket`)
  })

  it('keeps a ticket the server already put into wsUrl', async () => {
    const t = await connect(json(handshake({ wsUrl: '/socket?ticket=own&x=1' })))
    await t.until(() => t.kinds().includes('snapshot.end'))
    expect(t.upgrades[0]!.url).toBe('/socket?ticket=own&x=1')
  })

  it('skips bad snapshot records and bad frames as ignored(protocol) and keeps the socket', async () => {
    const bad = handshake({ snapshot: { records: [record('r1', 'one'), { value: { text: 'no keys' } }, record('r2', 'two')] } })
    const t = await connect(json(bad), (socket) => {
      socket.send('{"kind": "record.created", oops')
      send(socket, 'record.exploded', {})
      socket.send(Buffer.from(JSON.stringify({ kind: 'record.created', data: { record: record('r3', 'binary ok') } })))
      send(socket, 'record.created', { record: record('r4', 'after') })
    })
    await t.until(() => t.events().some((event) => event.kind === 'record.created' && event.data.record.rkey === 'r4'))
    expect(t.trace()).toEqual([
      'opened',
      'events(snapshot.start,snapshot.record)',
      'ignored',
      'events(snapshot.record)',
      'events(snapshot.end)',
      'ignored',
      'ignored',
      'events(record.created)',
      'events(record.created)',
    ])
    expect(t.ignored().map((error) => error.code)).toEqual(['protocol', 'protocol', 'protocol'])
    expect(t.closed()).toEqual([])
  })

  it.each([
    [4401, 'ticket expired', 'unauthorized'],
    [1008, 'unauthorized', 'unauthorized'],
    [4403, 'not a member', 'forbidden'],
    [4409, 'resnapshot', 'network'],
    [1011, 'server error', 'network'],
    [1000, '', 'network'],
  ])('maps a server close with code %i (%s) to closed(%s)', async (code, reason, expected) => {
    const t = await connect(json(handshake()), (socket) => setTimeout(() => socket.close(code, reason), 5))
    await t.until(() => t.closed().length > 0)
    expect(t.trace()).toEqual(['opened', 'events(snapshot.start,snapshot.record,snapshot.record)', 'events(snapshot.end)', 'closed'])
    expect(t.closed()[0]!.code).toBe(expected)
    expect(t.closed()[0]!.message).toContain(String(code))
  })

  it('reports a socket dropped without a close frame as closed(network)', async () => {
    const t = await connect(json(handshake()), (socket) => setTimeout(() => socket.terminate(), 5))
    await t.until(() => t.closed().length > 0)
    expect(t.closed()[0]!.code).toBe('network')
  })

  it.each([
    ['a body that is not JSON', '<html>502</html>'],
    ['JSON of another transport', JSON.stringify(handshake({ transport: 'sse' }))],
    ['a handshake without wsUrl', JSON.stringify(handshake({ wsUrl: undefined }))],
    ['a snapshot without records', JSON.stringify(handshake({ snapshot: { cursor: null } }))],
    ['a wsUrl with a strange scheme', JSON.stringify(handshake({ wsUrl: 'ftp://host/x' }))],
  ])('answers %s with closed(protocol) and opens no socket', async (_name, body) => {
    const t = await connect(json(body))
    await t.until(() => t.closed().length > 0)
    expect(t.trace()).toEqual(['closed'])
    expect(t.closed()[0]!.code).toBe('protocol')
    expect(t.upgrades).toHaveLength(0)
  })

  it.each([
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [502, 'network'],
  ])('maps a handshake answered with HTTP %i to closed(%s)', async (status, code) => {
    const t = await connect(json({ error: 'Nope' }, status))
    await t.until(() => t.closed().length > 0)
    expect(t.closed()[0]).toMatchObject({ code, status })
  })

  it('maps an upgrade refused with HTTP 401 to closed(unauthorized)', async () => {
    const t = await connect(json(handshake()), () => {}, { refuse: () => 401 })
    await t.until(() => t.closed().length > 0)
    expect(t.trace()).toEqual(['opened', 'events(snapshot.start,snapshot.record,snapshot.record)', 'closed'])
    expect(t.closed()[0]).toMatchObject({ code: 'unauthorized', status: 401 })
  })

  it('makes no sink calls after close() and closes the socket', async () => {
    let serverSide: WsSocket | undefined
    const t = await connect(json(handshake()), (socket) => {
      serverSide = socket
      const timer = setInterval(() => send(socket, 'record.created', { record: record('r9', 'tick') }), 5)
      socket.on('close', () => clearInterval(timer))
    })
    await t.until(() => t.kinds().includes('record.created'))
    const socketClosed = new Promise((resolve) => serverSide!.on('close', resolve))
    t.handle.close()
    const count = t.calls.length
    await socketClosed
    await delay(20)
    expect(t.calls.length).toBe(count)
  })

  it('makes no sink calls when aborted while the socket is still connecting', async () => {
    const t = await connect(json(handshake()))
    await t.until(() => t.kinds().includes('snapshot.record'))
    t.abort.abort()
    const count = t.calls.length
    await delay(40)
    expect(t.calls.length).toBe(count)
    expect(t.kinds()).not.toContain('snapshot.end')
  })

  it.skipIf(typeof globalThis.WebSocket !== 'undefined')('explains a missing WebSocket implementation', async () => {
    const t = await connect(json(handshake()), () => {}, { WebSocket: undefined })
    await t.until(() => t.closed().length > 0)
    expect(t.closed()[0]!.code).toBe('bad-input')
    expect(t.closed()[0]!.message).toContain('WebSocket option')
  })
})
