import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryCache } from '../../../src/core/cache/memoryCache.js'
import { generateDocumentId } from '../../../src/core/docs/documentId.js'
import { SyncError } from '../../../src/core/errors.js'
import type { Frame } from './helpers.js'
import { answerJoin, closeAll, connect, delay, rawServer, recordStatuses, until } from './helpers.js'

afterEach(closeAll)

type Notes = { notes: string[] }

const documentFrames = (frames: Frame[]) => frames.filter((frame) => frame.type === 'sync' || frame.type === 'request')

describe('document connection', () => {
  it('holds snapshot until the server has answered every open document, then goes live', async () => {
    let pending: (() => void) | null = null
    const server = await rawServer((frame, socket, raw) => {
      // Late, so that a wait for the request that passed at once would fail every time.
      if (answerJoin(frame, socket, raw, { lateMs: 50 })) return
      if (frame.type === 'request') {
        pending = () => raw.send(socket, { type: 'doc-unavailable', senderId: 'raw-server', targetId: frame.senderId, documentId: frame.documentId })
      }
    })
    const connection = connect(server.url, { closeTimeoutMs: 10 })
    const statuses = recordStatuses(connection)
    const store = connection.open<Notes>(generateDocumentId())
    await until(() => pending !== null, 'the request')
    await delay(50)
    expect(connection.getSnapshot().status).toBe('snapshot')
    expect(store.getSnapshot().status).toBe('loading')
    pending!()
    await until(() => connection.getSnapshot().status === 'live', 'live')
    expect(statuses).toEqual(['connecting', 'snapshot', 'live'])
    expect(store.getSnapshot().status).toBe('unavailable')
  })

  it('sends request (never sync) for a document it does not have, with the data of an empty sync', async () => {
    const server = await rawServer((frame, socket, raw) => void answerJoin(frame, socket, raw))
    const connection = connect(server.url, { closeTimeoutMs: 10 })
    const store = connection.open<Notes>(generateDocumentId())
    const [request] = await until(() => {
      const frames = documentFrames(server.frames)
      return frames.length > 0 ? frames : undefined
    }, 'the request')
    expect(request).toMatchObject({ type: 'request', documentId: store.documentId, senderId: connection.getSnapshot().peerId, targetId: 'raw-server' })
    const { next: A } = await import('@automerge/automerge')
    const [, empty] = A.generateSyncMessage(A.init(), A.initSyncState())
    expect(new Uint8Array(request!.data as Uint8Array)).toEqual(empty)
  })

  it('after a new peer, resets sync states and sends again for every open document; the token is fetched per connect', async () => {
    let tokens = 0
    const server = await rawServer((frame, socket, raw) => void answerJoin(frame, socket, raw))
    const connection = connect(server.url, { closeTimeoutMs: 10, token: async () => `t${++tokens}` })
    const a = connection.create<Notes>({ notes: ['a'] })
    const b = connection.create<Notes>({ notes: ['b'] })
    const firstRound = await until(() => {
      const frames = documentFrames(server.frames)
      return frames.length === 2 ? frames : undefined
    }, 'both documents sent')
    expect(firstRound.map((frame) => frame.type)).toEqual(['sync', 'sync'])
    expect(new Set(firstRound.map((frame) => frame.documentId))).toEqual(new Set([a.documentId, b.documentId]))

    server.sockets[0]!.terminate()
    await until(() => documentFrames(server.frames).length === 4, 'both documents sent again')
    const secondRound = documentFrames(server.frames).slice(2)
    expect(new Set(secondRound.map((frame) => frame.documentId))).toEqual(new Set([a.documentId, b.documentId]))
    // The same message as the first time: what was in flight on the dead socket was forgotten.
    expect(secondRound.find((frame) => frame.documentId === a.documentId)?.data).toEqual(firstRound.find((frame) => frame.documentId === a.documentId)?.data)
    expect(server.upgrades).toEqual(['/?token=t1', '/?token=t2'])
  })

  it('retries a server that accepts the socket but never answers join', async () => {
    let joins = 0
    const server = await rawServer((frame) => {
      if (frame.type === 'join') joins++
    })
    const connection = connect(server.url, {}, { handshakeTimeoutMs: 30 })
    await until(() => joins >= 2, 'a second join')
    expect(connection.getSnapshot().error).toMatchObject({ code: 'network', message: expect.stringContaining('did not answer the handshake') })
  })

  it('batches the changes of one task into one sync message', async () => {
    const server = await rawServer((frame, socket, raw) => void answerJoin(frame, socket, raw))
    const connection = connect(server.url, { closeTimeoutMs: 10 })
    await until(() => connection.getSnapshot().status === 'live', 'live')
    const store = connection.create<Notes>({ notes: [] })
    await until(() => documentFrames(server.frames).length === 1, 'the first sync')
    for (let i = 0; i < 10; i++) store.change((doc) => void doc.notes.push(`n${i}`))
    await delay(30)
    // The server never answered, so the client has one message in flight and waits; what
    // matters is that ten changes did not make ten messages.
    expect(documentFrames(server.frames).length).toBeLessThanOrEqual(2)
  })

  it('parks in closed with a clear error when Automerge cannot be loaded', async () => {
    const server = await rawServer((frame, socket, raw) => void answerJoin(frame, socket, raw))
    const connection = connect(server.url, {}, { loadAutomerge: () => Promise.reject(new SyncError('unavailable', 'Could not load @automerge/automerge')) })
    const store = connection.open<Notes>(generateDocumentId())
    await until(() => connection.getSnapshot().status === 'closed', 'closed')
    expect(connection.getSnapshot().error?.code).toBe('unavailable')
    await until(() => store.getSnapshot().error !== null, 'the document error')
    expect(store.getSnapshot()).toMatchObject({ status: 'loading', error: { code: 'unavailable' } })
    expect(server.frames).toEqual([])
  })

  it('keeps snapshots stable while nothing changes, and open() of an open document shares its store', async () => {
    const server = await rawServer((frame, socket, raw) => void answerJoin(frame, socket, raw))
    const connection = connect(server.url, { closeTimeoutMs: 10 })
    const store = connection.create<Notes>({ notes: [] })
    await until(() => store.getSnapshot().status === 'ready', 'ready')
    const before = store.getSnapshot()
    expect(store.getSnapshot()).toBe(before)
    expect(connection.open<Notes>(store.url)).toBe(store)
    store.change((doc) => void doc.notes.push('x'))
    const after = store.getSnapshot()
    expect(after).not.toBe(before)
    expect(after.doc).not.toBe(before.doc)
    expect(before.doc?.notes).toEqual([])
    // Two opens need two closes.
    store.close()
    expect(() => store.change(() => {})).not.toThrow()
    store.close()
    expect(() => store.change(() => {})).toThrow(expect.objectContaining({ code: 'bad-input' }))
  })
})

