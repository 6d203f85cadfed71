import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import { defaultEnvironment } from '../../src/core/environment.js'
import { createRecordStore } from '../../src/core/records/recordStore.js'
import type { RecordCache } from '../../src/core/cache/types.js'
import type { WatchRecordStore } from '../../src/core/records/recordStore.js'
import { mintWatchTicket } from '../../src/core/records/ticket.js'
import type { RecordStoreOptions } from '../../src/core/records/types.js'
import type { AuthorizeRequest, SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { FaultProxy } from '../support/faultProxy.js'
import { startFaultProxy } from '../support/faultProxy.js'
import { pollUntil } from '../support/poll.js'
import type { Message } from '../support/records.js'
import { COLLECTION, newRoom, openStore, putRecord, until, watchUrl } from '../support/records.js'

const ALICE = 'did:example:alice'
let servers: SyncServer[] = []
let stores: WatchRecordStore<Message>[] = []
const proxies: FaultProxy[] = []

async function startServer(options: Parameters<typeof createSyncServer>[0] = {}): Promise<SyncServer> {
  const server = createSyncServer({ port: 0, storage: memoryStorage(), ...options })
  await server.start()
  servers.push(server)
  return server
}

function open(baseUrl: string, room: string, options: Partial<RecordStoreOptions<Message>> = {}): WatchRecordStore<Message> {
  const store = openStore(baseUrl, room, options)
  stores.push(store)
  return store
}

/** What the server stores in the room, read with a plain listRecords. */
async function listed(baseUrl: string, room: string): Promise<Array<{ rkey: string; did: string; value: Message }>> {
  const response = await fetch(`${baseUrl}/xrpc/${COLLECTION}.listRecords?roomUri=${encodeURIComponent(room)}`)
  return ((await response.json()) as { records: Array<{ rkey: string; did: string; value: Message }> }).records
}

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.stop()))
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()))
  await Promise.all(servers.splice(0).map((server) => server.close()))
})

