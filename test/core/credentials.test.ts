import { WebSocket } from 'ws'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import type { SyncClient } from '../../src/core/client.js'
import { createSyncClient } from '../../src/core/client.js'
import { automergeDocSupport } from '../../src/core/docs/docSupport.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { newRoom, watchUrl } from '../support/records.js'
import { pollUntil as until } from '../support/poll.js'

let server: SyncServer
let client: SyncClient | null = null
let tokenAsks = 0

beforeEach(async () => {
  tokenAsks = 0
  server = createSyncServer({
    port: 0,
    storage: memoryStorage(),
    authenticate: ({ token }) => (token === 'fresh' ? { userId: 'did:example:alice' } : undefined),
  })
  await server.start()
})
afterEach(async () => {
  await client?.close()
  client = null
  await server.close()
})


describe('a refused token', () => {
  it('parks records and documents as unauthorized without retrying, and resumes by itself once the token source has a new one', async () => {
    let current = 'expired'
    client = createSyncClient({
      url: server.url.replace('http', 'ws'),
      recordsBaseUrl: server.url,
      token: async () => {
        tokenAsks++
        return current
      },
      cache: createMemoryCache(),
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
      credentialCheckMs: 50,
    })
    const records = client.getRecordStore(watchUrl(newRoom()))
    const releaseRecords = client.retain(records)
    const doc = client.createDoc({ text: 'made before signing in' }, automergeDocSupport)
    const releaseDoc = client.retain(doc)
    const docConnection = client.docConnection!

    await until(() => records.getSnapshot().status === 'closed' && docConnection.getSnapshot().status === 'closed', 'both parked')
    expect(records.getSnapshot().error?.code).toBe('unauthorized')
    expect(docConnection.getSnapshot().error?.code).toBe('unauthorized')
    expect(client.getConnectionStatus()).toBe('closed')

    // Parked means parked: the watch asks the source, but nothing reconnects with the refused token.
    const asksWhileParked = tokenAsks
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(records.getSnapshot().status).toBe('closed')
    expect(docConnection.getSnapshot().status).toBe('closed')
    expect(tokenAsks - asksWhileParked).toBeLessThanOrEqual(8)

    current = 'fresh'
    await until(() => records.getSnapshot().status === 'live' && docConnection.getSnapshot().status === 'live', 'both live again')
    expect(records.getSnapshot().error).toBeNull()
    await doc.whenSaved('server')
    releaseRecords()
    releaseDoc()
  })

  it('reauthenticate() retries at once, and a refusal parks again', async () => {
    let current = 'wrong'
    client = createSyncClient({
      recordsBaseUrl: server.url,
      token: async () => current,
      cache: createMemoryCache(),
      credentialCheckMs: 60_000,
    })
    const records = client.getRecordStore(watchUrl(newRoom()))
    const release = client.retain(records)
    await until(() => records.getSnapshot().status === 'closed', 'parked')
    client.reauthenticate()
    await until(() => records.getSnapshot().status !== 'closed', 'retrying')
    await until(() => records.getSnapshot().status === 'closed', 'parked again')
    expect(records.getSnapshot().error?.code).toBe('unauthorized')
    current = 'fresh'
    client.reauthenticate()
    await until(() => records.getSnapshot().status === 'live', 'live')
    release()
  })
})
