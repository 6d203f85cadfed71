import { describe, expect, inject, it } from 'vitest'
import { createIndexedDBCache } from '../../src/core/cache/indexedDBCache.js'
import { createRecordStore } from '../../src/core/records/recordStore.js'
import type { RecordSnapshot } from '../../src/core/records/types.js'

const serverUrl = inject('serverUrl')

async function put(roomUri: string, text: string): Promise<void> {
  const response = await fetch(`${serverUrl}/xrpc/com.example.message.putRecord`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ roomUri, value: { text }, did: 'did:example:alice' }),
  })
  expect(response.status).toBe(200)
}

function waitFor<V>(store: { getSnapshot(): RecordSnapshot<V>; subscribe(l: () => void): () => void }, predicate: (s: RecordSnapshot<V>) => boolean): Promise<RecordSnapshot<V>> {
  return new Promise((resolve) => {
    const check = (): void => {
      const snapshot = store.getSnapshot()
      if (predicate(snapshot)) {
        unsubscribe()
        resolve(snapshot)
      }
    }
    const unsubscribe = store.subscribe(check)
    check()
  })
}

describe('record store with IndexedDB in Chromium', () => {
  it('paints cached records from IndexedDB before the network answers, then goes live', async () => {
    const room = `room-${crypto.randomUUID()}`
    const dbName = `paint-${room}`
    const url = `/xrpc/com.example.message.watchRecords?roomUri=${room}`
    await put(room, 'first')
    await put(room, 'second')

    const first = createRecordStore<{ text: string }>({ url, baseUrl: serverUrl, cache: createIndexedDBCache({ dbName }) })
    first.start()
    await waitFor(first, (s) => s.status === 'live' && s.records.length === 2)
    await first.stop()

    // A new session: a fresh IndexedDB connection, and a network that has not answered yet.
    let releaseNetwork!: () => void
    const networkAnswered = new Promise<void>((resolve) => (releaseNetwork = resolve))
    const slowFetch: typeof fetch = async (input, init) => {
      await networkAnswered
      return fetch(input, init)
    }
    const second = createRecordStore<{ text: string }>({ url, baseUrl: serverUrl, cache: createIndexedDBCache({ dbName }), fetch: slowFetch })
    second.start()
    const painted = await waitFor(second, (s) => s.records.length === 2)
    expect(painted.status).toBe('connecting')
    expect(painted.records.map((r) => r.value.text)).toEqual(['second', 'first'])

    releaseNetwork()
    const live = await waitFor(second, (s) => s.status === 'live')
    expect(live.records.map((r) => r.value.text)).toEqual(['second', 'first'])
    await second.stop()
  })
})
