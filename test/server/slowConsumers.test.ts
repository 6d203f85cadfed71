import type { IncomingMessage } from 'node:http'
import { get } from 'node:http'
import type { Socket } from 'node:net'
import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import type { SyncServer, SyncServerOptions } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { closeAll, docWith, newDocumentId, RawPeer, until } from './docs/helpers.js'

/**
 * Issue 13, item 7: readers that stop reading must not multiply the server's memory. With a
 * budget for all unsent bytes together (`maxSendBufferBytes`), the reader holding the most is
 * dropped, while a peer that reads keeps receiving everything. The slow readers here are real
 * sockets whose client side stops reading (`pause()` on the TCP socket under ws).
 */
const servers: SyncServer[] = []
afterEach(async () => {
  await closeAll()
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

const BUDGET = 1024 * 1024
const COLLECTION = 'com.example.message'

async function start(limits: NonNullable<SyncServerOptions['limits']>): Promise<{ server: SyncServer; errors: unknown[]; disconnected: Set<string> }> {
  const errors: unknown[] = []
  const server = createSyncServer({ port: 0, storage: memoryStorage(), limits, onError: (error) => errors.push(error) })
  servers.push(server)
  const disconnected = new Set<string>()
  server.onClientDisconnect((event) => disconnected.add(event.clientId))
  await server.start()
  return { server, errors, disconnected }
}

/** Stops reading: the kernel buffers fill, then the server's send buffer for this socket grows. */
function stopReading(socket: WebSocket): Socket {
  const tcp = (socket as unknown as { _socket: Socket })._socket
  tcp.pause()
  return tcp
}

const ephemeralCount = (peer: RawPeer): number => peer.messages.filter((message) => message.type === 'ephemeral').length

describe('slow readers', () => {
  it('drops the document peer that stops reading once the send budget is full; a reading peer gets every message', async () => {
    const { server, errors, disconnected } = await start({ maxSendBufferBytes: BUDGET, maxEphemeralBytes: 128 * 1024, ephemeralBytesPerSecond: 0, messagesPerSecond: 0 })
    const ws = server.url.replace('http', 'ws')
    const documentId = newDocumentId()
    const sender = await RawPeer.connect(ws)
    sender.open(documentId, docWith({ title: 'presence' }))
    const reader = await RawPeer.connect(ws)
    const slow = await RawPeer.connect(ws)
    for (const peer of [reader, slow]) {
      peer.open(documentId)
      await peer.waitFor((message) => message.type === 'sync' && message.documentId === documentId)
    }
    const slowTcp = stopReading(slow.socket)

    // 60 KB presence frames, paced by the reading peer: it is never more than 4 behind, so only
    // the slow peer's backlog grows. At most 1,000 frames (60 MB, under the 64 MiB a single peer may
    // buffer, beyond what loopback kernel buffers absorb here) before giving up.
    const frame = new Uint8Array(60_000)
    let sent = 0
    while (!disconnected.has(slow.peerId) && sent < 1000) {
      sender.sendDoc('ephemeral', documentId, { sessionId: 's', count: sent, data: frame })
      sent++
      await until(() => ephemeralCount(reader) >= sent - 4, 5000, `the reading peer to receive ephemeral message ${sent - 4}`)
    }
    expect(disconnected.has(slow.peerId), `the slow peer to be dropped within ${sent} frames`).toBe(true)
    expect(errors.map(String).some((text) => /dropped: too slow/.test(text))).toBe(true)

    // The others are untouched and keep receiving.
    for (let i = 0; i < 20; i++) sender.sendDoc('ephemeral', documentId, { sessionId: 's', count: sent + i, data: frame })
    await until(() => ephemeralCount(reader) === sent + 20, 5000, `the reading peer to receive all ${sent + 20} ephemeral messages`)
    expect(reader.socket.readyState).toBe(WebSocket.OPEN)
    expect(sender.socket.readyState).toBe(WebSocket.OPEN)
    // Reading again, the slow peer finds its connection gone.
    slowTcp.resume()
    const closed = await slow.closed
    expect([1013, 1006]).toContain(closed.code)
  })

  it('drops the record watch socket that stops reading; a reading watcher gets every record', async () => {
    const { server, errors, disconnected } = await start({ maxSendBufferBytes: BUDGET })
    const room = `slow-${Date.now()}`
    const clientIds: string[] = []
    server.onClientConnect((event) => clientIds.push(event.clientId))
    const watch = async (): Promise<{ socket: WebSocket; frames: Array<{ kind: string }> }> => {
      const handshake = await fetch(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=${room}&mode=ws`, { headers: { accept: 'application/json' } })
      const { wsUrl } = (await handshake.json()) as { wsUrl: string }
      const socket = new WebSocket(new URL(wsUrl, server.url.replace('http', 'ws')))
      const frames: Array<{ kind: string }> = []
      socket.on('message', (data) => frames.push(JSON.parse(String(data)) as { kind: string }))
      socket.on('error', () => {})
      await new Promise((resolve) => socket.once('open', resolve))
      return { socket, frames }
    }
    const reader = await watch()
    const slow = await watch()
    const slowId = clientIds[1]!
    stopReading(slow.socket)

    const text = 'x'.repeat(200_000)
    let written = 0
    while (!disconnected.has(slowId) && written < 500) {
      const response = await fetch(`${server.url}/xrpc/${COLLECTION}.putRecord`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ roomUri: room, rkey: `k${written}`, value: { text }, did: 'did:example:alice' }),
      })
      expect(response.status).toBe(200)
      written++
      await until(() => reader.frames.length >= written, 5000, `the reading watcher to receive record ${written}`)
    }
    expect(disconnected.has(slowId), `the slow watcher to be dropped within ${written} records`).toBe(true)
    expect(errors.map(String).some((message) => /Watch socket .* dropped: too slow/.test(message))).toBe(true)
    expect(reader.socket.readyState).toBe(WebSocket.OPEN)
    reader.socket.close()
    slow.socket.terminate()
  })

  it('ends the SSE watch that stops reading; a reading SSE watcher gets every record', async () => {
    const { server, errors, disconnected } = await start({ maxSendBufferBytes: BUDGET })
    const room = `slow-sse-${Date.now()}`
    const clientIds: string[] = []
    server.onClientConnect((event) => clientIds.push(event.clientId))
    const watch = (): Promise<{ response: IncomingMessage; created: () => number }> =>
      new Promise((resolve, reject) => {
        const request = get(`${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=${room}`, { headers: { accept: 'text/event-stream' }, agent: false })
        request.on('error', () => {})
        request.on('response', (response) => {
          let text = ''
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => (text += chunk))
          response.on('error', () => {})
          resolve({ response, created: () => text.split('event: record.created').length - 1 })
        })
        request.on('timeout', reject)
      })
    const reader = await watch()
    const slow = await watch()
    await until(() => clientIds.length === 2, 3000, 'both SSE watchers to connect')
    const slowId = clientIds[1]!
    slow.response.pause()

    const text = 'x'.repeat(200_000)
    let written = 0
    while (!disconnected.has(slowId) && written < 500) {
      const response = await fetch(`${server.url}/xrpc/${COLLECTION}.putRecord`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ roomUri: room, rkey: `k${written}`, value: { text }, did: 'did:example:alice' }),
      })
      expect(response.status).toBe(200)
      written++
      await until(() => reader.created() >= written, 5000, `the reading SSE watcher to receive record ${written}`)
    }
    expect(disconnected.has(slowId), `the slow SSE watcher to be dropped within ${written} records`).toBe(true)
    expect(errors.map(String).some((message) => /SSE watcher .* dropped: too slow/.test(message))).toBe(true)
    expect(reader.response.destroyed).toBe(false)
    reader.response.destroy()
    slow.response.destroy()
  })
})
