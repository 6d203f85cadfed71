import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import type { WatchRecordStore } from '../../src/core/records/recordStore.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, fileStorage, memoryStorage } from '../../src/server/index.js'
import type { Message } from '../support/records.js'
import { deleteRecord, newRoom, openStore, putRecord, recordStatuses, texts, until, watchUrl } from '../support/records.js'
import type { RecordServerHarness } from '../support/serverKinds.js'
import { SERVER_KINDS, startHarness } from '../support/serverKinds.js'

const transports = ['sse', 'ws'] as const

describe.each(SERVER_KINDS.flatMap((kind) => transports.map((transport) => [kind, transport] as const)))('record store against the %s server over %s', (kind, transport) => {
  let server: RecordServerHarness
  const stores: WatchRecordStore<Message>[] = []
  const open = (room: string, options: Parameters<typeof openStore>[2] = {}) => {
    const store = openStore(server.url, room, { url: server.watchUrl(room), transport, ...options })
    stores.push(store)
    return store
  }

  beforeEach(async () => {
    server = await startHarness(kind)
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.stop()))
    await server.close()
  })

  it('passes through connecting and snapshot to live, with the snapshot sorted newest first', async () => {
    const room = newRoom()
    await server.put(room, { text: 'one' })
    await server.put(room, { text: 'two' })
    const store = open(room)
    const statuses = recordStatuses(store)
    const live = await until(store, (s) => s.status === 'live')
    expect(texts(live)).toEqual(['two', 'one'])
    expect(statuses).toEqual(['connecting', 'snapshot', 'live'])
  })

  it('lets two clients see each other’s writes and deletes', async () => {
    const room = newRoom()
    const alice = open(room)
    const bob = open(room)
    await until(alice, (s) => s.status === 'live')
    await until(bob, (s) => s.status === 'live')
    const { rkey } = await server.put(room, { text: 'from alice' }, { did: 'did:example:alice' })
    await server.put(room, { text: 'from bob' }, { did: 'did:example:bob' })
    expect(texts(await until(alice, (s) => s.records.length === 2))).toEqual(['from bob', 'from alice'])
    expect(texts(await until(bob, (s) => s.records.length === 2))).toEqual(['from bob', 'from alice'])
    await server.remove(room, rkey, 'did:example:alice')
    expect(texts(await until(bob, (s) => s.records.length === 1))).toEqual(['from bob'])
  })

  it('shows an optimistic post as pending until the server confirms it', async () => {
    const room = newRoom()
    const store = open(room)
    await until(store, (s) => s.status === 'live')
    store.addOptimistic({ rkey: 'k1', did: 'did:example:alice', value: { text: 'hello' } })
    const pending = store.getSnapshot().records
    expect(pending).toMatchObject([{ rkey: 'k1', optimistic: 'pending', value: { text: 'hello' } }])
    expect(store.getSaveState()).toMatchObject({ pending: 1, savedServer: false })

    // Another user's record with the same rkey must not settle our entry.
    await server.put(room, { text: 'same rkey, other user' }, { rkey: 'k1', did: 'did:example:bob' })
    const both = await until(store, (s) => s.records.length === 2)
    expect(both.records.filter((r) => r.optimistic === 'pending')).toHaveLength(1)

    await server.put(room, { text: 'hello' }, { rkey: 'k1', did: 'did:example:alice' })
    const confirmed = await until(store, (s) => s.records.every((r) => r.optimistic === undefined))
    expect(confirmed.records.filter((r) => r.did === 'did:example:alice')).toHaveLength(1)
    expect(store.getSaveState()).toMatchObject({ pending: 0, savedServer: true })
  })

  it('marks a failed optimistic post and rolls it back', async () => {
    const room = newRoom()
    const store = open(room)
    await until(store, (s) => s.status === 'live')
    store.addOptimistic({ rkey: 'k2', did: 'did:example:alice', value: { text: 'doomed' } })
    store.markFailed('k2', new Error('HTTP 500'), 'did:example:alice')
    expect(store.getSnapshot().records[0]).toMatchObject({ optimistic: 'failed', optimisticError: { message: 'HTTP 500' } })
    store.removeOptimistic('k2', 'did:example:alice')
    expect(store.getSnapshot().records).toEqual([])
  })

  it('settles an optimistic entry when its record is deleted', async () => {
    const room = newRoom()
    const store = open(room)
    await until(store, (s) => s.status === 'live')
    await server.put(room, { text: 'keep' })
    store.addOptimistic({ rkey: 'gone', did: 'did:example:alice', value: { text: 'deleted before confirmed' } })
    await server.remove(room, 'gone', 'did:example:alice')
    const settled = await until(store, (s) => s.records.length === 1)
    expect(texts(settled)).toEqual(['keep'])
  })

  it('paints from the cache before the network answers and respects cacheMaxRecords', async () => {
    const room = newRoom()
    for (const text of ['a', 'b', 'c', 'd']) await server.put(room, { text })
    const cache = createMemoryCache()
    const first = open(room, { cache, cacheMaxRecords: 3 })
    await until(first, (s) => s.status === 'live' && s.records.length === 4)
    await first.stop()
    expect((await cache.loadRecords<Message>(server.watchUrl(room)))?.map((r) => r.value.text)).toEqual(['d', 'c', 'b'])

    let answer!: () => void
    const gate = new Promise<void>((resolve) => (answer = resolve))
    const second = open(room, { cache, fetch: async (input, init) => (await gate, fetch(input, init)) })
    const painted = await until(second, (s) => s.records.length === 3)
    expect(painted.status).toBe('connecting')
    expect(texts(painted)).toEqual(['d', 'c', 'b'])
    answer()
    expect(texts(await until(second, (s) => s.status === 'live'))).toEqual(['d', 'c', 'b', 'a'])
  })
})

