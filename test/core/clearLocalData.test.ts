import { WebSocket } from 'ws'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import type { DocCache, RecordCache } from '../../src/core/cache/types.js'
import type { SyncClient } from '../../src/core/client.js'
import { createSyncClient } from '../../src/core/client.js'
import { automergeDocSupport } from '../../src/core/docs/docSupport.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { pollUntil as until } from '../support/poll.js'
import type { Message } from '../support/records.js'
import { deleteRecord, newRoom, putRecord, watchUrl } from '../support/records.js'

let server: SyncServer
const clients: SyncClient[] = []
/** Record stores' requests wait for this: a test holds the network back to see what the cache paints. */
let networkOpen: Promise<void> = Promise.resolve()
const heldFetch: typeof fetch = async (input, init) => {
  await networkOpen
  return fetch(input, init)
}

beforeEach(async () => {
  server = createSyncServer({ port: 0, storage: memoryStorage() })
  await server.start()
})
afterEach(async () => {
  networkOpen = Promise.resolve()
  await Promise.all(clients.splice(0).map((client) => client.close()))
  await server.close()
})

function makeClient(cache: RecordCache & DocCache): SyncClient {
  const client = createSyncClient({
    url: server.url.replace('http:', 'ws:') + '/',
    recordsBaseUrl: server.url,
    cache,
    fetch: heldFetch,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
  })
  clients.push(client)
  return client
}

/** A room with two records, watched until they are live and in the cache. */
async function cachedRoom(client: SyncClient, cache: RecordCache) {
  const room = newRoom()
  await putRecord(server.url, room, { text: 'one' })
  await putRecord(server.url, room, { text: 'two' })
  const url = watchUrl(room)
  const store = client.getRecordStore<Message>(url)
  const release = client.retain(store)
  await until(() => store.getSnapshot().status === 'live' && store.getSnapshot().records.length === 2, 'two live records')
  await store.flushCache()
  expect(await cache.loadRecords(url)).toHaveLength(2)
  return { room, url, store, release }
}

