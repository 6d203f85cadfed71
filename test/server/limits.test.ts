import * as A from '@automerge/automerge'
import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import type { SyncServer, SyncServerOptions } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { docWith, newDocumentId, RawPeer } from './docs/helpers.js'

/** Each limit, exceeded: a clear refusal for the one client, and the server stays up for others. */
const servers: SyncServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

async function start(limits: SyncServerOptions['limits'], extra: SyncServerOptions = {}): Promise<{ server: SyncServer; ws: string }> {
  const server = createSyncServer({ port: 0, storage: memoryStorage(), ...(limits && { limits }), onError: () => {}, ...extra })
  servers.push(server)
  await server.start()
  return { server, ws: server.url.replace('http', 'ws') }
}

/** The server still answers: health, and a fresh document socket that completes its handshake. */
async function expectStillServing(server: SyncServer): Promise<void> {
  expect((await fetch(`${server.url}/health`)).status).toBe(200)
  const peer = await RawPeer.connect(server.url.replace('http', 'ws'))
  expect(peer.serverPeerId).toBeDefined()
  peer.close()
  await peer.closed
}

/** Two joined peers subscribed to one document, so that the server relays between them. */
async function twoPeersOnOneDocument(ws: string): Promise<{ sender: RawPeer; receiver: RawPeer; documentId: string }> {
  const documentId = newDocumentId()
  const sender = await RawPeer.connect(ws)
  sender.open(documentId, docWith({ title: 'presence' }))
  const receiver = await RawPeer.connect(ws)
  receiver.open(documentId)
  await receiver.waitFor((message) => message.type === 'sync' && message.documentId === documentId)
  return { sender, receiver, documentId }
}

function upgradeStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url)
    socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0))
    socket.on('open', () => {
      socket.close()
      resolve(101)
    })
    socket.on('error', (error) => {
      if (!/Unexpected server response/.test(error.message)) reject(error)
    })
  })
}