describe.each(transports)('record store over %s against the reference server', (transport) => {
  let server: SyncServer
  const stores: WatchRecordStore<Message>[] = []
  const open = (room: string, options: Parameters<typeof openStore>[2] = {}) => {
    const store = openStore(server.url, room, { transport, ...options })
    stores.push(store)
    return store
  }

  beforeEach(async () => {
    server = createSyncServer({ port: 0, storage: memoryStorage() })
    await server.start()
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.stop()))
    await server.close()
  })

  it('closes without reconnecting when the member is removed, and clears the records', async () => {
    const room = newRoom()
    await putRecord(server.url, room, { text: 'secret' })
    // Without authentication the reference server takes the watcher's word (`devDid`) for who it is.
    const store = open(room, { url: `${watchUrl(room)}&devDid=did:example:alice` })
    const bystander = open(room, { url: `${watchUrl(room)}&devDid=did:example:bob` })
    await until(store, (s) => s.status === 'live' && s.records.length === 1)
    await until(bystander, (s) => s.status === 'live' && s.records.length === 1)
    server.removeMember('com.example.message', room, 'did:example:alice')
    const closed = await until(store, (s) => s.status === 'closed')
    expect(closed.records).toEqual([])
    expect(closed.error?.code).toBe('forbidden')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(store.getSnapshot().status).toBe('closed')
    // Only the removed member is cut off.
    expect(bystander.getSnapshot()).toMatchObject({ status: 'live', records: [{ value: { text: 'secret' } }] })
  })
})

describe.each(transports)('record store over %s across server restarts', (transport) => {
  let dir: string
  const stores: WatchRecordStore<Message>[] = []
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'syncline-restart-'))
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.stop()))
    await rm(dir, { recursive: true, force: true })
  })

  const startServer = async (port = 0): Promise<SyncServer> => {
    const server = createSyncServer({ port, storage: fileStorage(dir) })
    await server.start()
    return server
  }

  it('reconnects after the server dies and comes back, losing and duplicating nothing', async () => {
    const room = newRoom()
    let server = await startServer()
    const port = server.port
    await putRecord(server.url, room, { text: 'before' })
    const store = openStore(server.url, room, { transport })
    stores.push(store)
    await until(store, (s) => s.status === 'live' && s.records.length === 1)
    const statuses = recordStatuses(store)

    await server.close()
    await until(store, (s) => s.status === 'reconnecting')
    expect(texts(store.getSnapshot())).toEqual(['before'])

    server = await startServer(port)
    await putRecord(server.url, room, { text: 'after' })
    const live = await until(store, (s) => s.status === 'live' && s.records.length === 2)
    expect(texts(live)).toEqual(['after', 'before'])
    expect(new Set(live.records.map((r) => r.uri)).size).toBe(2)
    expect(statuses).toContain('reconnecting')
    expect(statuses.at(-1)).toBe('live')
    await server.close()
  })

  it('evicts a record deleted while the client was disconnected, once the new snapshot ends', async () => {
    const room = newRoom()
    let server = await startServer()
    const port = server.port
    const { rkey } = await putRecord(server.url, room, { text: 'doomed' })
    await putRecord(server.url, room, { text: 'stays' })
    const store = openStore(server.url, room, { transport })
    stores.push(store)
    await until(store, (s) => s.status === 'live' && s.records.length === 2)

    await server.close()
    await until(store, (s) => s.status === 'reconnecting')
    // Delete while the client cannot hear about it: only the next snapshot can tell.
    const offline = createSyncServer({ port: 0, storage: fileStorage(dir) })
    await offline.start()
    await deleteRecord(offline.url, room, rkey)
    await offline.close()

    server = await startServer(port)
    const live = await until(store, (s) => s.status === 'live')
    expect(texts(live)).toEqual(['stays'])
    await server.close()
  })
})
