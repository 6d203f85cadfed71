import { afterEach, describe, expect, it } from 'vitest'
import type { WatchRecordStore } from '../../src/core/records/recordStore.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { FaultProxy } from '../support/faultProxy.js'
import { startFaultProxy } from '../support/faultProxy.js'
import type { Message } from '../support/records.js'
import { newRoom, openStore, putRecord, texts, until } from '../support/records.js'

/** Small on purpose: the server says something every 100 ms, the client gives up after 300 ms of silence. */
const KEEPALIVE_MS = 100
const HEARTBEAT_MS = 300

/** Resolves once `condition()` holds; fails naming `what` it waited for. */
async function poll(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe.each(['ws', 'sse'] as const)('a records watch over %s through a path that goes half-open', (transport) => {
  let server: SyncServer
  let proxy: FaultProxy
  const stores: WatchRecordStore<Message>[] = []

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.stop()))
    await proxy.close()
    await server.close()
  })

  it('leaves live within the heartbeat window once the path swallows everything, and is live again once it heals', async () => {
    server = createSyncServer({ port: 0, storage: memoryStorage(), keepaliveMs: KEEPALIVE_MS })
    await server.start()
    proxy = await startFaultProxy({ port: server.port })
    const room = newRoom()
    const store = openStore(proxy.url, room, { transport, heartbeatMs: HEARTBEAT_MS, reconnect: { initialDelayMs: 20, maxDelayMs: 100 } })
    stores.push(store)
    await until(store, (s) => s.status === 'live')
    await putRecord(server.url, room, { text: 'before' })
    await until(store, (s) => s.records.length === 1)

    proxy.blackhole()
    // A socket in a blackhole is never closed: only the heartbeat can end it. 10 windows of slack.
    const dropped = await until(store, (s) => s.status !== 'live', 10 * HEARTBEAT_MS)
    expect(dropped.error?.code).toBe('network')
    // Let reconnect attempts walk into the blackhole too: they must time out rather than hang.
    const swallowedSoFar = proxy.accepted
    await poll(() => proxy.accepted >= swallowedSoFar + 2, 'two reconnect attempts swallowed by the blackhole')
    expect(store.getSnapshot().status).not.toBe('live')

    proxy.heal()
    await until(store, (s) => s.status === 'live')
    // The new connection is real: a write made now arrives through it.
    await putRecord(server.url, room, { text: 'after' })
    expect(texts(await until(store, (s) => s.records.length === 2))).toEqual(['after', 'before'])
  })

  it('stays live past many heartbeat windows on a healthy but quiet path', async () => {
    server = createSyncServer({ port: 0, storage: memoryStorage(), keepaliveMs: KEEPALIVE_MS })
    await server.start()
    proxy = await startFaultProxy({ port: server.port })
    // A wider window than above (six keepalives, not three): a busy test machine can stall a turn or two.
    const store = openStore(proxy.url, newRoom(), { transport, heartbeatMs: 2 * HEARTBEAT_MS })
    stores.push(store)
    await until(store, (s) => s.status === 'live')
    const statuses: string[] = []
    store.subscribe(() => statuses.push(store.getSnapshot().status))
    const acceptedWhenLive = proxy.accepted
    await new Promise((resolve) => setTimeout(resolve, 6 * HEARTBEAT_MS))
    expect(statuses).toEqual([])
    expect(store.getSnapshot()).toMatchObject({ status: 'live', error: null })
    expect(proxy.accepted).toBe(acceptedWhenLive)
  })
})
