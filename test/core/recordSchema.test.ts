import type { StandardSchemaV1 } from '@standard-schema/spec'
import { afterEach, beforeEach, describe, expect, expectTypeOf, it } from 'vitest'
import { WebSocket } from 'ws'
import { z } from 'zod'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import { createSyncClient } from '../../src/core/client.js'
import { SyncError } from '../../src/core/errors.js'
import { createRecordStore } from '../../src/core/records/recordStore.js'
import type { WatchRecordStore } from '../../src/core/records/recordStore.js'
import type { WatchRecord } from '../../src/core/records/types.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { StorageProvider } from '../../src/server/storage/types.js'
import { COLLECTION, newRoom, putRecord, until, watchUrl } from '../support/records.js'

const transports = ['sse', 'ws'] as const

const Message = z.object({ text: z.string().max(20), likes: z.number().default(0) })

/** A Standard Schema written by hand, answering later (as a validator that asks a worker would). */
const asyncMessage: StandardSchemaV1<unknown, { text: string; checked: true }> = {
  '~standard': {
    version: 1,
    vendor: 'hand-written',
    validate: async (value) => {
      await new Promise((resolve) => setTimeout(resolve, 5))
      const text = (value as { text?: unknown } | null)?.text
      return typeof text === 'string' ? { value: { text, checked: true } } : { issues: [{ message: 'text must be a string', path: ['text'] }] }
    },
  },
}

describe.each(transports)('schema over %s', (transport) => {
  let storage: StorageProvider
  let server: SyncServer
  const stores: WatchRecordStore<unknown>[] = []
  const ignored: unknown[] = []
  function open<V>(room: string, schema: StandardSchemaV1<unknown, V>, extra: { historyPageSize?: number } = {}): WatchRecordStore<V> {
    const store = createRecordStore({
      url: watchUrl(room),
      baseUrl: server.url,
      transport,
      schema,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      onIgnoredError: (error) => ignored.push(error),
      ...extra,
    })
    store.start()
    stores.push(store as WatchRecordStore<unknown>)
    return store
  }

  beforeEach(async () => {
    ignored.length = 0
    storage = memoryStorage()
    server = createSyncServer({ port: 0, storage })
    await server.start()
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.stop()))
    await server.close()
  })

  it('with zod: skips a record that does not validate, names it in a protocol error, and types values from the schema', async () => {
    const room = newRoom()
    await putRecord(server.url, room, { text: 'fine' }, { rkey: 'good' })
    await putRecord(server.url, room, { text: 'this text is far too long for the schema' }, { rkey: 'toolong' })
    const store = open(room, Message)
    expectTypeOf(store.getSnapshot().records).toEqualTypeOf<readonly WatchRecord<{ text: string; likes: number }>[]>()
    const live = await until(store, (s) => s.status === 'live')
    // The schema's output is what the store holds: the default was filled in.
    expect(live.records.map((r) => r.value)).toEqual([{ text: 'fine', likes: 0 }])
    expect(ignored).toHaveLength(1)
    expect(ignored[0]).toBeInstanceOf(SyncError)
    expect((ignored[0] as SyncError).code).toBe('protocol')
    expect((ignored[0] as SyncError).message).toContain(`at://did:example:alice/${COLLECTION}/toolong`)

    // Live records go through it too; the stream stays open.
    await putRecord(server.url, room, { text: 'x'.repeat(30) }, { rkey: 'live-bad' })
    await putRecord(server.url, room, { text: 'later' }, { rkey: 'live-good' })
    const after = await until(store, (s) => s.records.length === 2)
    expect(after.records.map((r) => r.rkey)).toEqual(['live-good', 'good'])
    expect(ignored).toHaveLength(2)
    expect((ignored[1] as SyncError).message).toContain('live-bad')
    expect(after.status).toBe('live')
    expect(after.error?.code).toBe('protocol')
  })

  it('with an async hand-written schema: keeps the order of the stream and checks older pages too', async () => {
    const room = newRoom()
    for (let i = 0; i < 8; i++) await putRecord(server.url, room, { text: `m${i}` }, { rkey: `k${i}` })
    // A value the schema refuses, written straight to storage as another server might hold it.
    await storage.putRecord(
      { collection: COLLECTION, room },
      { uri: `at://did:example:alice/${COLLECTION}/k0`, did: 'did:example:alice', rkey: 'k0', collection: COLLECTION, value: { text: 42 }, cid: 'c', time_us: 1, indexed_at: 0 },
    )
    const store = createRecordStore({
      url: `${watchUrl(room)}&limit=4`,
      baseUrl: server.url,
      transport,
      schema: asyncMessage,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      onIgnoredError: (error) => ignored.push(error),
      historyPageSize: 10,
    })
    stores.push(store as WatchRecordStore<unknown>)
    store.start()
    const live = await until(store, (s) => s.status === 'live')
    expect(live.records.map((r) => r.rkey)).toEqual(['k7', 'k6', 'k5', 'k4'])
    expect(live.records.every((r) => r.value.checked)).toBe(true)

    await putRecord(server.url, room, { text: 'm8' }, { rkey: 'k8' })
    await until(store, (s) => s.records[0]?.rkey === 'k8')

    expect(await store.loadOlder()).toBe(true)
    expect(store.getSnapshot().records.map((r) => r.rkey)).toEqual(['k8', 'k7', 'k6', 'k5', 'k4', 'k3', 'k2', 'k1'])
    expect(ignored).toHaveLength(1)
    expect((ignored[0] as SyncError).code).toBe('protocol')
    expect((ignored[0] as SyncError).message).toContain('/k0')
    expect((ignored[0] as SyncError).message).toContain('text: text must be a string')
  })
})