describe('refusals and closing', () => {
  it('parks as unauthorized when the upgrade is refused with 401, without retrying', async () => {
    let upgrades = 0
    const server = createServer()
    server.on('upgrade', (_request, socket) => {
      upgrades++
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const connection = connect(`ws://127.0.0.1:${port}`, { token: 'expired' })
      await until(() => connection.getSnapshot().status === 'closed', 'closed')
      expect(connection.getSnapshot().error).toMatchObject({ code: 'unauthorized', status: 401 })
      await delay(150)
      expect(upgrades).toBe(1)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })

  it('rejects whenSaved("server") when the store closes first; the change is still in the cache', async () => {
    const cache = createMemoryCache()
    const connection = connect('ws://127.0.0.1:1', { cache })
    const store = connection.create<Notes>({ notes: ['unsent'] })
    const saved = store.whenSaved('server')
    store.close()
    await expect(saved).rejects.toMatchObject({ code: 'closed' })
    await connection.close()
    expect((await cache.loadDoc(store.documentId)).length).toBeGreaterThan(0)
  })
})

describe('whenSaved bounds', () => {
  it('rejects with timeout or aborted when bounded, keeps the change, and still resolves an unbounded wait later', async () => {
    const cache = createMemoryCache()
    // Nothing listens on port 1: the change cannot reach a server.
    const connection = connect('ws://127.0.0.1:1', { cache })
    const store = connection.create<Notes>({ notes: ['unsent'] })
    await expect(store.whenSaved('server', { timeoutMs: 30 })).rejects.toMatchObject({ name: 'SyncError', code: 'timeout' })
    const controller = new AbortController()
    const aborted = store.whenSaved('server', { signal: controller.signal })
    controller.abort()
    await expect(aborted).rejects.toMatchObject({ name: 'SyncError', code: 'aborted' })
    const reason = new Error('navigating away')
    await expect(store.whenSaved('server', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason)
    await store.whenSaved('local', { timeoutMs: 5000 })
    expect(store.getSnapshot().saved).toEqual({ local: true, server: false })
    expect(store.getSnapshot().doc?.notes).toEqual(['unsent'])
  })
})

describe('create()', () => {
  it('is ready at once once Automerge has loaded, and throws for an initial value Automerge cannot store', async () => {
    const connection = connect('ws://127.0.0.1:1')
    const first = connection.create<Notes>({ notes: ['one'] })
    await until(() => first.getSnapshot().status === 'ready', 'ready')
    const second = connection.create<Notes>({ notes: ['two'] })
    expect(second.getSnapshot()).toMatchObject({ status: 'ready', doc: { notes: ['two'] }, saved: { server: false } })
    expect(() => connection.create({ bad: undefined })).toThrow()
    expect(() => connection.create([1, 2] as never)).toThrow(expect.objectContaining({ code: 'bad-input' }))
  })
})
