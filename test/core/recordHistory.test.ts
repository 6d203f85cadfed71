import { WebSocket } from 'ws'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SyncClient } from '../../src/core/client.js'
import { createSyncClient } from '../../src/core/client.js'
import { SyncError } from '../../src/core/errors.js'
import { createRecordStore } from '../../src/core/records/recordStore.js'
import type { WatchRecordStore } from '../../src/core/records/recordStore.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { StorageProvider } from '../../src/server/storage/types.js'
import type { Message } from '../support/records.js'
import { COLLECTION, newRoom, openStore, putRecord, texts, until, watchUrl } from '../support/records.js'

const transports = ['sse', 'ws'] as const
const SEEDED = 250
const BASE_TIME_US = 1_700_000_000_000_000

/** `count` records in `room`, message-0 the oldest; straight into storage, so their order is known. */
async function seed(storage: StorageProvider, room: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const rkey = `r${String(i).padStart(4, '0')}`
    await storage.putRecord(
      { collection: COLLECTION, room },
      { uri: `at://did:example:alice/${COLLECTION}/${rkey}`, did: 'did:example:alice', rkey, collection: COLLECTION, value: { text: `message-${i}` }, cid: `cid-${i}`, time_us: BASE_TIME_US + i, indexed_at: 0 },
    )
  }
}

/** message-(from) down to message-(to), newest first. */
const expected = (from: number, to: number): string[] => Array.from({ length: from - to + 1 }, (_, k) => `message-${from - k}`)

describe.each(transports)('loadOlder over %s against the reference server', (transport) => {
  let storage: StorageProvider
  let server: SyncServer
  const stores: WatchRecordStore<Message>[] = []
  const open = (room: string, options: Parameters<typeof openStore>[2] = {}): WatchRecordStore<Message> => {
    const store = openStore(server.url, room, { transport, ...options })
    stores.push(store)
    return store
  }
  const restart = async (): Promise<void> => {
    server = createSyncServer({ port: server.port, storage })
    await server.start()
  }

  beforeEach(async () => {
    storage = memoryStorage()
    server = createSyncServer({ port: 0, storage })
    await server.start()
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.stop()))
    await server.close()
  })

  it('pages back to the first record, then resolves false; no duplicates, order kept', async () => {
    const room = newRoom()
    await seed(storage, room, SEEDED)
    const store = open(room)
    const live = await until(store, (s) => s.status === 'live')
    expect(texts(live)).toEqual(expected(249, 150))

    expect(await store.loadOlder()).toBe(true)
    expect(texts(store.getSnapshot())).toEqual(expected(249, 50))
    expect(await store.loadOlder()).toBe(true)
    expect(texts(store.getSnapshot())).toEqual(expected(249, 0))
    expect(await store.loadOlder()).toBe(false)
    expect(await store.loadOlder()).toBe(false)
    const { records } = store.getSnapshot()
    expect(records).toHaveLength(SEEDED)
    expect(new Set(records.map((r) => r.uri)).size).toBe(SEEDED)
  })

  it('shares one request between concurrent calls, and pages by historyPageSize', async () => {
    const room = newRoom()
    await seed(storage, room, 130)
    const listCalls: string[] = []
    const countingFetch: typeof fetch = (input, init) => {
      const url = String(input instanceof Request ? input.url : input)
      if (url.includes('.listRecords')) listCalls.push(url)
      return fetch(input, init)
    }
    const store = open(room, { fetch: countingFetch, historyPageSize: 20 })
    await until(store, (s) => s.status === 'live')
    const [first, second] = await Promise.all([store.loadOlder(), store.loadOlder()])
    expect([first, second]).toEqual([true, true])
    expect(listCalls).toHaveLength(1)
    expect(new URL(listCalls[0]!).searchParams.get('limit')).toBe('20')
    expect(new URL(listCalls[0]!).searchParams.get('roomUri')).toBe(room)
    expect(texts(store.getSnapshot())).toEqual(expected(129, 10))
    // Once the pager is there, concurrent calls still share one request.
    expect(await Promise.all([store.loadOlder(), store.loadOlder(), store.loadOlder()])).toEqual([true, true, true])
    expect(listCalls).toHaveLength(2)
  })

  it('resolves false at once when the snapshot held everything', async () => {
    const room = newRoom()
    await seed(storage, room, 3)
    const listCalls: string[] = []
    const store = open(room, { fetch: (input, init) => (listCalls.push(String(input)), fetch(input, init)) })
    await until(store, (s) => s.status === 'live' && s.records.length === 3)
    expect(await store.loadOlder()).toBe(false)
    expect(listCalls.filter((url) => url.includes('.listRecords'))).toHaveLength(0)
  })

  it('rejects with a typed SyncError when the server is gone, and works again once it is back', async () => {
    const room = newRoom()
    await seed(storage, room, 150)
    const store = open(room)
    await until(store, (s) => s.status === 'live')
    await server.close()
    const failure = await store.loadOlder().then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(SyncError)
    expect((failure as SyncError).code).toBe('network')
    expect(store.getSnapshot().records).toHaveLength(100)

    await restart()
    await until(store, (s) => s.status === 'live')
    expect(await store.loadOlder()).toBe(true)
    expect(texts(store.getSnapshot())).toEqual(expected(149, 0))
  })

  it('keeps loaded older pages across a reconnect, and still evicts a record deleted inside the new window', async () => {
    const room = newRoom()
    await seed(storage, room, SEEDED)
    const store = open(room)
    await until(store, (s) => s.status === 'live')
    expect(await store.loadOlder()).toBe(true) // down to message-50

    await server.close()
    await until(store, (s) => s.status === 'reconnecting')
    // While the client is away: one record inside the window goes, one new record arrives.
    await storage.deleteRecord({ collection: COLLECTION, room }, 'did:example:alice', 'r0200')
    await restart()
    await putRecord(server.url, room, { text: 'while away' })

    const back = await until(store, (s) => s.status === 'live' && s.records.some((r) => r.value.text === 'while away'))
    const shown = texts(back)
    expect(shown).not.toContain('message-200')
    // The window is now 'while away' … message-151; message-150 … message-50 are the loaded pages.
    expect(shown).toEqual(['while away', ...expected(249, 50).filter((text) => text !== 'message-200')])

    // History goes on from where the loaded pages ended, not from the new snapshot's cursor.
    expect(await store.loadOlder()).toBe(true)
    expect(texts(store.getSnapshot()).slice(-50)).toEqual(expected(49, 0))
    expect(await store.loadOlder()).toBe(false)
    expect(new Set(store.getSnapshot().records.map((r) => r.uri)).size).toBe(SEEDED)
  })

  it('drops older pages after a reconnect whose snapshot holds everything', async () => {
    const room = newRoom()
    await seed(storage, room, 120)
    const store = open(room)
    await until(store, (s) => s.status === 'live')
    expect(await store.loadOlder()).toBe(true)
    expect(store.getSnapshot().records).toHaveLength(120)

    await server.close()
    await until(store, (s) => s.status === 'reconnecting')
    // Down to 90 records: the next snapshot is not full, so it speaks for every record.
    for (let i = 0; i < 30; i++) await storage.deleteRecord({ collection: COLLECTION, room }, 'did:example:alice', `r${String(i).padStart(4, '0')}`)
    await restart()
    const back = await until(store, (s) => s.status === 'live' && s.records.length === 90)
    expect(texts(back)).toEqual(expected(119, 30))
    expect(await store.loadOlder()).toBe(false)
  })
})