describe('server limits', () => {
  it('maxConnections: refuses one more socket or watch with 503, and accepts again once one closes', async () => {
    const { server, ws } = await start({ maxConnections: 2 })
    const a = await RawPeer.connect(ws)
    const b = await RawPeer.connect(ws)
    expect(await upgradeStatus(ws)).toBe(503)
    const watch = await fetch(`${server.url}/xrpc/com.example.message.watchRecords?roomUri=r`, { headers: { accept: 'text/event-stream' } })
    expect(watch.status).toBe(503)
    expect(watch.headers.get('retry-after')).toBe('5')
    expect(await watch.json()).toMatchObject({ error: 'TooManyConnections' })
    a.close()
    await a.closed
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(await upgradeStatus(ws)).toBe(101)
    b.close()
    await b.closed
  })

  it('maxDocumentsPerConnection: an error message and close 1008 for the greedy connection only', async () => {
    const { server, ws } = await start({ maxDocumentsPerConnection: 3 })
    const greedy = await RawPeer.connect(ws)
    for (let i = 0; i < 4; i++) greedy.sendDoc('request', newDocumentId(), { data: new Uint8Array([0x42, 0, 0, 0]) })
    const error = await greedy.waitFor((message) => message.type === 'error')
    expect(String(error.message)).toMatch(/at most 3 documents/)
    expect((await greedy.closed).code).toBe(1008)
    await expectStillServing(server)
  })

  it('idleTimeoutMs: closes a socket that sends nothing with 4008', async () => {
    const { server, ws } = await start({ idleTimeoutMs: 150 })
    const quiet = await RawPeer.connect(ws)
    const closed = await quiet.closed
    expect(closed.code).toBe(4008)
    expect(closed.reason).toMatch(/idle/)
    await expectStillServing(server)
  })

  it('joinTimeoutMs: closes a socket that never sends "join" with 4008; a joined peer stays', async () => {
    const { server, ws } = await start({ joinTimeoutMs: 150 })
    const joined = await RawPeer.connect(ws)
    const silent = await RawPeer.connect(ws, { join: false })
    const closed = await silent.closed
    expect(closed.code).toBe(4008)
    expect(closed.reason).toMatch(/no "join" message within 150 ms/)
    expect(joined.socket.readyState).toBe(WebSocket.OPEN)
    joined.close()
    await expectStillServing(server)
  })

  it('messagesPerSecond: a flood gets an error and close 1008; other connections are untouched', async () => {
    const { server, ws } = await start({ messagesPerSecond: 20, messageBurst: 30 })
    const calm = await RawPeer.connect(ws)
    const flood = await RawPeer.connect(ws)
    const documentId = newDocumentId()
    for (let i = 0; i < 100; i++) flood.sendDoc('ephemeral', documentId, { sessionId: 's', count: i, data: new Uint8Array([0xf6]) })
    const error = await flood.waitFor((message) => message.type === 'error')
    expect(String(error.message)).toMatch(/messages per second/)
    expect((await flood.closed).code).toBe(1008)
    expect(calm.socket.readyState).toBe(WebSocket.OPEN)
    calm.close()
    await expectStillServing(server)
  })

  it('maxEphemeralBytes: an oversized presence frame gets an error and is not relayed; the connection stays', async () => {
    const { server, ws } = await start({ maxEphemeralBytes: 4096 })
    const { sender, receiver, documentId } = await twoPeersOnOneDocument(ws)
    sender.sendDoc('ephemeral', documentId, { sessionId: 's', count: 1, data: new Uint8Array(100_000) })
    const error = await sender.waitFor((message) => message.type === 'error')
    expect(String(error.message)).toMatch(/over the limit of 4096 bytes; it was not relayed/)
    sender.sendDoc('ephemeral', documentId, { sessionId: 's', count: 2, data: new Uint8Array(100) })
    const relayed = await receiver.waitFor((message) => message.type === 'ephemeral')
    expect(relayed.count).toBe(2)
    expect(receiver.messages.filter((message) => message.type === 'ephemeral')).toHaveLength(1)
    expect(sender.socket.readyState).toBe(WebSocket.OPEN)
    await expectStillServing(server)
  })

  it('ephemeralBytesPerSecond: a presence flood gets an error and close 1008; the receiver is untouched', async () => {
    const { server, ws } = await start({ ephemeralBytesPerSecond: 8192, maxEphemeralBytes: 2048 })
    const { sender, receiver, documentId } = await twoPeersOnOneDocument(ws)
    for (let i = 0; i < 20; i++) sender.sendDoc('ephemeral', documentId, { sessionId: 's', count: i, data: new Uint8Array(1500) })
    const error = await sender.waitFor((message) => message.type === 'error')
    expect(String(error.message)).toMatch(/over 8192 bytes per second/)
    expect((await sender.closed).code).toBe(1008)
    expect(receiver.messages.filter((message) => message.type === 'ephemeral').length).toBeLessThan(20)
    expect(receiver.socket.readyState).toBe(WebSocket.OPEN)
    await expectStillServing(server)
  })

  it('requestsPerSecond: HTTP 429 with Retry-After past the burst, per address', async () => {
    const { server } = await start({ requestsPerSecond: 5, requestBurst: 5 })
    const statuses: number[] = []
    for (let i = 0; i < 10; i++) {
      const response = await fetch(`${server.url}/xrpc/com.example.message.listRecords?roomUri=r`)
      statuses.push(response.status)
      if (response.status === 429) expect(response.headers.get('retry-after')).toBe('1')
      await response.arrayBuffer()
    }
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(5)
    expect(statuses).toContain(429)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  })

  it('maxDocumentBytes: a change that would grow a document past it gets an error and is not stored', async () => {
    const { server, ws } = await start({ maxDocumentBytes: 256 * 1024 })
    const documentId = newDocumentId()
    const author = await RawPeer.connect(ws)
    // 100,000 characters: a change of about 100 KB that Automerge holds as 100,000 operations.
    author.open(documentId, A.from({ body: 'x'.repeat(100_000) }))
    const error = await author.waitFor((message) => message.type === 'error')
    expect(String(error.message)).toMatch(/limit of 262144 bytes/)
    await expectStillServing(server)
    const reader = await RawPeer.connect(ws)
    reader.open(documentId)
    await reader.waitFor((message) => message.type === 'doc-unavailable')
  })

  it('maxRecordDepth: a putRecord value nested 6,000 deep is a 400 (it was a 500), and the limit counts levels exactly', async () => {
    // Bodies are written as text: a 6,000-deep value would overflow the test's own JSON.stringify.
    const put = (server: SyncServer, rkey: string, value: unknown) =>
      fetch(`${server.url}/xrpc/com.example.message.putRecord`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"roomUri":"r","rkey":"${rkey}","did":"did:example:alice","value":${typeof value === 'string' ? value : JSON.stringify(value)}}`,
      })
    const nested = (levels: number): string => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1)
    const { server: byDefault } = await start(undefined)
    const deep = await put(byDefault, 'deep', nested(6000))
    expect(deep.status).toBe(400)
    expect(await deep.json()).toMatchObject({ error: 'InvalidRecord', message: expect.stringMatching(/deeper than 64/) })
    expect((await put(byDefault, 'at-limit', nested(64))).status).toBe(200)
    const { server } = await start({ maxRecordDepth: 3 })
    expect((await put(server, 'three', { a: [{}] })).status).toBe(200)
    expect((await put(server, 'four', { a: [{ b: [] }] })).status).toBe(400)
    const list = (await (await fetch(`${server.url}/xrpc/com.example.message.listRecords?roomUri=r`)).json()) as { records: Array<{ rkey: string }> }
    expect(list.records.map((record) => record.rkey)).toEqual(['three'])
    await expectStillServing(server)
  })

  it('maxMessageBytes and maxBodyBytes: close 1009 for an oversized frame, 413 for an oversized body', async () => {
    const { server, ws } = await start({}, { maxMessageBytes: 1024, maxBodyBytes: 1024 })
    const big = await RawPeer.connect(ws)
    big.sendDoc('sync', newDocumentId(), { data: new Uint8Array(4096) })
    expect((await big.closed).code).toBe(1009)
    const response = await fetch(`${server.url}/xrpc/com.example.message.putRecord`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ roomUri: 'r', value: { text: 'x'.repeat(4096) }, did: 'did:example:alice' }),
    })
    expect(response.status).toBe(413)
    await expectStillServing(server)
  })
})
