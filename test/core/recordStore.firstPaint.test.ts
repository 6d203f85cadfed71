import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import type { OutboxEntry, RecordCache } from '../../src/core/cache/types.js'
import { ConfirmedRecords } from '../../src/core/records/confirmedRecords.js'
import type { WatchRecordStore } from '../../src/core/records/recordStore.js'
import { createRecordStore } from '../../src/core/records/recordStore.js'
import type { RecordSnapshot, WatchRecord } from '../../src/core/records/types.js'
import { pollUntil } from '../support/poll.js'

const COLLECTION = 'com.example.message'
const DID = 'did:example:alice'
/** Nothing listens on port 9: the store paints from its cache alone, as offline. */
const URL = `http://127.0.0.1:9/xrpc/${COLLECTION}.watchRecords?roomUri=first-paint`

interface Message {
  text: string
}

const record = (rkey: string, text: string, timeUs: number): WatchRecord<Message> => ({
  uri: `at://${DID}/${COLLECTION}/${rkey}`,
  did: DID,
  rkey,
  collection: COLLECTION,
  cid: `cid-${rkey}`,
  value: { text },
  time_us: timeUs,
})

const pendingPut = (rkey: string, text: string): OutboxEntry<Message> => ({ id: `3k${rkey}`, op: 'put', rkey, value: { text }, did: DID, time_us: 3_000, tries: 0 })

const stores: WatchRecordStore<Message>[] = []
afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.stop()))
})

async function seededCache(): Promise<RecordCache> {
  const cache = createMemoryCache()
  await cache.saveRecords(URL, [record('b', 'second', 2_000), record('a', 'first', 1_000)])
  // The last session edited `a` and never got it to the server.
  await cache.saveOutboxEntry(URL, pendingPut('a', 'first, edited offline'))
  return cache
}

/** Every snapshot the store hands its listeners, in order. */
function recordSnapshots(store: WatchRecordStore<Message>): RecordSnapshot<Message>[] {
  const seen: RecordSnapshot<Message>[] = []
  store.subscribe(() => {
    const snapshot = store.getSnapshot()
    if (seen.at(-1) !== snapshot) seen.push(snapshot)
  })
  return seen
}

describe('first paint from the cache', () => {
  it('shows the unsent writes of the last session over the cached records in its very first paint', async () => {
    const store = createRecordStore<Message>({ url: URL, cache: await seededCache(), reconnect: false })
    stores.push(store)
    const seen = recordSnapshots(store)
    store.start()
    await pollUntil(() => seen.some((snapshot) => snapshot.records.length > 0), 'a paint from the cache')
    const firstPaint = seen.find((snapshot) => snapshot.records.length > 0)!
    // Before, the write chunk read the outbox on its own and the records could paint first, without the edit.
    expect(firstPaint.records.map((r) => [r.rkey, r.value.text, r.optimistic])).toEqual([
      ['a', 'first, edited offline', 'pending'],
      ['b', 'second', undefined],
    ])
    expect(firstPaint.saved.server).toBe(false)
    // The write code takes the same entry over: the edit never leaves the view, and keeps its object.
    const edited = firstPaint.records[0]
    await pollUntil(() => store.getSaveState().pending === 1 && seen.at(-1) !== firstPaint, 'the write code loaded')
    expect(seen.every((snapshot) => snapshot === firstPaint || snapshot.records.length === 0 || snapshot.records.includes(edited!))).toBe(true)
  })

  it('is connecting from start(), while its connection code waits for the paint', async () => {
    const store = createRecordStore<Message>({ url: URL, cache: await seededCache(), reconnect: false })
    stores.push(store)
    store.start()
    expect(store.getSnapshot().status).toBe('connecting')
  })

  it('stopped before the paint, never loads its connection', async () => {
    const store = createRecordStore<Message>({ url: URL, cache: await seededCache(), reconnect: false })
    store.start()
    await store.stop()
    const seen = recordSnapshots(store)
    await new Promise((resolve) => setTimeout(resolve, 150)) // past the head start
    expect(seen.map((snapshot) => snapshot.status).filter((status) => status !== 'closed')).toEqual([])
    expect(store.getSnapshot().status).toBe('closed')
  })
})

describe('a slow cache read', () => {
  it('is not written over before it has been read (no save of what this session has so far)', async () => {
    const inner = await seededCache()
    const saved: string[][] = []
    let releaseRead!: () => void
    const readGate = new Promise<void>((resolve) => (releaseRead = resolve))
    const cache: RecordCache = {
      ...inner,
      loadRecords: async <V,>(key: string) => {
        await readGate
        return inner.loadRecords<V>(key)
      },
      saveRecords: (key, records) => {
        saved.push(records.map((r) => r.rkey))
        return inner.saveRecords(key, records)
      },
    }
    const store = createRecordStore<Message>({ url: URL, cache, reconnect: false })
    stores.push(store)
    store.start()
    // Past the paint's head start (100 ms), the write code's load (which marks the records
    // changed) and the cache's write delay (250 ms) after it.
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(saved).toEqual([])
    releaseRead()
    await pollUntil(() => store.getSnapshot().records.length === 2, 'the cached records to paint')
    await store.stop()
    expect((await inner.loadRecords<Message>(URL))?.map((r) => r.rkey).sort()).toEqual(['a', 'b'])
    expect(saved.every((rkeys) => rkeys.length === 2)).toBe(true)
  })
})

describe('ConfirmedRecords after a cache seed', () => {
  it('finds, deletes and settles by author and rkey (its author index is built on first use)', () => {
    const confirmed = new ConfirmedRecords<Message>((a, b) => (b.time_us ?? 0) - (a.time_us ?? 0))
    expect(confirmed.seed([record('b', 'second', 2_000), record('a', 'first', 1_000)])).toBe(true)
    expect(confirmed.hasAuthorKey(DID, 'a')).toBe(true)
    expect(confirmed.getByAuthor(DID, 'b')?.value.text).toBe('second')
    confirmed.upsert(record('c', 'third', 3_000))
    expect(confirmed.getByAuthor(DID, 'c')?.value.text).toBe('third')
    expect(confirmed.delete({ did: DID, rkey: 'a' })).toBe(true)
    expect(confirmed.hasAuthorKey(DID, 'a')).toBe(false)
    expect([...confirmed.values()].map((r) => r.rkey)).toEqual(['b', 'c'])
    expect(confirmed.seed([record('b', 'stale', 2_000)])).toBe(false)
    expect(confirmed.getByAuthor(DID, 'b')?.value.text).toBe('second')
  })
})
