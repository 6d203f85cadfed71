import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import type { SyncServer, SyncServerOptions } from '../../src/server/index.js'
import { TicketSigner, createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { StorageProvider } from '../../src/server/index.js'

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

const post = (server: SyncServer, method: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/xrpc/${method}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })

async function expectError(response: Response, status: number, error: string): Promise<void> {
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  expect(await response.json()).toMatchObject({ error, message: expect.any(String) })
}

/** Reads SSE frames until `count` events have arrived. */
async function readEvents(response: Response, count: number): Promise<Array<{ kind: string; data: unknown }>> {
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let text = ''
  const events: Array<{ kind: string; data: unknown }> = []
  while (events.length < count) {
    const { value, done } = await reader.read()
    if (done) break
    text += decoder.decode(value, { stream: true })
    let end: number
    while ((end = text.indexOf('\n\n')) !== -1) {
      const frame = text.slice(0, end)
      text = text.slice(end + 2)
      const kind = /^event: (.*)$/m.exec(frame)?.[1]
      const data = /^data: (.*)$/m.exec(frame)?.[1]
      if (kind && data) events.push({ kind, data: JSON.parse(data) })
    }
  }
  await reader.cancel()
  return events
}

describe('reference server HTTP API', () => {
  it('puts, lists (newest first, paginated) and deletes records', async () => {
    const server = await start()
    const keys: string[] = []
    for (const text of ['a', 'b', 'c']) {
      const response = await post(server, `${COLLECTION}.putRecord`, { roomUri: 'r', value: { text } })
      expect(response.status).toBe(200)
      const body = (await response.json()) as { uri: string; rkey: string; cid: string }
      expect(body.uri).toBe(`at://did:web:anonymous/${COLLECTION}/${body.rkey}`)
      expect(body.rkey).toMatch(/^[2-7a-z]{13}$/)
      keys.push(body.rkey)
    }
    expect([...keys].sort()).toEqual(keys) // TIDs sort by creation time
    const page1 = (await (await fetch(`${server.url}/xrpc/${COLLECTION}.listRecords?roomUri=r&limit=2`)).json()) as { records: Array<{ value: { text: string } }>; cursor: string }
    expect(page1.records.map((r) => r.value.text)).toEqual(['c', 'b'])
    const page2 = (await (await fetch(`${server.url}/xrpc/${COLLECTION}.listRecords?roomUri=r&limit=2&cursor=${page1.cursor}`)).json()) as { records: Array<{ value: { text: string } }>; cursor?: string }
    expect(page2.records.map((r) => r.value.text)).toEqual(['a'])
    expect(page2.cursor).toBeUndefined()
    expect((await post(server, `${COLLECTION}.deleteRecord`, { roomUri: 'r', rkey: keys[0] })).status).toBe(200)
    const after = (await (await fetch(`${server.url}/xrpc/${COLLECTION}.listRecords?roomUri=r`)).json()) as { records: unknown[] }
    expect(after.records).toHaveLength(2)
  })

  it('answers bad requests with clear JSON errors', async () => {
    const server = await start({ maxBodyBytes: 1024 })
    await expectError(await post(server, 'not-an-nsid.putRecord', { roomUri: 'r', value: {} }), 400, 'InvalidCollection')
    await expectError(await fetch(`${server.url}/xrpc/com..bad.watchRecords?roomUri=r`), 400, 'InvalidCollection')
    await expectError(await post(server, `${COLLECTION}.putRecord`, { roomUri: 'r', value: { text: 'x'.repeat(2000) } }), 413, 'PayloadTooLarge')
    await expectError(await post(server, `${COLLECTION}.putRecord`, { value: {} }), 400, 'InvalidRequest')
    await expectError(await post(server, `${COLLECTION}.putRecord`, { roomUri: 'r', value: 'text' }), 400, 'InvalidRecord')
    await expectError(await post(server, `${COLLECTION}.putRecord`, { roomUri: 'r', rkey: '../x', value: {} }), 400, 'InvalidRequest')
    await expectError(await post(server, `${COLLECTION}.putRecord`, { roomUri: 'r', did: 'alice', value: {} }), 400, 'InvalidRequest')
    await expectError(
      await fetch(`${server.url}/xrpc/${COLLECTION}.putRecord`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' }),
      400,
      'InvalidRequest',
    )
    await expectError(await fetch(`${server.url}/xrpc/${COLLECTION}.putRecord`), 405, 'MethodNotAllowed')
    await expectError(await fetch(`${server.url}/xrpc/${COLLECTION}.frobnicate?roomUri=r`), 404, 'MethodNotImplemented')
    await expectError(await fetch(`${server.url}/elsewhere`), 404, 'NotFound')
    await expectError(await fetch(`${server.url}/xrpc/${COLLECTION}.listRecords?roomUri=r&cursor=garbage`), 400, 'InvalidCursor')
    // The server is still fine afterwards.
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  })

  it('refuses a bad, expired or misdirected ticket on both watch transports', async () => {
    const secret = Buffer.alloc(32, 1)
    const server = await start({ ticketSecret: secret })
    const minted = (await (await post(server, 'realtime.ticket', { collection: COLLECTION, roomUri: 'r' })).json()) as { ticket: string; expiresAt: number }
    expect(minted.expiresAt).toBeGreaterThan(Date.now())
    const watch = (query: string) => fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?${query}`, { headers: { accept: 'text/event-stream' } })

    const ok = await watch(`roomUri=r&ticket=${minted.ticket}`)
    expect(ok.status).toBe(200)
    await ok.body?.cancel()
    await expectError(await watch(`roomUri=r&ticket=${minted.ticket.slice(0, -2)}xx`), 401, 'InvalidTicket')
    await expectError(await watch(`roomUri=other&ticket=${minted.ticket}`), 403, 'TicketScope')
    const expired = new TicketSigner(secret, () => Date.now() - 10_000).mint({ topics: [`watchRecords:${COLLECTION}:r`], did: 'did:example:alice' }, 1_000)
    await expectError(await watch(`roomUri=r&ticket=${expired.ticket}`), 401, 'ExpiredTicket')
    await expectError(await watch(`roomUri=r&mode=ws&ticket=${expired.ticket}`), 401, 'ExpiredTicket')

    // The socket step refuses a forged ticket at the upgrade.
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${server.url.replace('http', 'ws')}/xrpc/${COLLECTION}.watchRecords?roomUri=r&ticket=forged.ticket`)
      ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)))
      ws.on('open', () => resolve('opened'))
      ws.on('error', () => {})
    })
    expect(refused).toBe('401')
  })

  it('holds live events back until the snapshot has ended', async () => {
    let releaseList!: () => void
    const listGate = new Promise<void>((resolve) => (releaseList = resolve))
    const inner = memoryStorage()
    const storage: StorageProvider = { ...inner, listRecords: async (scope) => (await listGate, inner.listRecords(scope)) }
    const server = await start({ storage })
    await post(server, `${COLLECTION}.putRecord`, { roomUri: 'r', rkey: 'old', value: { text: 'old' } })
    const response = await fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=r`)
    const events = readEvents(response, 5)
    // Written while the snapshot is still being read.
    await new Promise((resolve) => setTimeout(resolve, 50))
    await post(server, `${COLLECTION}.putRecord`, { roomUri: 'r', rkey: 'new', value: { text: 'new' } })
    releaseList()
    const kinds = (await events).map((event) => `${event.kind}${(event.data as { record?: { rkey: string } }).record ? `:${(event.data as { record: { rkey: string } }).record.rkey}` : ''}`)
    expect(kinds.slice(0, 1)).toEqual(['snapshot.start'])
    expect(kinds.indexOf('snapshot.end')).toBeGreaterThan(0)
    expect(kinds.at(-1)).toBe('record.created:new')
    expect(kinds.indexOf('record.created:new')).toBeGreaterThan(kinds.indexOf('snapshot.end'))
  })

  it('replays events between the WS handshake and the socket, and tells a stale one to resnapshot', async () => {
    const server = await start()
    const handshake = (await (await fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=r&mode=ws`)).json()) as { wsUrl: string; sinceTs: number; snapshot: { records: unknown[] } }
    expect(handshake.snapshot.records).toEqual([])
    await post(server, `${COLLECTION}.putRecord`, { roomUri: 'r', rkey: 'between', value: { text: 'between' } })
    const frames: Array<{ kind: string; data: { record?: { rkey: string } } }> = []
    const ws = new WebSocket(new URL(handshake.wsUrl, server.url.replace('http', 'ws')))
    await new Promise<void>((resolve) => ws.on('message', (data) => (frames.push(JSON.parse(String(data))), resolve())))
    expect(frames[0]).toMatchObject({ kind: 'record.created', data: { record: { rkey: 'between' } } })
    ws.close()
  })

  it('runs the authenticate and authorize hooks', async () => {
    const server = await start({
      authenticate: ({ token }) => (token === 'alice-token' ? { userId: 'did:example:alice', context: { role: 'member' } } : undefined),
      authorize: ({ type, room, context }) => room !== 'private' || (type === 'read' && (context as { role?: string }).role === 'admin'),
    })
    const auth = { authorization: 'Bearer alice-token' }
    await expectError(await post(server, `${COLLECTION}.putRecord`, { roomUri: 'r', value: {} }), 401, 'AuthRequired')
    await expectError(await post(server, `${COLLECTION}.putRecord`, { roomUri: 'r', value: {} }, { authorization: 'Bearer wrong' }), 401, 'InvalidToken')
    await expectError(await post(server, `${COLLECTION}.putRecord`, { roomUri: 'private', value: {} }, auth), 403, 'Forbidden')
    const put = await post(server, `${COLLECTION}.putRecord`, { roomUri: 'r', value: { text: 'hi' }, did: 'did:example:mallory' }, auth)
    // The authenticated user writes as themselves, whatever the body claims.
    expect(((await put.json()) as { uri: string }).uri).toMatch(/^at:\/\/did:example:alice\//)
    await expectError(await post(server, 'realtime.ticket', { collection: COLLECTION, roomUri: 'r' }), 401, 'AuthRequired')
    const { ticket } = (await (await post(server, 'realtime.ticket', { collection: COLLECTION, roomUri: 'r' }, auth)).json()) as { ticket: string }
    const watched = await fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=r&ticket=${ticket}`)
    expect(watched.status).toBe(200)
    // snapshot.start names the room; `actor` would name an author being watched, not the caller.
    expect((await readEvents(watched, 1))[0]).toEqual({ kind: 'snapshot.start', data: { collection: COLLECTION, spaceUri: 'r' } })
  })
})

describe('server events', () => {
  it('reports connects, disconnects and one wide event per operation, surviving a throwing handler', async () => {
    const errors: unknown[] = []
    const server = await start({ onError: (error) => errors.push(error) })
    const connects: unknown[] = []
    const disconnects: unknown[] = []
    const requests: Array<Record<string, unknown>> = []
    server.onClientConnect(() => {
      throw new Error('a buggy logger')
    })
    server.onClientConnect((event) => connects.push(event))
    server.onClientDisconnect((event) => disconnects.push(event))
    const stop = server.onSyncRequest((event) => requests.push(event as unknown as Record<string, unknown>))

    await post(server, `${COLLECTION}.putRecord`, { roomUri: 'r', value: { text: 'hi' }, did: 'did:example:alice' })
    await post(server, `${COLLECTION}.putRecord`, { roomUri: 'r', value: 'not an object' })
    const watch = await fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=r&devDid=did:example:bob`)
    await readEvents(watch, 3)
    await expect.poll(() => disconnects.length).toBe(1)

    const handshake = (await (await fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=r&mode=ws`)).json()) as { wsUrl: string }
    const ws = new WebSocket(new URL(handshake.wsUrl, server.url.replace('http', 'ws')))
    await new Promise((resolve) => ws.on('open', resolve))
    ws.close()
    await expect.poll(() => disconnects.length).toBe(2)
    stop()
    await fetch(`${server.url}/xrpc/${COLLECTION}.listRecords?roomUri=r`)

    expect(connects).toEqual([
      { userId: 'did:example:bob', clientId: expect.any(String), transport: 'sse', remoteAddress: expect.any(String) },
      { userId: 'did:web:anonymous', clientId: expect.any(String), transport: 'ws', remoteAddress: expect.any(String) },
    ])
    expect(disconnects).toEqual([
      { userId: 'did:example:bob', clientId: (connects[0] as { clientId: string }).clientId, transport: 'sse', reason: 'client closed' },
      { userId: 'did:web:anonymous', clientId: (connects[1] as { clientId: string }).clientId, transport: 'ws', reason: 'closed with code 1005' },
    ])
    expect(requests.map((event) => [event.type, event.status, event.userId])).toEqual([
      ['putRecord', 'ok', 'did:example:alice'],
      ['putRecord', 'bad-request', 'did:web:anonymous'],
      ['watchRecords', 'ok', 'did:example:bob'],
      ['watchRecords', 'ok', 'did:web:anonymous'],
      ['watchRecords.socket', 'ok', 'did:web:anonymous'],
    ])
    expect(requests[0]).toMatchObject({ collection: COLLECTION, room: 'r', httpStatus: 200, durationMs: expect.any(Number), bytes: expect.any(Number) })
    expect(requests[0]!.bytes).toBeGreaterThan(0)
    expect(errors).toHaveLength(2)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  })
})