describe('SyncClient.clearLocalData', () => {
  it("refuses with 'unsaved' while a record write is pending, closes nothing, and clears with discardUnsent", async () => {
    const cache = createMemoryCache()
    const client = makeClient(cache)
    const { url, store } = await cachedRoom(client, cache)
    await server.close()
    await until(() => store.getSnapshot().status !== 'live', 'the watch to notice the server is gone')
    store.addOptimistic({ rkey: 'typed-offline', did: 'did:example:alice', value: { text: 'typed offline' } })
    expect(client.getSyncStatus().pending).toBe(1)

    await expect(client.clearLocalData()).rejects.toMatchObject({ name: 'SyncError', code: 'unsaved' })
    expect(store.getSnapshot().records.map((record) => record.value.text)).toEqual(['typed offline', 'two', 'one'])
    expect(client.getRecordStore(url)).toBe(store)
    expect(await cache.loadRecords(url)).toHaveLength(2)

    await client.clearLocalData({ discardUnsent: true })
    expect(store.getSnapshot().records).toEqual([])
    expect(store.getSnapshot().status).toBe('closed')
    expect(client.getSyncStatus().pending).toBe(0)
    expect(await cache.loadRecords(url)).toBeUndefined()
    // A component still holding the old store cannot write through it any more.
    expect(() => store.addOptimistic({ rkey: 'late', did: 'did:example:alice', value: { text: 'late' } })).toThrow(
      expect.objectContaining({ code: 'closed' }),
    )
    expect(client.getRecordStore(url)).not.toBe(store)
    server = createSyncServer({ port: 0, storage: memoryStorage() }) // for afterEach
    await server.start()
  })

  it("refuses while a put waits in the outbox; with discardUnsent the outbox entry is deleted and the old store refuses put", async () => {
    const cache = createMemoryCache()
    const client = makeClient(cache)
    const { url, store } = await cachedRoom(client, cache)
    await server.close()
    await until(() => store.getSnapshot().status !== 'live', 'the watch to notice the server is gone')
    void store.put({ text: 'typed offline' }).catch(() => {})
    await until(() => store.getSnapshot().saved.local === true && store.getSnapshot().saved.server === false, 'the put in the outbox')
    expect((await cache.loadOutbox(url)).length).toBe(1)

    await expect(client.clearLocalData()).rejects.toMatchObject({ name: 'SyncError', code: 'unsaved' })
    expect((await cache.loadOutbox(url)).length).toBe(1)

    await client.clearLocalData({ discardUnsent: true })
    expect(store.getSnapshot().records).toEqual([])
    expect(client.getSyncStatus().pending).toBe(0)
    expect(await cache.loadOutbox(url)).toEqual([])
    expect(() => store.put({ text: 'late' })).toThrow(expect.objectContaining({ code: 'closed' }))
    server = createSyncServer({ port: 0, storage: memoryStorage() }) // for afterEach
    await server.start()
  })

  it("refuses while a write the server refused waits for retry or discard (its text lives only here), and clears once it is discarded", async () => {
    const cache = createMemoryCache()
    const client = makeClient(cache)
    const { store } = await cachedRoom(client, cache)
    store.addOptimistic({ rkey: 'refused', did: 'did:example:alice', value: { text: 'refused' } })
    store.markFailed('refused', new Error('HTTP 403'))
    expect(client.getSyncStatus().pending).toBe(0)
    await expect(client.clearLocalData()).rejects.toMatchObject({ name: 'SyncError', code: 'unsaved' })
    store.removeOptimistic('refused')
    await client.clearLocalData()
    expect(store.getSnapshot().status).toBe('closed')
  })

  it("refuses with 'unsaved' while a document has changes the server has not confirmed, and clears with discardUnsent", async () => {
    const cache = createMemoryCache()
    const client = makeClient(cache)
    const doc = client.createDoc<{ text: string }>({ text: 'from A' }, automergeDocSupport)
    const release = client.retain(doc)
    await doc.whenSaved('server')
    await doc.whenSaved('local')
    await server.close()
    await until(() => client.docConnection?.getSnapshot().status !== 'live', 'the document socket to notice the server is gone')
    doc.change((d) => {
      d.text = 'edited offline'
    })
    expect(doc.getSnapshot().saved.server).toBe(false)

    await expect(client.clearLocalData()).rejects.toMatchObject({ code: 'unsaved' })
    expect(doc.getSnapshot().doc?.text).toBe('edited offline')
    expect(client.isDocStoreOpen(doc)).toBe(true)

    await client.clearLocalData({ discardUnsent: true })
    expect(client.isDocStoreOpen(doc)).toBe(false)
    // A component still holding the store shows nothing of the document any more.
    expect(doc.getSnapshot().doc).toBeUndefined()
    expect(doc.getSnapshot().error?.code).toBe('closed')
    expect(await cache.loadDoc(doc.documentId)).toEqual([])
    expect(() => doc.change((d) => void (d.text = 'late'))).toThrow(expect.objectContaining({ name: 'SyncError' }))
    release()
    server = createSyncServer({ port: 0, storage: memoryStorage() })
    await server.start()
  })

  it('resolves at once when nothing is unsent, and the client opens new stores afterwards', async () => {
    const cache = createMemoryCache()
    const client = makeClient(cache)
    const { url, store, release } = await cachedRoom(client, cache)
    await client.clearLocalData()
    release()
    const next = client.getRecordStore<Message>(url)
    expect(next).not.toBe(store)
    const releaseNext = client.retain(next)
    await until(() => next.getSnapshot().status === 'live' && next.getSnapshot().records.length === 2, 'the new store to go live')
    releaseNext()
  })

  it('a write made while the clear is under way is refused, not deleted unsent', async () => {
    const cache = createMemoryCache()
    const client = makeClient(cache)
    const { store } = await cachedRoom(client, cache)
    const doc = client.createDoc<{ text: string }>({ text: 'from A' }, automergeDocSupport)
    const releaseDoc = client.retain(doc)
    await doc.whenSaved('server')
    const clearing = client.clearLocalData()
    // The check passed; the stores are closing. Nothing may slip in now.
    expect(() => store.addOptimistic({ rkey: 'during', did: 'did:example:alice', value: { text: 'during' } })).toThrow(
      expect.objectContaining({ code: 'closed' }),
    )
    expect(() => doc.change((d) => void (d.text = 'during'))).toThrow(expect.objectContaining({ name: 'SyncError' }))
    await clearing
    expect(await cache.loadDoc(doc.documentId)).toEqual([])
    releaseDoc()
  })

  // What the next user's first store shows while the network is held back, the room having
  // been emptied on the server meanwhile: any record it shows can only come from the cache.
  async function recordsPaintedForNextUser(logout: 'close' | 'clear' | 'clear-while-opening'): Promise<string[]> {
    const cache = createMemoryCache()
    const first = makeClient(cache)
    const { room, url, release } = await cachedRoom(first, cache)
    release()
    let releaseNetwork!: () => void
    networkOpen = new Promise((resolve) => (releaseNetwork = resolve))
    let opened = first
    let clearing: Promise<void> = Promise.resolve()
    if (logout === 'close') {
      await first.close()
      opened = makeClient(cache)
    } else if (logout === 'clear') {
      await first.clearLocalData()
    } else {
      // Asked for and started while the clear runs: its cache read must wait for the clear.
      clearing = first.clearLocalData()
    }
    const next = opened.getRecordStore<Message>(url)
    const seen: string[] = []
    const unsubscribe = next.subscribe(() => seen.push(...next.getSnapshot().records.map((record) => record.value.text)))
    const releaseNext = opened.retain(next)
    await clearing
    if (logout === 'close') await until(() => seen.length > 0, 'the cache to paint (the control case)')
    for (const rkey of await rkeysIn(room)) await deleteRecord(server.url, room, rkey)
    releaseNetwork()
    await until(() => next.getSnapshot().status === 'live', 'the next session to go live')
    expect(next.getSnapshot().records).toEqual([])
    unsubscribe()
    releaseNext()
    return seen
  }

  async function rkeysIn(room: string): Promise<string[]> {
    const response = await fetch(`${server.url}/xrpc/com.example.message.listRecords?roomUri=${encodeURIComponent(room)}`)
    const body = (await response.json()) as { records: Array<{ rkey: string }> }
    return body.records.map((record) => record.rkey)
  }

  it('a store opened after clearing paints nothing of the last user (after close() alone it would)', async () => {
    expect(await recordsPaintedForNextUser('close')).toContain('one')
    expect(await recordsPaintedForNextUser('clear')).toEqual([])
  })

  it('a store opened while the clear is under way waits for it and paints nothing of the last user', async () => {
    expect(await recordsPaintedForNextUser('clear-while-opening')).toEqual([])
  })

  it('another client on the same cache drops what it shows when one clears (as another tab does)', async () => {
    const cache = createMemoryCache()
    const tabA = makeClient(cache)
    const tabB = makeClient(cache)
    const { url, release } = await cachedRoom(tabA, cache)
    const other = tabB.getRecordStore<Message>(url)
    const releaseOther = tabB.retain(other)
    await until(() => other.getSnapshot().records.length === 2, 'the other client to show the room')
    const doc = tabA.createDoc<{ text: string }>({ text: 'from A' }, automergeDocSupport)
    const releaseDoc = tabA.retain(doc)
    await doc.whenSaved('server')
    const otherDoc = tabB.getDocStore<{ text: string }>(doc.url, automergeDocSupport)
    const releaseOtherDoc = tabB.retain(otherDoc)
    await until(() => otherDoc.getSnapshot().doc?.text === 'from A', 'the other client to show the document')
    await tabA.clearLocalData()
    await until(() => other.getSnapshot().records.length === 0, 'the other client to drop the records')
    await until(() => otherDoc.getSnapshot().doc === undefined, 'the other client to drop the document')
    expect(other.getSnapshot().status).toBe('closed')
    expect(tabB.isDocStoreOpen(otherDoc)).toBe(false)
    // What the other client had not written yet when the clear came must not land after it.
    await tabB.close() // resolves once it has finished forgetting
    expect(await cache.loadDoc(doc.documentId)).toEqual([])
    releaseDoc()
    releaseOtherDoc()
    expect(await cache.loadRecords(url)).toBeUndefined()
    releaseOther()
    release()
  })
})
