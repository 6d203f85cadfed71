import { openDB } from 'idb'
import { describe, expect, inject, it } from 'vitest'
import { createIndexedDBCache } from '../../src/core/cache/indexedDBCache.js'
import type { DocCache, RecordCache } from '../../src/core/cache/types.js'
import { createSyncClient } from '../../src/core/client.js'
import { automergeDocSupport } from '../../src/core/docs/docSupport.js'

const serverUrl = inject('serverUrl')
const documentsUrl = serverUrl.replace('http:', 'ws:') + '/'
const url = (room: string): string => `/xrpc/com.example.message.watchRecords?roomUri=${encodeURIComponent(room)}`

async function xrpc(method: 'putRecord' | 'deleteRecord', body: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${serverUrl}/xrpc/com.example.message.${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ did: 'did:example:alice', ...body }),
  })
  expect(response.status).toBe(200)
}

/** How many entries each object store of the database holds, read with idb directly. */
async function countsIn(dbName: string): Promise<Record<string, number>> {
  const database = await openDB(dbName)
  const counts: Record<string, number> = {}
  for (const name of database.objectStoreNames) counts[name] = await database.count(name)
  database.close()
  return counts
}

/** The IndexedDB cache, with what each of its reads returned written down. */
function observedCache(dbName: string) {
  const cache = createIndexedDBCache({ dbName })
  const reads: Array<{ kind: 'records' | 'doc'; found: number }> = []
  const observed: RecordCache & DocCache = {
    ...cache,
    loadRecords: async <V,>(key: string) => {
      const records = await cache.loadRecords<V>(key)
      reads.push({ kind: 'records', found: records?.length ?? 0 })
      return records
    },
    loadDoc: async (documentId) => {
      const chunks = await cache.loadDoc(documentId)
      reads.push({ kind: 'doc', found: chunks.length })
      return chunks
    },
  }
  return { cache: observed, reads }
}

describe('clearLocalData in Chromium', () => {
  it("logout clears IndexedDB: the next user on this browser profile sees none of the first user's data", async () => {
    const dbName = `logout-${crypto.randomUUID()}`
    const room = `inbox-${crypto.randomUUID()}`
    await xrpc('putRecord', { roomUri: room, rkey: 'a1', value: { text: 'A private one' } })
    await xrpc('putRecord', { roomUri: room, rkey: 'a2', value: { text: 'A private two' } })

    // User A signs in: records and a document end up in IndexedDB.
    const userA = createSyncClient({ url: documentsUrl, recordsBaseUrl: serverUrl, cache: createIndexedDBCache({ dbName }) })
    const records = userA.getRecordStore<{ text: string }>(url(room))
    const releaseRecords = userA.retain(records)
    await expect.poll(() => records.getSnapshot().status === 'live' && records.getSnapshot().records.length).toBe(2)
    const doc = userA.createDoc<{ text: string }>({ text: 'A private doc' }, automergeDocSupport)
    const releaseDoc = userA.retain(doc)
    await doc.whenSaved('server')
    await doc.whenSaved('local')
    await records.flushCache()
    // Another tab of the same profile shows A's records too.
    const otherTab = createSyncClient({ url: documentsUrl, recordsBaseUrl: serverUrl, cache: createIndexedDBCache({ dbName }) })
    const otherRecords = otherTab.getRecordStore<{ text: string }>(url(room))
    const releaseOther = otherTab.retain(otherRecords)
    await expect.poll(() => otherRecords.getSnapshot().records.length).toBe(2)
    const before = await countsIn(dbName)
    expect(before['records']).toBeGreaterThan(0)
    expect(before['docChunks']).toBeGreaterThan(0)

    // A new message reaches the other tab, whose cache write of it is still to come.
    await xrpc('putRecord', { roomUri: room, rkey: 'a3', value: { text: 'A private three' } })
    await expect.poll(() => otherRecords.getSnapshot().records.length).toBe(3)

    // Logout.
    await userA.clearLocalData()
    releaseRecords()
    releaseDoc()
    // The other tab writes before it hears of the clear (BroadcastChannel delivers in a later task).
    await otherRecords.flushCache()
    // It hears, stops showing A's records, and takes back what it wrote after the clear.
    await expect.poll(() => otherRecords.getSnapshot().records.length).toBe(0)
    expect(otherRecords.getSnapshot().status).toBe('closed')
    releaseOther()
    await otherTab.close() // resolves once it has finished forgetting
    const after = await countsIn(dbName)
    expect(Object.keys(after).sort()).toEqual(['docChunks', 'outbox', 'records'])
    expect(Object.values(after)).toEqual([0, 0, 0])

    // A's records leave the server's room, so whatever user B's first paint shows can only
    // come from this browser's cache; B's documents server is unreachable for the same reason.
    await xrpc('deleteRecord', { roomUri: room, rkey: 'a1' })
    await xrpc('deleteRecord', { roomUri: room, rkey: 'a2' })
    await xrpc('deleteRecord', { roomUri: room, rkey: 'a3' })
    const { cache, reads } = observedCache(dbName)
    const userB = createSyncClient({ url: 'ws://127.0.0.1:9/', recordsBaseUrl: serverUrl, cache, reconnect: false })
    const bRecords = userB.getRecordStore<{ text: string }>(url(room))
    const seen: string[] = []
    const unsubscribe = bRecords.subscribe(() => seen.push(...bRecords.getSnapshot().records.map((record) => record.value.text)))
    const releaseB = userB.retain(bRecords)
    const bDoc = userB.getDocStore<{ text: string }>(doc.url, automergeDocSupport)
    const releaseBDoc = userB.retain(bDoc)
    await expect.poll(() => reads.length).toBe(2)
    expect(reads.sort((a, b) => a.kind.localeCompare(b.kind))).toEqual([
      { kind: 'doc', found: 0 },
      { kind: 'records', found: 0 },
    ])
    await expect.poll(() => bRecords.getSnapshot().status).toBe('live')
    expect(seen).toEqual([])
    expect(bDoc.getSnapshot().doc).toBeUndefined()
    unsubscribe()
    releaseB()
    releaseBDoc()
    await Promise.all([userA.close(), otherTab.close(), userB.close()])
  })
})
