import * as A from '@automerge/automerge'
import { Encoder } from 'cbor-x'
import { afterEach, describe, expect, it } from 'vitest'
import type { Message } from './helpers.js'
import type { ServerMessage } from '../../../src/server/docs/protocol.js'
import type { PeerLink } from '../../../src/server/docs/syncedDocument.js'
import { closeAll, delay, docWith, newDocumentId, RawPeer, startDocServer, syncedDocumentForTest, until } from './helpers.js'

afterEach(closeAll)

const cbor = new Encoder({ tagUint8Array: false, useRecords: false })

/** Two raw peers that have both finished a sync round on one document. */
async function twoPeersOnOneDoc(url: string) {
  const documentId = newDocumentId()
  const a = await RawPeer.connect(url)
  const b = await RawPeer.connect(url)
  a.open(documentId, docWith({ n: 0 }))
  await a.waitFor((m) => m.type === 'sync')
  b.open(documentId)
  await until(() => b.doc(documentId)?.n === 0, 3000, 'B to load the document')
  await delay(20) // let the last acknowledgements settle
  return { documentId, a, b }
}

describe('relay', () => {
  it('sends a change on to the other peer in the turn it arrives, without a throttle', () => {
    // automerge-repo's DocSynchronizer waits up to 100 ms before it relays; we must not. Said
    // structurally, not with a clock: B's message is sent before receiveSync returns.
    const base = docWith({ n: 0 })
    const document = syncedDocumentForTest(A.clone(base), { saveDebounceMs: 60_000 })
    const sent: Record<string, ServerMessage[]> = { a: [], b: [] }
    const link = (peerId: 'a' | 'b'): PeerLink => ({ peerId, send: (message) => void sent[peerId]!.push(message), sendError: () => {} })
    const [a, b] = [link('a'), link('b')]
    document.attach(a)
    document.attach(b)
    // Both peers sync up first (B has the document too).
    let docB = A.clone(base)
    let syncB = A.initSyncState()
    const fromB = (): void => {
      let data: Uint8Array | null
      ;[syncB, data] = A.generateSyncMessage(docB, syncB)
      if (data) document.receiveSync(b, { type: 'sync', senderId: 'b', documentId: document.documentId, data })
    }
    fromB()
    for (const message of sent.b!.splice(0)) if (message.type === 'sync') [docB, syncB] = A.receiveSyncMessage(docB, syncB, message.data)

    // A (synced up the same way) then makes a change.
    let docA = A.clone(base)
    let syncA = A.initSyncState()
    const talkA = (): void => {
      for (let round = 0; round < 8; round++) {
        let data: Uint8Array | null
        ;[syncA, data] = A.generateSyncMessage(docA, syncA)
        if (!data) return
        document.receiveSync(a, { type: 'sync', senderId: 'a', documentId: document.documentId, data })
        for (const message of sent.a!.splice(0)) if (message.type === 'sync') [docA, syncA] = A.receiveSyncMessage(docA, syncA, message.data)
      }
    }
    talkA()
    docA = A.change(docA, (doc) => {
      doc.n = 1
    })
    const [, change] = A.generateSyncMessage(docA, syncA)
    expect(sent.b).toEqual([])
    document.receiveSync(a, { type: 'sync', senderId: 'a', documentId: document.documentId, data: change! })
    // Nothing has been awaited since A's message arrived: the relay already went out.
    const relayed = sent.b!.filter((message) => message.type === 'sync')
    expect(relayed.length).toBeGreaterThan(0)
    for (const message of relayed) if (message.type === 'sync') [docB, syncB] = A.receiveSyncMessage(docB, syncB, message.data)
    expect((A.toJS(docB) as { n: number }).n).toBe(1)
  })

  it('answers doc-unavailable for an unknown document and sends it once it appears', async () => {
    const server = await startDocServer()
    const documentId = newDocumentId()
    const waiting = await RawPeer.connect(server.url)
    waiting.open(documentId)
    const unavailable = await waiting.waitFor((m) => m.type === 'doc-unavailable')
    expect(unavailable).toMatchObject({ documentId, targetId: waiting.peerId, senderId: waiting.serverPeerId })

    const author = await RawPeer.connect(server.url)
    author.open(documentId, docWith({ title: 'now it exists' }))
    await until(() => waiting.doc(documentId)?.title === 'now it exists', 3000, 'the waiting peer to get the document')
    // Nothing was stored for the empty document, only the real one.
    await until(async () => (await server.storage.loadDoc(documentId)) !== undefined, 3000, 'a save')
  })

  it('does not store or create anything for a request alone', async () => {
    const server = await startDocServer()
    const documentId = newDocumentId()
    const peer = await RawPeer.connect(server.url)
    peer.open(documentId)
    await peer.waitFor((m) => m.type === 'doc-unavailable')
    await server.service.close()
    expect(await server.storage.loadDoc(documentId)).toBeUndefined()
  })

  it('relays ephemeral messages to subscribed peers only, keeping the original senderId', async () => {
    const server = await startDocServer()
    const { documentId, a, b } = await twoPeersOnOneDoc(server.url)
    const c = await RawPeer.connect(server.url)
    c.open(documentId)
    await until(() => c.doc(documentId)?.n === 0, 3000, 'C to load the document')
    const bystander = await RawPeer.connect(server.url) // joined, but never asked for the document

    const data = cbor.encode({ cursor: 3 })
    a.sendDoc('ephemeral', documentId, { sessionId: 'session-a', count: 1, data })
    const atB = await b.waitFor((m) => m.type === 'ephemeral')
    const atC = await c.waitFor((m) => m.type === 'ephemeral')
    for (const [message, target] of [[atB, b], [atC, c]] as const) {
      expect(message).toMatchObject({ senderId: a.peerId, targetId: target.peerId, documentId, sessionId: 'session-a', count: 1 })
      expect(new Uint8Array(message.data as Uint8Array)).toEqual(new Uint8Array(data))
    }
    await delay(30)
    expect(a.messages.some((m) => m.type === 'ephemeral')).toBe(false)
    expect(bystander.messages.some((m) => m.type === 'ephemeral')).toBe(false)
  })

  it('gives a returning peer id with a fresh state the whole document', async () => {
    const server = await startDocServer()
    const { documentId, a, b } = await twoPeersOnOneDoc(server.url)
    b.close()
    await b.closed
    a.change(documentId, (doc) => {
      doc.n = 1
    })
    await until(() => server.service.peerCount === 1, 3000, 'the server to see B leave')

    // Same peer id, empty document: only a server that dropped B's old state sends everything.
    const again = await RawPeer.connect(server.url, { peerId: b.peerId })
    again.open(documentId)
    await until(() => again.doc(documentId)?.n === 1, 3000, 'the returning peer to get the whole document')
  })

  it('starts over when a connection joins again', async () => {
    const server = await startDocServer()
    const { documentId, b } = await twoPeersOnOneDoc(server.url)
    b.send({ type: 'join', senderId: b.peerId, peerMetadata: {}, supportedProtocolVersions: ['1'] })
    await until(() => b.messages.filter((m) => m.type === 'peer').length === 2, 3000, 'a second peer message')
    b.docs.delete(documentId)
    b.open(documentId)
    await until(() => b.doc(documentId)?.n === 0, 3000, 'a full sync after the new join')
  })

  it('closes an older connection when the same peer id joins again', async () => {
    const server = await startDocServer()
    const first = await RawPeer.connect(server.url, { peerId: 'same-peer' })
    await RawPeer.connect(server.url, { peerId: 'same-peer' })
    await first.closed
    expect(server.service.peerCount).toBe(1)
  })

  it('counts joined peers', async () => {
    const server = await startDocServer()
    expect(server.service.peerCount).toBe(0)
    const a = await RawPeer.connect(server.url)
    await RawPeer.connect(server.url, { join: false })
    await RawPeer.connect(server.url)
    expect(server.service.peerCount).toBe(2)
    a.close()
    await until(() => server.service.peerCount === 1, 3000, 'peerCount 1')
  })

  it('serves a large document in sync messages', async () => {
    const server = await startDocServer()
    const documentId = newDocumentId()
    const a = await RawPeer.connect(server.url)
    a.open(documentId, docWith({ items: Array.from({ length: 2000 }, (_, i) => ({ i, text: `item ${i}` })) }))
    const b = await RawPeer.connect(server.url)
    b.open(documentId)
    await until(() => (b.doc(documentId)?.items as unknown[] | undefined)?.length === 2000, 5000, 'the large document')
    expect(A.getHeads(b.docs.get(documentId)!.doc)).toEqual(a.heads(documentId))
  })

  it('never echoes a change back as a second sync to its author beyond the protocol', async () => {
    const server = await startDocServer()
    const { documentId, a } = await twoPeersOnOneDoc(server.url)
    const before = a.messages.length
    a.change(documentId, (doc) => {
      doc.n = 9
    })
    await delay(50)
    const syncs = a.messages.slice(before).filter((m: Message) => m.type === 'sync')
    // One acknowledgement for one change: the server does not loop.
    expect(syncs.length).toBeGreaterThanOrEqual(1)
    expect(syncs.length).toBeLessThanOrEqual(2)
  })
})
