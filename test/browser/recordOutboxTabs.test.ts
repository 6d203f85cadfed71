import { describe, expect, inject, it } from 'vitest'
import { createIndexedDBCache } from '../../src/core/cache/indexedDBCache.js'
import { createRecordStore } from '../../src/core/records/recordStore.js'

const serverUrl = inject('serverUrl')

/** A send lock that holds every send until `release()`: what a tab without the lock sees. */
function heldLock(): { lock: (name: string, send: () => Promise<void>) => Promise<void>; release: () => void; asked: string[] } {
  let release = (): void => {}
  const released = new Promise<void>((resolve) => (release = resolve))
  const asked: string[] = []
  return {
    asked,
    release: () => release(),
    lock: async (name, send) => {
      asked.push(name)
      await released
      await send()
    },
  }
}

describe('one outbox in IndexedDB shared by two tabs (two caches on one database)', () => {
  it('shows a write queued in one tab as pending in the other, and both see it confirmed once it is sent', async () => {
    const room = `tabs-${crypto.randomUUID()}`
    const dbName = `outbox-tabs-${room}`
    const url = `/xrpc/com.example.message.watchRecords?roomUri=${room}`
    const lockA = heldLock()
    const lockB = heldLock()
    const a = createRecordStore<{ text: string }>({ url, baseUrl: serverUrl, did: 'did:example:alice', cache: createIndexedDBCache({ dbName }), sendLock: lockA.lock })
    const b = createRecordStore<{ text: string }>({ url, baseUrl: serverUrl, did: 'did:example:alice', cache: createIndexedDBCache({ dbName }), sendLock: lockB.lock })
    a.start()
    b.start()
    await expect.poll(() => a.getSnapshot().status === 'live' && b.getSnapshot().status === 'live').toBe(true)

    const sent = a.put({ text: 'from tab A' }, { rkey: 'tab-1' })
    await expect.poll(() => b.getSnapshot().records.map((r) => `${r.value.text}:${r.optimistic ?? 'confirmed'}`)).toEqual(['from tab A:pending'])
    expect(b.getSnapshot().saved.server).toBe(false)
    // The send goes through the lock, one name per entry, in both tabs.
    await expect.poll(() => lockA.asked.length).toBe(1)
    expect(lockA.asked[0]).toMatch(/^syncline-outbox:.*:[2-7a-j][2-7a-z]{12}$/)

    lockA.release()
    const record = await sent
    expect(record.rkey).toBe('tab-1')
    await expect.poll(() => b.getSnapshot().records.map((r) => `${r.value.text}:${r.optimistic ?? 'confirmed'}`)).toEqual(['from tab A:confirmed'])
    await expect.poll(() => b.getSnapshot().saved.server).toBe(true)
    lockB.release()
    await Promise.all([a.stop(), b.stop()])
  })
})
