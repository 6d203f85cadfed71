import * as A from '@automerge/automerge'
import { Repo } from '@automerge/automerge-repo'
import type { AnyDocumentId } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { Decoder } from 'cbor-x'
import { WebSocket } from 'ws'
import { afterEach, describe, expect, it } from 'vitest'
import { createDocConnection } from '../../../src/core/index.js'
import type { DocConnection } from '../../../src/core/index.js'
import { closeAll, newDocumentId, startDocServer, until } from './helpers.js'

const CHANGES = 3000
const BOUND = 64 * 1024

type Counter = { count: number }

/**
 * The document as the reader first gets it, and CHANGES one-increment changes made to it
 * since, as a busy writer (or another server instance) leaves them. A peer that has nothing
 * gets a whole saved document in one chunk instead: a backlog is what a peer that has the
 * document lacks.
 */
function backlog(): { start: A.Doc<Counter>; source: A.Doc<Counter>; changes: Uint8Array } {
  const start = A.from<Counter>({ count: 0 })
  let doc = A.clone(start)
  for (let i = 1; i <= CHANGES; i++) {
    doc = A.change(doc, (d) => {
      d.count = i
    })
  }
  return { start, source: doc, changes: A.saveSince(doc, A.getHeads(start)) }
}

const decoder = new Decoder({ useRecords: false, mapsAsObjects: true })

/** A `ws` WebSocket that records, for every sync frame it receives, its size and how many changes it carries. */
function countingWebSocket(frames: Array<{ bytes: number; changes: number }>): typeof WebSocket {
  return class CountingWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args)
      this.on('message', (data: Buffer | ArrayBuffer) => {
        const bytes = new Uint8Array(data as ArrayBuffer)
        const message = decoder.decode(bytes) as { type?: string; data?: Uint8Array }
        if (message.type === 'sync' && message.data) frames.push({ bytes: bytes.byteLength, changes: A.decodeSyncMessage(message.data).changes.length })
      })
    }
  } as typeof WebSocket
}

const connections: DocConnection[] = []
const repos: Repo[] = []

afterEach(async () => {
  await Promise.all([...connections.splice(0).map((connection) => connection.close()), ...repos.splice(0).map((repo) => repo.shutdown())])
  await closeAll()
})

describe('a backlog of changes', () => {
  it('reaches a syncline client as several bounded sync messages, and the document ends complete', async () => {
    const { start, source, changes } = backlog()
    const server = await startDocServer({ maxSyncMessageBytes: BOUND })
    const documentId = newDocumentId()
    await server.storage.saveDoc(documentId, A.save(start))
    const frames: Array<{ bytes: number; changes: number }> = []
    const connection = createDocConnection({ url: server.url, WebSocket: countingWebSocket(frames) as unknown as typeof globalThis.WebSocket })
    connections.push(connection)
    connection.start()
    const store = connection.open<Counter>(`automerge:${documentId}`)
    await until(() => store.getSnapshot().doc?.count === 0, 10_000, 'the reader to load the document')
    frames.length = 0
    // The way changes that reached another instance arrive: all at once.
    server.service.applyRemoteChanges(documentId, changes)

    const doc = await until(() => (store.getSnapshot().doc?.count === CHANGES ? store.getSnapshot().doc : undefined), 30_000, 'the reader to have every change')
    const carrying = frames.filter((frame) => frame.changes > 0)
    expect(carrying.length).toBeGreaterThan(1)
    // Every change of the backlog (and maybe one the reader had: what the two are known to share lags a little).
    expect(carrying.reduce((sum, frame) => sum + frame.changes, 0)).toBeGreaterThanOrEqual(CHANGES)
    // Each frame: the bound on its changes, plus length prefixes, heads, the bloom filter of the
    // server's changes (~10 bits each: ~4 KiB here) and the CBOR envelope.
    for (const frame of carrying) expect(frame.bytes).toBeLessThan(BOUND + 16 * 1024)
    expect(A.getHeads(doc as A.Doc<Counter>)).toEqual(A.getHeads(source))
    expect(A.toJS(doc as A.Doc<Counter>)).toEqual(A.toJS(source))
    expect(server.errors).toEqual([])
  }, 60_000)

  it('goes in one message by default (the limit is off)', async () => {
    const { start, source, changes } = backlog()
    const server = await startDocServer()
    const documentId = newDocumentId()
    await server.storage.saveDoc(documentId, A.save(start))
    const frames: Array<{ bytes: number; changes: number }> = []
    const connection = createDocConnection({ url: server.url, WebSocket: countingWebSocket(frames) as unknown as typeof globalThis.WebSocket })
    connections.push(connection)
    connection.start()
    const store = connection.open<Counter>(`automerge:${documentId}`)
    await until(() => store.getSnapshot().doc?.count === 0, 10_000, 'the reader to load the document')
    frames.length = 0
    server.service.applyRemoteChanges(documentId, changes)
    const doc = await until(() => (store.getSnapshot().doc?.count === CHANGES ? store.getSnapshot().doc : undefined), 30_000, 'the reader to have every change')
    expect(frames.filter((frame) => frame.changes > 0).length).toBe(1)
    expect(A.getHeads(doc as A.Doc<Counter>)).toEqual(A.getHeads(source))
  }, 60_000)

  it('honours a smaller maxSyncMessageBytes, and a stock automerge-repo client still gets the whole document', async () => {
    const { start, source, changes } = backlog()
    const server = await startDocServer({ maxSyncMessageBytes: 8 * 1024 })
    const documentId = newDocumentId()
    await server.storage.saveDoc(documentId, A.save(start))
    const repo = new Repo({ network: [new WebSocketClientAdapter(server.url)] })
    repos.push(repo)
    const handle = await repo.find<Counter>(documentId as AnyDocumentId)
    await until(() => handle.doc()?.count === 0, 10_000, 'the stock client to load the document')
    server.service.applyRemoteChanges(documentId, changes)
    await until(() => handle.doc()?.count === CHANGES, 30_000, 'the stock client to have every change')
    expect(A.getHeads(handle.doc())).toEqual(A.getHeads(source))
    expect(server.errors).toEqual([])
  }, 60_000)
})
