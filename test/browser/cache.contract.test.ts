import { openDB } from 'idb'
import { describe, expect, it } from 'vitest'
import { createIndexedDBCache } from '../../src/core/cache/indexedDBCache.js'
import { lazyCache } from '../../src/core/cache/lazyCache.js'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import type { DocCache, OutboxEntry, RecordCache } from '../../src/core/cache/types.js'
import { docCacheContract } from '../core/docs/docCacheContract.js'
import type { WatchRecord } from '../../src/core/records/types.js'

const record = (rkey: string, text: string): WatchRecord<{ text: string }> => ({
  uri: `at://did:example:a/com.example.message/${rkey}`,
  did: 'did:example:a',
  rkey,
  collection: 'com.example.message',
  value: { text },
  time_us: Number(rkey.replace(/\D/g, '')) || 1,
})

let dbCounter = 0

/** What <SyncProvider> makes by default: the IndexedDB cache, its code loaded on first use. */
const lazyIndexedDB = (dbName: string) => lazyCache(() => import('../../src/core/cache/indexedDBCache.js').then((module) => module.createIndexedDBCache({ dbName })))
const caches: Array<[string, () => { open: () => RecordCache }]> = [
  ['memory', () => {
    const shared = createMemoryCache()
    return { open: () => shared }
  }],
  ['indexedDB', () => {
    // Each "open" is a new connection to the same database, as after a page reload.
    const dbName = `contract-${Date.now()}-${dbCounter++}`
    return { open: () => createIndexedDBCache({ dbName }) }
  }],
  ['indexedDB, loaded on first use', () => {
    const dbName = `lazy-contract-${Date.now()}-${dbCounter++}`
    return { open: () => lazyIndexedDB(dbName) }
  }],
]

describe.each(caches)('%s record cache', (_name, make) => {
  it('returns undefined for a key never saved', async () => {
    const cache = make().open()
    expect(await cache.loadRecords('nothing-here')).toBeUndefined()
  })

  it('round-trips records under a key, in order, across connections', async () => {
    const factory = make()
    const writer = factory.open()
    await writer.saveRecords('room-a', [record('r3', 'three'), record('r2', 'two')])
    await writer.saveRecords('room-b', [record('r9', 'other')])
    const reader = factory.open()
    expect((await reader.loadRecords('room-a'))?.map((r) => r.rkey)).toEqual(['r3', 'r2'])
    expect((await reader.loadRecords<{ text: string }>('room-b'))?.[0]?.value.text).toBe('other')
  })

  it('replaces on save and forgets on delete', async () => {
    const cache = make().open()
    await cache.saveRecords('room', [record('r1', 'one'), record('r2', 'two')])
    await cache.saveRecords('room', [record('r5', 'five')])
    expect((await cache.loadRecords('room'))?.map((r) => r.rkey)).toEqual(['r5'])
    await cache.deleteRecords('room')
    expect(await cache.loadRecords('room')).toBeUndefined()
  })

  const entry = (id: string, rkey: string, extra: Partial<OutboxEntry<{ text: string }>> = {}): OutboxEntry<{ text: string }> => ({
    id, op: 'put', rkey, value: { text: rkey }, time_us: 1, tries: 0, ...extra,
  })

  it('keeps outbox entries per key in id order across connections, replacing by id and deleting one', async () => {
    const factory = make()
    const writer = factory.open()
    expect(await writer.loadOutbox('room')).toEqual([])
    await writer.saveOutboxEntry('room', entry('3b', 'later'))
    await writer.saveOutboxEntry('room', entry('3a', 'first'))
    await writer.saveOutboxEntry('other', entry('3c', 'elsewhere'))
    await writer.saveOutboxEntry('room', entry('3b', 'later', { tries: 2, failed: true, lastError: { code: 'forbidden', message: 'no', status: 403 } }))
    const reader = factory.open()
    const stored = await reader.loadOutbox<{ text: string }>('room')
    expect(stored.map((e) => e.id)).toEqual(['3a', '3b'])
    expect(stored[1]).toEqual(entry('3b', 'later', { tries: 2, failed: true, lastError: { code: 'forbidden', message: 'no', status: 403 } }))
    await reader.deleteOutboxEntry('room', '3a')
    await reader.deleteOutboxEntry('room', 'never-there')
    expect((await factory.open().loadOutbox('room')).map((e) => e.id)).toEqual(['3b'])
    expect((await factory.open().loadOutbox('other')).map((e) => e.id)).toEqual(['3c'])
  })

  it('tells outbox watchers of every write, on this connection and on another one', async () => {
    const factory = make()
    const here = factory.open()
    const there = factory.open()
    const heardHere: string[] = []
    const heardThere: string[] = []
    const stopHere = here.watchOutbox((key) => heardHere.push(key))
    const stopThere = there.watchOutbox((key) => heardThere.push(key))
    await here.saveOutboxEntry('room-w', entry('4a', 'x'))
    await here.deleteOutboxEntry('room-w', '4a')
    await expect.poll(() => heardHere.length).toBe(2)
    await expect.poll(() => heardThere.length).toBe(2)
    expect([...heardHere, ...heardThere].every((key) => key === 'room-w')).toBe(true)
    stopHere()
    stopThere()
    await here.saveOutboxEntry('room-w', entry('4b', 'y'))
    await here.loadOutbox('room-w')
    expect(heardHere.length).toBe(2)
  })

  it('is not affected by mutating the array after saving', async () => {
    const cache = make().open()
    const list = [record('r1', 'one')]
    await cache.saveRecords('room', list)
    list.push(record('r2', 'two'))
    expect(await cache.loadRecords('room')).toHaveLength(1)
  })
})