describe('record writes through the outbox, against the reference server', () => {
  it('shows a put at once as pending, resolves with the confirmed record, and another store sees it', async () => {
    const server = await startServer()
    const room = newRoom()
    const alice = open(server.url, room, { did: ALICE })
    const bob = open(server.url, room)
    await until(alice, (s) => s.status === 'live')

    const written = alice.put({ text: 'hello' })
    const shown = alice.getSnapshot()
    expect(shown.records.map((r) => [r.value.text, r.optimistic])).toEqual([['hello', 'pending']])
    expect(shown.saved.server).toBe(false)
    expect(alice.getSaveState().pending).toBe(1)

    const record = await written
    expect(record).toMatchObject({ did: ALICE, collection: COLLECTION, value: { text: 'hello' } })
    expect(record.uri).toBe(`at://${ALICE}/${COLLECTION}/${record.rkey}`)
    expect(record.rkey).toMatch(/^[2-7a-j][2-7a-z]{12}$/)
    const settled = await until(alice, (s) => s.records.length === 1 && s.records[0]!.optimistic === undefined && s.saved.server === true)
    expect(settled.records[0]!.rkey).toBe(record.rkey)
    expect(alice.getSaveState().pending).toBe(0)
    await until(bob, (s) => s.records.some((r) => r.rkey === record.rkey && r.value.text === 'hello'))
  })

  it('settles a put from a store that was never told its did: the server’s answer names the author', async () => {
    const server = await startServer({ authenticate: ({ token }) => Promise.resolve({ userId: `did:example:${token}` }) })
    const room = newRoom()
    const store = open(server.url, room, {
      token: 'carol',
      mintTicket: () => mintWatchTicket({ watchUrl: watchUrl(room), collection: 'com.example.message', baseUrl: server.url, readToken: () => Promise.resolve('carol'), fetch }),
    })
    await until(store, (s) => s.status === 'live')
    const record = await store.put({ text: 'who am I' }, { rkey: 'note-1' })
    expect(record.did).toBe('did:example:carol')
    // Exactly one record, confirmed: no did-less optimistic twin left pending.
    const settled = await until(store, (s) => s.records.length === 1 && s.records[0]!.optimistic === undefined && s.saved.server)
    expect(settled.records[0]).toMatchObject({ did: 'did:example:carol', rkey: 'note-1' })
  })

  it('hides a deleted record at once and deletes it on the server', async () => {
    const server = await startServer()
    const room = newRoom()
    const { rkey } = await putRecord(server.url, room, { text: 'doomed' }, { did: ALICE })
    await putRecord(server.url, room, { text: 'stays' }, { did: ALICE })
    const alice = open(server.url, room, { did: ALICE })
    const bob = open(server.url, room)
    await until(alice, (s) => s.status === 'live' && s.records.length === 2)
    await until(bob, (s) => s.status === 'live' && s.records.length === 2)

    const deleted = alice.delete(rkey)
    expect(alice.getSnapshot().records.map((r) => r.value.text)).toEqual(['stays'])
    await deleted
    await until(bob, (s) => s.records.length === 1)
    expect((await listed(server.url, room)).map((r) => r.value.text)).toEqual(['stays'])
    expect(alice.getSnapshot().saved.server).toBe(true)
  })

  it('marks a refused write failed with its code, keeps it until retry, and delivers it once allowed', async () => {
    let writesAllowed = false
    const server = await startServer({ authorize: ({ access }: AuthorizeRequest) => access === 'read' || writesAllowed })
    const room = newRoom()
    const store = open(server.url, room, { did: ALICE, cache: createMemoryCache() })
    await until(store, (s) => s.status === 'live')

    const refused = store.put({ text: 'not yet' }, { rkey: 'msg-1' })
    await expect(refused).rejects.toMatchObject({ code: 'forbidden', status: 403 })
    const failed = await until(store, (s) => s.records[0]?.optimistic === 'failed' && s.saved.local)
    expect(failed.records[0]!.optimisticError).toMatchObject({ code: 'forbidden' })
    expect(failed.saved).toEqual({ local: true, server: false })
    expect(store.getSaveState().pending).toBe(0) // refused, not pending: it waits for the user
    expect(await listed(server.url, room)).toEqual([])

    writesAllowed = true
    store.retry('msg-1')
    expect(store.getSnapshot().records[0]!.optimistic).toBe('pending')
    await until(store, (s) => s.records.length === 1 && s.records[0]!.optimistic === undefined && s.saved.server)
    expect((await listed(server.url, room)).map((r) => r.rkey)).toEqual(['msg-1'])
  })

  it('rolls a refused write back on discard', async () => {
    const server = await startServer({ authorize: ({ access }: AuthorizeRequest) => access === 'read' })
    const room = newRoom()
    const cache = createMemoryCache()
    const store = open(server.url, room, { did: ALICE, cache })
    await until(store, (s) => s.status === 'live')
    const refused = store.put({ text: 'never' }, { rkey: 'msg-2' })
    await expect(refused).rejects.toMatchObject({ code: 'forbidden' })
    store.discard('msg-2')
    expect(store.getSnapshot().records).toEqual([])
    expect(store.getSnapshot().saved).toEqual({ local: true, server: true })
    await store.flushCache()
    await store.stop()
    expect(await cache.loadOutbox(watchUrl(room))).toEqual([])
  })

  it('rejects a malformed rkey as bad-input before queueing anything', async () => {
    const server = await startServer()
    const store = open(server.url, newRoom(), { did: ALICE })
    expect(() => store.put({ text: 'x' }, { rkey: 'has space' })).toThrow(expect.objectContaining({ code: 'bad-input' }))
    expect(() => store.delete('..')).toThrow(expect.objectContaining({ code: 'bad-input' }))
    expect(store.getSnapshot().records).toEqual([])
  })

  it('retries a 5xx with backoff until the server takes the write', async () => {
    let failuresLeft = 2
    let writeAttempts = 0
    const server = await startServer({
      authorize: ({ access }: AuthorizeRequest) => {
        if (access !== 'write') return true
        writeAttempts++
        if (failuresLeft-- > 0) throw new Error('storage is down')
        return true
      },
    })
    const room = newRoom()
    const store = open(server.url, room, { did: ALICE })
    await until(store, (s) => s.status === 'live')
    const record = await store.put({ text: 'eventually' })
    expect(writeAttempts).toBe(3)
    expect((await listed(server.url, room)).map((r) => r.rkey)).toEqual([record.rkey])
  })

  it('waits the connection’s full-jitter backoff (its reconnect options) between retries of a failing write', async () => {
    let failuresLeft = 2
    const server = await startServer({
      authorize: ({ access }: AuthorizeRequest) => {
        if (access === 'write' && failuresLeft-- > 0) throw new Error('storage is down')
        return true
      },
    })
    const room = newRoom()
    const requested: number[] = []
    const environment = {
      ...defaultEnvironment,
      // The top of each jitter range, so the delays are exactly the backoff ceilings.
      random: () => 0.999,
      setTimeout: (callback: () => void, ms: number) => {
        requested.push(ms)
        return defaultEnvironment.setTimeout(callback, ms)
      },
    }
    const store = createRecordStore<Message>(
      { url: watchUrl(room), baseUrl: server.url, did: ALICE, reconnect: { initialDelayMs: 40, maxDelayMs: 70 } },
      { environment },
    )
    stores.push(store)
    store.start()
    await until(store, (s) => s.status === 'live')
    await store.put({ text: 'third time lucky' })
    // Two failures: waits of up to 40 ms, then up to min(70, 80) ms; the heartbeat's long timers aside.
    expect(requested.filter((ms) => ms < 1000)).toEqual([39, 69])
  })

  it('sends a waiting write at once when the device comes back online, without waiting out the backoff', async () => {
    let failuresLeft = 1
    const server = await startServer({
      authorize: ({ access }: AuthorizeRequest) => {
        if (access === 'write' && failuresLeft-- > 0) throw new Error('storage is down')
        return true
      },
    })
    const room = newRoom()
    const onlineListeners = new Set<() => void>()
    const environment = {
      ...defaultEnvironment,
      random: () => 0.999,
      onOnline: (callback: () => void) => {
        onlineListeners.add(callback)
        return () => onlineListeners.delete(callback)
      },
    }
    // A backoff of about a minute: only the online signal can deliver the write within the test.
    const cache = createMemoryCache()
    const store = createRecordStore<Message>({ url: watchUrl(room), baseUrl: server.url, did: ALICE, cache, reconnect: { initialDelayMs: 60_000 } }, { environment })
    stores.push(store)
    store.start()
    await until(store, (s) => s.status === 'live')
    const written = store.put({ text: 'back online' })
    // The first send failed and is recorded: the entry now waits for its retry.
    await expect.poll(async () => (await cache.loadOutbox(watchUrl(room)))[0]?.tries).toBe(1)
    expect(store.getSnapshot().records[0]?.optimistic).toBe('pending')
    for (const listener of [...onlineListeners]) listener()
    expect((await written).value.text).toBe('back online')
  })

  it('is idempotent: a reply lost to a reset is sent again and leaves exactly one record', async () => {
    const server = await startServer()
    const proxy = await startFaultProxy({ port: server.port })
    proxies.push(proxy)
    const room = newRoom()
    const store = open(proxy.url, room, { did: ALICE })
    await until(store, (s) => s.status === 'live')

    proxy.loseNextReply('putRecord')
    const record = await store.put({ text: 'once' })
    expect(proxy.lostReplies).toBe(1)
    const stored = await listed(server.url, room)
    expect(stored.map((r) => [r.rkey, r.value.text])).toEqual([[record.rkey, 'once']])
    const settled = await until(store, (s) => s.saved.server && s.records.every((r) => r.optimistic === undefined))
    expect(settled.records.map((r) => r.value.text)).toEqual(['once'])
  })

  it('has a write made the moment the store starts in the cache once stop() resolves', async () => {
    const server = await startServer()
    await server.close()
    servers = []
    const room = newRoom()
    const cache = createMemoryCache()
    const store = open(server.url, room, { did: ALICE, cache })
    void store.put({ text: 'right away' }, { rkey: 'early-1' })
    expect(store.getSnapshot().records.map((r) => [r.rkey, r.optimistic])).toEqual([['early-1', 'pending']])
    await store.stop()
    expect((await cache.loadOutbox(watchUrl(room))).map((entry) => entry.rkey)).toEqual(['early-1'])
  })

  it('says saved.local only once a write made before the write module arrived is in the cache', async () => {
    const server = await startServer()
    const room = newRoom()
    const cache = createMemoryCache()
    const store = open(server.url, room, { did: ALICE, cache })
    void store.put({ text: 'right away' }, { rkey: 'early-2' })
    // The write module cannot have arrived yet (it loads asynchronously), so nothing is in the cache.
    expect(store.getSnapshot().saved).toEqual({ local: false, server: false })
    await pollUntil(() => store.getSnapshot().saved.server === true, 'the write confirmed')
    expect(store.getSnapshot().saved).toEqual({ local: true, server: true })
  })

  it('keeps a write made while the server is down across a reload, and delivers it once when it is back', async () => {
    const storage = memoryStorage()
    const first = await startServer({ storage })
    const { port } = first
    const room = newRoom()
    const cache: RecordCache = createMemoryCache()
    const before = open(first.url, room, { did: ALICE, cache })
    await until(before, (s) => s.status === 'live')
    await first.close()
    servers = servers.filter((server) => server !== first)
    await until(before, (s) => s.status === 'reconnecting')

    void before.put({ text: 'typed offline' }, { rkey: 'offline-1' })
    await until(before, (s) => s.saved.local && s.records[0]?.optimistic === 'pending')
    await before.stop() // the page goes away
    stores = stores.filter((store) => store !== before)

    const after = open(`http://127.0.0.1:${port}`, room, { did: ALICE, cache })
    await until(after, (s) => s.records[0]?.rkey === 'offline-1' && s.records[0].optimistic === 'pending')
    const second = await startServer({ storage, port })
    await until(after, (s) => s.status === 'live' && s.saved.server && s.records[0]?.optimistic === undefined, 15_000)
    expect((await listed(second.url, room)).map((r) => [r.rkey, r.value.text])).toEqual([['offline-1', 'typed offline']])
    await pollUntil(() => after.getSaveState().savedLocal, 'the outbox entry removed from the cache')
    expect(await cache.loadOutbox(watchUrl(room))).toEqual([])
  })
})