describe('historyPageSize', () => {
  it.each([0, -1, 2.5, Number.NaN])('refuses %s: loadOlder rejects with a bad-input SyncError, without a request', async (historyPageSize) => {
    let requests = 0
    const store = createRecordStore({
      url: watchUrl('room'),
      baseUrl: 'http://127.0.0.1:1',
      historyPageSize,
      fetch: () => {
        requests++
        return Promise.reject(new TypeError('offline'))
      },
    })
    const failure = await store.loadOlder().then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(SyncError)
    expect((failure as SyncError).code).toBe('bad-input')
    expect(requests).toBe(0)
  })
})

describe('loadOlder before the first snapshot', () => {
  it('rejects with unavailable, without a request', async () => {
    let requests = 0
    const store = createRecordStore({
      url: watchUrl('room'),
      baseUrl: 'http://127.0.0.1:1',
      fetch: () => {
        requests++
        return Promise.reject(new TypeError('offline'))
      },
    })
    await expect(store.loadOlder()).rejects.toMatchObject({ code: 'unavailable' })
    expect(requests).toBe(0)
  })
})

describe('loadOlder with a token', () => {
  let server: SyncServer
  let client: SyncClient | null = null
  afterEach(async () => {
    await client?.close()
    client = null
    await server.close()
  })

  it('fetches pages with the watch ticket the token mints; listRecords refuses anonymous callers', async () => {
    const storage = memoryStorage()
    server = createSyncServer({
      port: 0,
      storage,
      authenticate: ({ token }) => (token === 'alice-token' ? { userId: 'did:example:alice' } : undefined),
    })
    await server.start()
    const room = newRoom()
    await seed(storage, room, 150)
    const anonymous = await fetch(`${server.url}/xrpc/${COLLECTION}.listRecords?roomUri=${encodeURIComponent(room)}`)
    expect(anonymous.status).toBe(401)

    client = createSyncClient({
      recordsBaseUrl: server.url,
      token: async () => 'alice-token',
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    })
    const store = client.getRecordStore<Message>(watchUrl(room))
    const release = client.retain(store as WatchRecordStore<unknown>)
    await until(store, (s) => s.status === 'live')
    expect(await store.loadOlder()).toBe(true)
    expect(texts(store.getSnapshot())).toEqual(expected(149, 0))
    release()
  })
})