const docCaches: Array<[string, () => { open: () => DocCache }]> = [
  ['memory', () => {
    const shared = createMemoryCache()
    return { open: () => shared }
  }],
  ['indexedDB', () => {
    // Each "open" is another connection to one database: a reload, or another tab
    // (their watchers hear each other through BroadcastChannel).
    const dbName = `doc-contract-${Date.now()}-${dbCounter++}`
    return { open: () => createIndexedDBCache({ dbName }) }
  }],
  ['indexedDB, loaded on first use', () => {
    const dbName = `lazy-doc-contract-${Date.now()}-${dbCounter++}`
    return { open: () => lazyIndexedDB(dbName) }
  }],
]

describe.each(docCaches)('%s doc cache', (_name, make) => {
  docCacheContract(make)
})

const fullCaches: Array<[string, () => { open: () => RecordCache & DocCache }]> = [
  ['memory', () => {
    const shared = createMemoryCache()
    return { open: () => shared }
  }],
  ['indexedDB', () => {
    const dbName = `clear-contract-${Date.now()}-${dbCounter++}`
    return { open: () => createIndexedDBCache({ dbName }) }
  }],
  ['indexedDB, loaded on first use', () => {
    const dbName = `lazy-clear-contract-${Date.now()}-${dbCounter++}`
    return { open: () => lazyIndexedDB(dbName) }
  }],
]

