import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createRecordStore } from '../../src/core/records/recordStore.js'
import type { WatchRecordStore } from '../../src/core/records/recordStore.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { Message } from '../support/records.js'
import { newRoom, recordStatuses, until, watchUrl } from '../support/records.js'

describe('record store over ws without a WebSocket implementation', () => {
  let server: SyncServer
  const stores: WatchRecordStore<Message>[] = []

  beforeEach(async () => {
    // Node 20 has no global WebSocket; newer Nodes and browsers do: take it away for this test.
    vi.stubGlobal('WebSocket', undefined)
    server = createSyncServer({ port: 0, storage: memoryStorage() })
    await server.start()
  })
  afterEach(async () => {
    vi.unstubAllGlobals()
    await Promise.all(stores.splice(0).map((store) => store.stop()))
    await server.close()
  })

  it('stops in closed with a bad-input error instead of retrying forever, as documents do', async () => {
    // No WebSocket option, unlike openStore's stores.
    const store = createRecordStore<Message>({ url: watchUrl(newRoom()), baseUrl: server.url, transport: 'ws', reconnect: { initialDelayMs: 1, maxDelayMs: 5 } })
    stores.push(store)
    store.start()
    const statuses = recordStatuses(store)
    const closed = await until(store, (s) => s.status === 'closed')
    expect(closed.error?.code).toBe('bad-input')
    expect(closed.error?.message).toContain('WebSocket option')
    // One attempt, no reconnect loop behind it.
    expect(statuses).toEqual(['connecting', 'closed'])
  })
})
