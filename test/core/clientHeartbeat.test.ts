import { WebSocket } from 'ws'
import { afterEach, expect, it } from 'vitest'
import { createSyncClient } from '../../src/core/client.js'
import type { SyncClient } from '../../src/core/client.js'
import { automergeDocSupport } from '../../src/core/docs/docSupport.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import type { FaultProxy } from '../support/faultProxy.js'
import { startFaultProxy } from '../support/faultProxy.js'
import { newRoom, watchUrl } from '../support/records.js'
import { pollUntil as until } from '../support/poll.js'

let server: SyncServer
let proxy: FaultProxy
let client: SyncClient

afterEach(async () => {
  await client.close()
  await proxy.close()
  await server.close()
})


it("passes the client's heartbeatMs to its record watches and its document connection", async () => {
  server = createSyncServer({ port: 0, storage: memoryStorage(), keepaliveMs: 100 })
  await server.start()
  proxy = await startFaultProxy({ port: server.port })
  client = createSyncClient({
    url: proxy.url.replace('http:', 'ws:') + '/',
    recordsBaseUrl: proxy.url,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
    heartbeatMs: 300,
  })
  const sse = client.getRecordStore(watchUrl(newRoom()))
  const ws = client.getRecordStore(watchUrl(newRoom()), { transport: 'ws' })
  const releases = [client.retain(sse), client.retain(ws)]
  const doc = client.createDoc({ n: 1 }, automergeDocSupport)
  releases.push(client.retain(doc))
  const docs = client.docConnection!
  const all = [sse, ws, docs]
  await until(() => all.every((store) => store.getSnapshot().status === 'live'), 'all three live')

  proxy.blackhole()
  // With the 45 s default none of them would leave live for a long while.
  await until(() => all.every((store) => store.getSnapshot().status !== 'live'), 'all three to leave live', 3000)
  expect(all.map((store) => store.getSnapshot().error?.code)).toEqual(['network', 'network', 'network'])
  for (const release of releases) release()
})
