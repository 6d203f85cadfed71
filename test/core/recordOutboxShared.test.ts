import { afterEach, describe, expect, it } from 'vitest'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import type { RecordCache } from '../../src/core/cache/types.js'
import { createSendLock } from '../../src/core/records/outboxLock.js'
import type { WatchRecordStore } from '../../src/core/records/recordStore.js'
import type { WatchRecord } from '../../src/core/records/types.js'
import type { AuthorizeRequest, SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { HoldingProxy } from '../support/holdingProxy.js'
import { startHoldingProxy } from '../support/holdingProxy.js'
import { pollUntil } from '../support/poll.js'
import type { Message } from '../support/records.js'
import { COLLECTION, newRoom, openStore, until } from '../support/records.js'

// Two stores on one cache are two tabs sharing one outbox: whichever takes the send lock
// first sends an entry, even one the other tab queued.

const ALICE = 'did:example:alice'
let server: SyncServer | undefined
let stores: WatchRecordStore<Message>[] = []
let proxy: HoldingProxy | undefined

afterEach(async () => {
  await Promise.all(stores.splice(0).map((store) => store.stop()))
  await proxy?.close()
  proxy = undefined
  await server?.close()
  server = undefined
})

describe('an outbox shared by two stores (tabs)', () => {
  /** Tab A (`queuing`) never gets the lock; tab B (`sending`) sends whatever the shared outbox holds. */
  async function openTabs(options: Parameters<typeof createSyncServer>[0] = {}) {
    server = createSyncServer({ port: 0, storage: memoryStorage(), ...options })
    await server.start()
    const room = newRoom()
    const cache = createMemoryCache()
    const queuing = openStore(server.url, room, { did: ALICE, cache, sendLock: () => new Promise(() => {}) })
    const sending = openStore(server.url, room, { did: ALICE, cache })
    stores = [queuing, sending]
    await until(queuing, (s) => s.status === 'live')
    await until(sending, (s) => s.status === 'live')
    return { queuing, sending }
  }

  it("settles the put's promise in the tab that queued it when the other tab sent it", async () => {
    const { queuing, sending } = await openTabs()

    let settled: WatchRecord<Message> | undefined
    void queuing.put({ text: 'sent by the other tab' }, { rkey: 'shared-1' }).then((record) => (settled = record))
    await until(sending, (s) => s.records[0]?.rkey === 'shared-1' && s.records[0].optimistic === undefined)
    await until(queuing, (s) => s.saved.server && s.records[0]?.optimistic === undefined)
    await pollUntil(() => settled !== undefined, "the put's promise settled")
    expect(settled).toMatchObject({ rkey: 'shared-1', did: ALICE, uri: `at://${ALICE}/${COLLECTION}/shared-1`, value: { text: 'sent by the other tab' } })
  })

  it("rejects the put's promise in the tab that queued it when the server refused the other tab's send", async () => {
    const { queuing, sending } = await openTabs({ authorize: ({ access }: AuthorizeRequest) => access === 'read' })
    const refused = queuing.put({ text: 'not allowed' }, { rkey: 'shared-2' })
    await until(sending, (s) => s.records[0]?.optimistic === 'failed')
    await expect(refused).rejects.toMatchObject({ code: 'forbidden', status: 403 })
    expect(queuing.getSnapshot().records.map((r) => r.optimistic)).toEqual(['failed'])
  })

  it('releases the send lock only once the sent entry is gone from the shared cache, so the other tab does not send it again', async () => {
    server = createSyncServer({ port: 0, storage: memoryStorage() })
    await server.start()
    // Slow sends, so tab B waits for the lock while tab A sends; counted, so a second send shows.
    proxy = await startHoldingProxy(server.url, { holdPath: '.putRecord', holdMs: 300 })
    const room = newRoom()
    const shared = createMemoryCache()
    // A cache whose removals land late, as an IndexedDB transaction may land after a lock's release reaches the other tab.
    const slowRemovals: RecordCache = {
      ...shared,
      deleteOutboxEntry: (key, id) => new Promise((resolve) => setTimeout(resolve, 200)).then(() => shared.deleteOutboxEntry(key, id)),
    }
    // One lock shared by both stores (the in-process mutex), as the tabs' Web Lock is.
    const lock = createSendLock({ locks: null, BroadcastChannel: null })
    const sendLock = (name: string, send: () => Promise<void>): Promise<void> => lock(name, send).then(() => {})
    const a = openStore(proxy.url, room, { did: ALICE, cache: slowRemovals, sendLock })
    const b = openStore(proxy.url, room, { did: ALICE, cache: slowRemovals, sendLock })
    stores = [a, b]
    await until(a, (s) => s.status === 'live')
    await until(b, (s) => s.status === 'live')

    await a.put({ text: 'once' }, { rkey: 'once-1' })
    await until(b, (s) => s.saved.server && s.records[0]?.optimistic === undefined)
    await Promise.all([a.stop(), b.stop()]) // every send either tab started has finished
    expect(proxy.held.filter((body) => body.includes('"once-1"'))).toHaveLength(1)
  })
})
