import * as A from '@automerge/automerge'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { generateDocumentId } from '../../../src/core/docs/documentId.js'
import { decodeCbor } from '../../../src/wire/cbor.js'
import { asAutomergeUrl, closeAll, connect, recordStatuses, repoClient, startRepoServer, until, untilHandle, untilServerHas } from './helpers.js'

afterEach(closeAll)

type Todo = {
  title: string
  items: string[]
}

describe('against a stock automerge-repo sync server', () => {
  it('fetches a document that a Repo client made', async () => {
    const server = await startRepoServer()
    const peer = repoClient(server.url)
    const handle = peer.create<Todo>({ title: 'from repo', items: ['a'] })
    await untilServerHas(server, handle.documentId)

    const connection = connect(server.url)
    const store = connection.open<Todo>(handle.url)
    const doc = await until(() => store.getSnapshot().doc, 'the document')
    expect(doc).toEqual({ title: 'from repo', items: ['a'] })
    expect(store.getSnapshot().status).toBe('ready')
    expect(store.url).toBe(handle.url)
    await until(() => connection.getSnapshot().status === 'live', 'live')
    expect(connection.getSnapshot().serverPeerId).toBe(server.repo.peerId)
  })

  it('creates a document that a Repo client then fetches, and reports it saved on the server', async () => {
    const server = await startRepoServer()
    const connection = connect(server.url)
    const store = connection.create<Todo>({ title: 'from syncline', items: [] })
    store.change((doc) => {
      doc.items.push('first')
    })
    expect(store.getSnapshot().saved.server).toBe(false)
    await store.whenSaved('server')
    expect(store.getSnapshot().saved.server).toBe(true)

    const peer = repoClient(server.url)
    const handle = await peer.find<Todo>(asAutomergeUrl(store.url))
    expect(handle.doc()).toEqual({ title: 'from syncline', items: ['first'] })
  })

  it('converges concurrent edits from both sides', async () => {
    const server = await startRepoServer()
    const peer = repoClient(server.url)
    const handle = peer.create<Todo>({ title: 'shared', items: [] })
    const connection = connect(server.url)
    const store = connection.open<Todo>(handle.url)
    await until(() => store.getSnapshot().doc, 'the document')

    store.change((doc) => {
      doc.items.push('syncline')
    })
    handle.change((doc) => {
      doc.items.push('repo')
    })
    await untilHandle(handle, (doc) => doc.items.length === 2, 'the repo client to get the syncline edit')
    await until(() => store.getSnapshot().doc?.items.length === 2, 'syncline to get the repo edit')
    expect([...store.getSnapshot().doc!.items].sort()).toEqual(['repo', 'syncline'])
    expect([...handle.doc().items]).toEqual([...store.getSnapshot().doc!.items])

    // A burst of local changes in one task goes out together and arrives whole.
    for (let i = 0; i < 20; i++) store.change((doc) => void doc.items.push(`burst ${i}`))
    await untilHandle(handle, (doc) => doc.items.length === 22, 'the burst')
  })

  it('sends each lone edit in one message the stock server applies (earlySend.ts), and is told it is saved', async () => {
    const server = await startRepoServer()
    const peer = repoClient(server.url)
    const handle = peer.create<Todo>({ title: 'shared', items: [] })
    const sent: A.DecodedSyncMessage[] = []
    class KeptWebSocket extends WebSocket {
      override send(data: Uint8Array, ...rest: unknown[]): void {
        const frame = decodeCbor(data) as { type?: string; data?: Uint8Array }
        if (frame.type === 'sync' && frame.data) sent.push(A.decodeSyncMessage(frame.data))
        ;(super.send as (...args: unknown[]) => void)(data, ...rest)
      }
    }
    const connection = connect(server.url, { WebSocket: KeptWebSocket as unknown as typeof globalThis.WebSocket })
    const store = connection.open<Todo>(handle.url)
    await until(() => store.getSnapshot().doc, 'the document')
    await until(() => connection.getSnapshot().status === 'live', 'live')
    for (let i = 0; i < 5; i++) {
      await until(() => store.getSnapshot().saved.server, 'saved on the server')
      sent.length = 0
      store.change((doc) => void doc.items.push(`edit ${i}`))
      // Out before change() returns, with the change in it.
      expect(sent.map((message) => message.changes.length)).toEqual([1])
      await untilHandle(handle, (doc) => doc.items.length === i + 1, `the repo client to get edit ${i}`)
      await until(() => store.getSnapshot().saved.server, 'saved on the server')
      expect(sent.slice(1).every((message) => message.changes.length === 0), `edit ${i} sent once`).toBe(true)
    }
    expect([...handle.doc().items]).toEqual(['edit 0', 'edit 1', 'edit 2', 'edit 3', 'edit 4'])
  })

  it('marks an unknown document unavailable and keeps listening, so it turns ready once someone has it', async () => {
    const server = await startRepoServer()
    const connection = connect(server.url)
    const documentId = generateDocumentId()
    const store = connection.open<Todo>(documentId)
    await until(() => store.getSnapshot().status === 'unavailable', 'unavailable')
    expect(store.getSnapshot().doc).toBeUndefined()
    expect(() => store.change(() => {})).toThrow(expect.objectContaining({ code: 'bad-input' }))
    // The first round of an unknown document is over: the connection is live.
    await until(() => connection.getSnapshot().status === 'live', 'live')

    // A Repo client brings the document under that very id (e.g. restored from a backup).
    const { next: A } = await import('@automerge/automerge')
    const peer = repoClient(server.url)
    const handle = peer.import<Todo>(A.save(A.from<Todo>({ title: 'late', items: [] })), { docId: documentId as never })
    expect(handle.documentId).toBe(documentId)
    const doc = await until(() => store.getSnapshot().doc, 'the document to arrive')
    expect(doc.title).toBe('late')
    expect(store.getSnapshot().status).toBe('ready')
  })

  it('goes connecting → snapshot → live, and holds snapshot until every open document has had its first round', async () => {
    const server = await startRepoServer()
    const peer = repoClient(server.url)
    const big = peer.create<Todo>({ title: 'big', items: Array.from({ length: 2000 }, (_, i) => `item ${i}`) })
    await untilServerHas(server, big.documentId)

    const { createDocConnection } = await import('../../../src/core/docs/docConnection.js')
    const { WebSocketImpl } = await import('./helpers.js')
    const connection = createDocConnection({ url: server.url, WebSocket: WebSocketImpl })
    const statuses = recordStatuses(connection)
    const store = connection.open<Todo>(big.url)
    const missing = connection.open<Todo>(generateDocumentId())
    let docAtLive: unknown = 'not live yet'
    let missingAtLive: string | undefined
    connection.subscribe(() => {
      if (connection.getSnapshot().status === 'live' && docAtLive === 'not live yet') {
        docAtLive = store.getSnapshot().doc
        missingAtLive = missing.getSnapshot().status
      }
    })
    connection.start()
    try {
      await until(() => connection.getSnapshot().status === 'live', 'live')
      expect(statuses).toEqual(['idle', 'connecting', 'snapshot', 'live'])
      // Live means caught up: both first rounds were over by then.
      expect((docAtLive as Todo | undefined)?.items).toHaveLength(2000)
      expect(missingAtLive).toBe('unavailable')
    } finally {
      await connection.close()
    }
    expect(connection.getSnapshot().status).toBe('closed')
  })

  it('with no documents open, goes live right after the handshake', async () => {
    const server = await startRepoServer()
    const connection = connect(server.url)
    const statuses = recordStatuses(connection)
    await until(() => connection.getSnapshot().status === 'live', 'live')
    expect(statuses.slice(-2)).toEqual(['snapshot', 'live'])
  })
})
