import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSyncClient, SyncClient } from '../../src/core/client.js'
import { watchRecordSupport } from '../../src/core/records/recordSupport.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { newRoom, putRecord, watchUrl } from '../support/records.js'
import { pollUntil as until } from '../support/poll.js'

let server: SyncServer
let client: SyncClient | null = null

beforeEach(async () => {
  server = createSyncServer({ port: 0, storage: memoryStorage() })
  await server.start()
})
afterEach(async () => {
  await client?.close()
  client = null
  await server.close()
})


describe('SyncClient record stores', () => {
  it('a client made without record support (as <SyncProvider> makes it) refuses getRecordStore until a caller passes the support, then keeps it', async () => {
    client = new SyncClient({ recordsBaseUrl: server.url })
    const url = watchUrl(newRoom())
    expect(() => client!.getRecordStore(url)).toThrow(expect.objectContaining({ name: 'SyncError', code: 'bad-input' }))
    const store = client.getRecordStore(url, {}, watchRecordSupport)
    // Later callers without it share the same store: the support passed first is kept.
    expect(client.getRecordStore(url)).toBe(store)
    const release = client.retain(store)
    await until(() => store.getSnapshot().status === 'live', "the store to be 'live'")
    release()
  })

  it('stops and forgets a store releaseDelayMs after its last user, so one-off URLs do not pile up', async () => {
    client = createSyncClient({ recordsBaseUrl: server.url, releaseDelayMs: 20 })
    const url = watchUrl(newRoom())
    const first = client.getRecordStore(url)
    const release = client.retain(first)
    await until(() => first.getSnapshot().status === 'live', "the first store to be 'live'")
    release()
    await until(() => first.getSnapshot().status === 'closed', "the released store to be stopped ('closed')")
    await until(() => client!.getRecordStore(url) !== first, 'getRecordStore to make a new store once the old one was forgotten')
  })

  it('forgets a store that was made but never retained (a render that never committed)', async () => {
    client = createSyncClient({ recordsBaseUrl: server.url, releaseDelayMs: 20 })
    const url = watchUrl(newRoom())
    const made = client.getRecordStore(url)
    expect(client.getRecordStore(url)).toBe(made)
    await until(() => client!.getRecordStore(url) !== made, 'the unretained store to be forgotten')
    expect(made.getSnapshot().status).toBe('idle')
  })

  it('a forgotten store a hook still holds comes back on retain and runs again', async () => {
    client = createSyncClient({ recordsBaseUrl: server.url, releaseDelayMs: 20 })
    const url = watchUrl(newRoom())
    const held = client.getRecordStore(url)
    client.retain(held)()
    await until(() => held.getSnapshot().status === 'closed', 'the released store to be stopped')
    const release = client.retain(held)
    expect(client.getRecordStore(url)).toBe(held)
    await until(() => held.getSnapshot().status === 'live', "the revived store to be 'live' again")
    release()
  })

  it('keeps a released store running while an optimistic write is unconfirmed, and counts it as pending', async () => {
    client = createSyncClient({ recordsBaseUrl: server.url, releaseDelayMs: 20 })
    const room = newRoom()
    const store = client.getRecordStore<{ text: string }>(watchUrl(room))
    const release = client.retain(store)
    await until(() => store.getSnapshot().status === 'live', "the store to be 'live'")
    store.addOptimistic({ rkey: 'pending-1', did: 'did:example:alice', value: { text: 'on its way' } })
    expect(client.getSyncStatus().pending).toBe(1)
    release()
    // Nothing to poll for: a stop would come releaseDelayMs (20 ms) after the release.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(store.getSnapshot().status).toBe('live')
    expect(client.getSyncStatus().pending).toBe(1)
    await putRecord(server.url, room, { text: 'on its way' }, { rkey: 'pending-1' })
    await until(() => client!.getSyncStatus().pending === 0, 'the confirmed write to leave the pending count')
    await until(() => store.getSnapshot().status === 'closed', 'the store to stop once nothing is pending')
  })

  it('keeps a released store running while an outbox write is unsent (the server fails with 5xx), and stops once it is delivered', async () => {
    let failing = true
    await server.close()
    server = createSyncServer({
      port: 0,
      storage: memoryStorage(),
      authorize: ({ access }) => {
        if (access === 'write' && failing) throw new Error('storage is down')
        return true
      },
    })
    await server.start()
    client = createSyncClient({ recordsBaseUrl: server.url, releaseDelayMs: 20, reconnect: { initialDelayMs: 20, maxDelayMs: 50 }, did: 'did:example:alice' })
    const room = newRoom()
    const store = client.getRecordStore<{ text: string }>(watchUrl(room))
    const release = client.retain(store)
    await until(() => store.getSnapshot().status === 'live', "the store to be 'live'")
    const written = store.put({ text: 'queued' })
    await until(() => client!.getSyncStatus().pending === 1, 'the write to count as pending')
    release()
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(store.getSnapshot().status).toBe('live')
    expect(client.getSyncStatus()).toMatchObject({ pending: 1, savedServer: false })
    failing = false
    const record = await written
    expect(record.value.text).toBe('queued')
    await until(() => client!.getSyncStatus().pending === 0, 'the delivered write to leave the pending count')
    await until(() => store.getSnapshot().status === 'closed', 'the store to stop once nothing is unsent')
  })
})