describe('schema and the cache', () => {
  let server: SyncServer
  beforeEach(async () => {
    server = createSyncServer({ port: 0, storage: memoryStorage() })
    await server.start()
  })
  afterEach(async () => {
    await server.close()
  })

  it('checks records painted from a cache written without the schema', async () => {
    const room = newRoom()
    await putRecord(server.url, room, { text: 'fits' }, { rkey: 'ok' })
    await putRecord(server.url, room, { text: 'x'.repeat(40) }, { rkey: 'long' })
    const cache = createMemoryCache()
    const writer = createRecordStore({ url: watchUrl(room), baseUrl: server.url, cache })
    writer.start()
    await until(writer, (s) => s.status === 'live' && s.records.length === 2)
    await writer.stop()

    // Nothing listens there: only the cache can paint.
    const ignored: unknown[] = []
    const reader = createRecordStore({ url: watchUrl(room), baseUrl: 'http://127.0.0.1:1', cache, schema: Message, reconnect: false, onIgnoredError: (error) => ignored.push(error) })
    reader.start()
    const painted = await until(reader, (s) => s.records.length > 0)
    expect(painted.records.map((r) => r.value)).toEqual([{ text: 'fits', likes: 0 }])
    expect(ignored.some((error) => error instanceof SyncError && error.code === 'protocol' && error.message.includes('/long'))).toBe(true)
    await reader.stop()
  })
})

describe('schema through the client', () => {
  let server: SyncServer
  beforeEach(async () => {
    server = createSyncServer({ port: 0, storage: memoryStorage() })
    await server.start()
  })
  afterEach(async () => {
    await server.close()
  })

  it('gives each schema object its own store of the same URL, and the same store for the same schema', async () => {
    const client = createSyncClient({ recordsBaseUrl: server.url })
    const url = watchUrl(newRoom())
    const plain = client.getRecordStore(url)
    const typed = client.getRecordStore(url, { schema: Message })
    expect(typed).not.toBe(plain)
    expect(client.getRecordStore(url, { schema: Message })).toBe(typed)
    expectTypeOf(typed.getSnapshot().records).toEqualTypeOf<readonly WatchRecord<{ text: string; likes: number }>[]>()
    await client.close()
  })
})
