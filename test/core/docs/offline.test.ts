import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryCache } from '../../../src/core/cache/memoryCache.js'
import { asAutomergeUrl, closeAll, connect, repoClient, startRepoServer, until, untilHandle, untilServerHas } from './helpers.js'

afterEach(closeAll)

interface Notes {
  notes: string[]
}

/** Nothing listens on port 1: every connection attempt is refused at once. */
const OFFLINE_URL = 'ws://127.0.0.1:1'

describe('offline and restarts', () => {
  it('keeps working through a server restart: edits made while it was down arrive, and saved.server comes back', async () => {
    const first = await startRepoServer()
    const writer = repoClient(first.url)
    const handle = writer.create<Notes>({ notes: ['before'] })
    await untilServerHas(first, handle.documentId)

    const connection = connect(first.url)
    const store = connection.open<Notes>(handle.url)
    await until(() => connection.getSnapshot().status === 'live', 'live')
    expect(store.getSnapshot().doc?.notes).toEqual(['before'])

    // The stock client's adapter throws on a reset connection; let it go before the server does.
    writer.networkSubsystem.disconnect()
    await first.stop()
    await until(() => connection.getSnapshot().status === 'reconnecting', 'reconnecting')
    store.change((doc) => void doc.notes.push('while down'))
    expect(store.getSnapshot().saved.server).toBe(false)
    expect(store.getSnapshot().doc?.notes).toEqual(['before', 'while down'])

    const second = await startRepoServer({ port: first.port, dir: first.dir })
    await until(() => connection.getSnapshot().status === 'live', 'live again')
    await store.whenSaved('server')
    expect(connection.getSnapshot().serverPeerId).toBe(second.repo.peerId)

    const reader = repoClient(second.url)
    const fetched = await reader.find<Notes>(handle.url)
    await untilHandle(fetched, (doc) => doc.notes.length === 2)
    expect(fetched.doc().notes).toEqual(['before', 'while down'])

    // And the other way: an edit on the restarted server reaches the reconnected store.
    fetched.change((doc) => void doc.notes.push('after'))
    await until(() => store.getSnapshot().doc?.notes.length === 3, 'the edit made after the restart')
  })

  it('close() while connected delivers unsent changes before it closes', async () => {
    const server = await startRepoServer()
    const connection = connect(server.url)
    await until(() => connection.getSnapshot().status === 'live', 'live')
    const store = connection.create<Notes>({ notes: [] })
    store.change((doc) => void doc.notes.push('last words'))
    await connection.close()
    expect(connection.getSnapshot().status).toBe('closed')

    const reader = repoClient(server.url)
    const handle = await reader.find<Notes>(asAutomergeUrl(store.url))
    expect(handle.doc().notes).toEqual(['last words'])
  })

  it('close() while offline keeps the changes in the cache, and the next connection on that cache sends them', async () => {
    const cache = createMemoryCache()
    const offline = connect(OFFLINE_URL, { cache })
    const store = offline.create<Notes>({ notes: ['offline 1'] })
    store.change((doc) => void doc.notes.push('offline 2'))
    await offline.close()
    expect(store.getSnapshot().saved).toEqual({ local: true, server: false })
    expect((await cache.loadDoc(store.documentId)).length).toBeGreaterThan(0)

    // A "reload": a new connection, the same cache, a server that is up.
    const server = await startRepoServer()
    const online = connect(server.url, { cache })
    const reopened = online.open<Notes>(store.url)
    // It paints from the cache, before the server has answered.
    await until(() => reopened.getSnapshot().status === 'ready', 'ready from the cache')
    expect(reopened.getSnapshot().doc?.notes).toEqual(['offline 1', 'offline 2'])
    await reopened.whenSaved('server')

    const reader = repoClient(server.url)
    const handle = await reader.find<Notes>(asAutomergeUrl(store.url))
    expect(handle.doc().notes).toEqual(['offline 1', 'offline 2'])
  })

  it('two connections on one cache (two tabs) see each other\'s changes through it', async () => {
    const cache = createMemoryCache()
    const tabA = connect(OFFLINE_URL, { cache })
    const tabB = connect(OFFLINE_URL, { cache })
    const a = tabA.create<Notes>({ notes: ['a1'] })
    await a.whenSaved('local')
    const b = tabB.open<Notes>(a.url)
    await until(() => b.getSnapshot().doc?.notes.length === 1, 'tab B to load from the cache')

    a.change((doc) => void doc.notes.push('a2'))
    await until(() => b.getSnapshot().doc?.notes.includes('a2'), 'tab B to merge tab A\'s change')
    b.change((doc) => void doc.notes.push('b1'))
    await until(() => a.getSnapshot().doc?.notes.includes('b1'), 'tab A to merge tab B\'s change')
    expect(a.getSnapshot().doc?.notes).toEqual(b.getSnapshot().doc?.notes)
  })

  it('appends small chunks per change and compacts only past the threshold, without losing anything', async () => {
    const cache = createMemoryCache()
    const connection = connect(OFFLINE_URL, { cache }, { compaction: { minBytes: 100_000, maxChunks: 8 } })
    const store = connection.create<Notes>({ notes: [] })
    await store.whenSaved('local')
    const kinds = async (): Promise<string[]> => (await cache.loadDoc(store.documentId)).map((chunk) => chunk.kind)
    expect(await kinds()).toEqual(['snapshot'])

    for (let i = 0; i < 5; i++) {
      store.change((doc) => void doc.notes.push(`note ${i}`))
      await store.whenSaved('local')
    }
    // One snapshot, then one small increment per write: the document is not rewritten.
    expect(await kinds()).toEqual(['snapshot', ...Array<string>(5).fill('incremental')])

    for (let i = 5; i < 20; i++) {
      store.change((doc) => void doc.notes.push(`note ${i}`))
      await store.whenSaved('local')
    }
    const stored = await kinds()
    expect(stored.filter((kind) => kind === 'snapshot')).toHaveLength(1)
    expect(stored.length).toBeLessThanOrEqual(9)

    const reader = connect(OFFLINE_URL, { cache })
    const reloaded = reader.open<Notes>(store.url)
    await until(() => reloaded.getSnapshot().doc, 'the reloaded document')
    expect(reloaded.getSnapshot().doc?.notes).toEqual(Array.from({ length: 20 }, (_, i) => `note ${i}`))
  })

  it('reports saved.local as false without a cache, and whenSaved("local") says why', async () => {
    const connection = connect(OFFLINE_URL)
    const store = connection.create<Notes>({ notes: [] })
    await until(() => store.getSnapshot().status === 'ready', 'ready')
    expect(store.getSnapshot().saved.local).toBe(false)
    await expect(store.whenSaved('local')).rejects.toMatchObject({ code: 'unavailable' })
  })
})
