import { parseAutomergeUrl, generateAutomergeUrl } from '@automerge/automerge-repo'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { isValidDocumentId, memoryDocStorage } from '../../../src/server/docs/index.js'
import type { SyncMessageEvent } from '../../../src/server/docs/index.js'
import { closeAll, delay, docWith, newDocumentId, RawPeer, startDocServer, stored, until } from './helpers.js'

afterEach(closeAll)

describe('document ids', () => {
  it('accepts every id automerge-repo generates', () => {
    for (let i = 0; i < 200; i++) {
      expect(isValidDocumentId(parseAutomergeUrl(generateAutomergeUrl()).documentId)).toBe(true)
    }
  })

  it('rejects anything that is not bs58check of 16 bytes', () => {
    for (const id of ['', '../x', 'x/../../y', '..', '.', 'a b', '%2e%2e', newDocumentId() + '1', newDocumentId().slice(1)]) {
      expect(isValidDocumentId(id)).toBe(false)
    }
  })
})

describe('close()', () => {
  it('acknowledges a change only once it is stored, and closes every socket with 1001 and a reason', async () => {
    // A long retry delay changes nothing: the first write of a change is never delayed.
    const server = await startDocServer({ saveDebounceMs: 60_000 })
    const documentId = newDocumentId()
    const a = await RawPeer.connect(server.url)
    const b = await RawPeer.connect(server.url, { join: false })
    a.open(documentId, docWith({ unsaved: true }))
    await until(() => a.acknowledged(documentId), 3000, 'the server to acknowledge the change')
    // Acknowledged means on disk: a crash from here on loses nothing.
    expect(await stored(server.storage, documentId)).toEqual({ unsaved: true })

    await server.service.close()
    expect(await stored(server.storage, documentId)).toEqual({ unsaved: true })
    for (const peer of [a, b]) {
      const closed = await peer.closed
      expect(closed.code).toBe(1001)
      expect(closed.reason).not.toBe('')
    }
    await server.service.close() // a second close is harmless
  })

  it('turns away connections that arrive after close', async () => {
    const server = await startDocServer()
    await server.service.close()
    const socket = new WebSocket(server.url)
    const code = await new Promise<number>((resolve) => socket.on('close', (closeCode) => resolve(closeCode)))
    expect(code).toBe(1001)
  })
})

describe('liveness and events', () => {
  it('drops a peer that stops answering pings', async () => {
    const server = await startDocServer({ heartbeatMs: 40 })
    const silent = new WebSocket(server.url, { autoPong: false })
    const healthy = await RawPeer.connect(server.url)
    const code = await new Promise<number>((resolve) => silent.on('close', (closeCode) => resolve(closeCode)))
    expect(code).toBe(1006)
    await delay(100)
    expect(healthy.socket.readyState).toBe(WebSocket.OPEN)
    expect(server.service.peerCount).toBe(1)
  })

  it('reports joins, leaves and handled sync messages', async () => {
    const events: string[] = []
    const syncs: SyncMessageEvent[] = []
    const server = await startDocServer({
      storage: memoryDocStorage(),
      onPeerJoin: ({ peerId, request }) => events.push(`join ${peerId} ${request.url}`),
      onPeerLeave: ({ peerId }) => events.push(`leave ${peerId}`),
      onSyncMessage: (event) => syncs.push(event),
    })
    const peer = await RawPeer.connect(server.url, { peerId: 'watched' })
    const documentId = newDocumentId()
    peer.open(documentId)
    await peer.waitFor((m) => m.type === 'doc-unavailable')
    peer.close()
    await until(() => events.length === 2, 3000, 'the leave event')
    expect(events).toEqual(['join watched /', 'leave watched'])
    expect(syncs[0]).toMatchObject({ peerId: 'watched', documentId, type: 'request', status: 'unavailable' })
    expect(syncs[0]?.durationMs).toBeGreaterThanOrEqual(0)
  })

  it('survives a throwing event listener', async () => {
    const server = await startDocServer({
      onPeerJoin: () => {
        throw new Error('listener bug')
      },
    })
    const peer = await RawPeer.connect(server.url)
    const documentId = newDocumentId()
    peer.open(documentId, docWith({ fine: true }))
    await until(async () => (await stored(server.storage, documentId))?.fine === true, 3000, 'the document')
    expect(String(server.errors[0])).toMatch(/listener bug/)
  })
})