describe.each(fullCaches)('%s cache clear', (_name, make) => {
  it('deletes every record list, every document and the outbox, and the cache keeps working afterwards', async () => {
    const factory = make()
    const cache = factory.open()
    await cache.saveRecords('room-a', [record('r1', 'one')])
    await cache.saveRecords('room-b', [record('r2', 'two')])
    await cache.saveDocChunk('doc', { key: 's-1', kind: 'snapshot', data: Uint8Array.from([1]) })
    await cache.saveOutboxEntry('room-a', { id: 'o1', op: 'put', rkey: 'unsent', value: { text: 'unsent' }, time_us: 1, tries: 0 })
    await cache.clear()
    const reader = factory.open()
    expect(await reader.loadRecords('room-a')).toBeUndefined()
    expect(await reader.loadRecords('room-b')).toBeUndefined()
    expect(await reader.loadDoc('doc')).toEqual([])
    expect(await reader.loadOutbox('room-a')).toEqual([])
    await cache.saveRecords('room-a', [record('r3', 'after')])
    expect((await reader.loadRecords('room-a'))?.map((r) => r.rkey)).toEqual(['r3'])
  })

  it('tells watchCleared listeners here and on other connections (tabs), not ones that unsubscribed', async () => {
    const factory = make()
    const clearing = factory.open()
    const otherTab = factory.open()
    const heard: string[] = []
    const stopHere = clearing.watchCleared!(() => heard.push('here'))
    otherTab.watchCleared!(() => heard.push('other tab'))
    clearing.watchCleared!(() => heard.push('unsubscribed'))()
    await clearing.clear()
    await expect.poll(() => heard.length).toBe(2)
    expect(heard.sort()).toEqual(['here', 'other tab'])
    stopHere()
  })
})

describe('indexedDB schema', () => {
  it('opens (and so creates) its database as soon as it is made, before the first read asks for it', async () => {
    const dbName = `eager-${Date.now()}-${dbCounter++}`
    const cache = createIndexedDBCache({ dbName })
    // Nothing is asked of the cache: the open runs while the app renders, not after.
    await expect.poll(async () => (await indexedDB.databases()).some((database) => database.name === dbName)).toBe(true)
    expect(await cache.loadRecords('room')).toBeUndefined()
    cache.close()
  })

  it('upgrades a version 2 database to version 3, keeping its records and documents, and adds the outbox', async () => {
    const dbName = `upgrade-v2-${Date.now()}-${dbCounter++}`
    const v2 = await openDB(dbName, 2, {
      upgrade(database) {
        database.createObjectStore('records', { keyPath: 'key' })
        database.createObjectStore('docChunks', { keyPath: ['documentId', 'key'] })
      },
    })
    await v2.put('records', { key: 'room', records: [record('r1', 'kept')], savedAt: 1 })
    await v2.put('docChunks', { documentId: 'doc', key: 's', kind: 'snapshot', data: Uint8Array.from([7]), savedAt: 1 })
    v2.close()

    const cache = createIndexedDBCache({ dbName })
    expect((await cache.loadRecords<{ text: string }>('room'))?.[0]?.value.text).toBe('kept')
    expect((await cache.loadDoc('doc')).map((chunk) => [...chunk.data])).toEqual([[7]])
    await cache.saveOutboxEntry('room', { id: '5a', op: 'delete', rkey: 'r1', time_us: 1, tries: 0 })
    expect((await cache.loadOutbox('room')).map((e) => e.rkey)).toEqual(['r1'])
    cache.close()
    const reopened = await openDB(dbName)
    expect(reopened.version).toBe(3)
    expect([...reopened.objectStoreNames].sort()).toEqual(['docChunks', 'outbox', 'records'])
    reopened.close()
  })

  it('upgrades a version 1 database to the current version, keeping its records', async () => {
    const dbName = `upgrade-${Date.now()}-${dbCounter++}`
    const v1 = await openDB(dbName, 1, {
      upgrade(database) {
        database.createObjectStore('records', { keyPath: 'key' })
      },
    })
    await v1.put('records', { key: 'room', records: [record('r1', 'kept')], savedAt: 1 })
    v1.close()

    const cache = createIndexedDBCache({ dbName })
    expect((await cache.loadRecords<{ text: string }>('room'))?.[0]?.value.text).toBe('kept')
    await cache.saveDocChunk('doc', { key: 's', kind: 'snapshot', data: Uint8Array.from([1]) })
    expect(await cache.loadDoc('doc')).toHaveLength(1)
    cache.close()
    const reopened = await openDB(dbName)
    expect(reopened.version).toBe(3)
    expect([...reopened.objectStoreNames].sort()).toEqual(['docChunks', 'outbox', 'records'])
    reopened.close()
  })
})
