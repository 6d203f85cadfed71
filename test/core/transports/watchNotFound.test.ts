import { WebSocket } from 'ws'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { defaultEnvironment } from '../../../src/core/environment.js'
import type { Environment } from '../../../src/core/environment.js'
import { createRecordStore } from '../../../src/core/records/recordStore.js'
import type { WatchRecordStore } from '../../../src/core/records/recordStore.js'
import type { SyncServer } from '../../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../../src/server/index.js'
import { pollUntil } from '../../support/poll.js'
import type { Message } from '../../support/records.js'
import { newRoom, watchUrl } from '../../support/records.js'

const INITIAL_DELAY_MS = 8
const MAX_DELAY_MS = 32

describe.each(['sse', 'ws'] as const)('a watch URL that answers 404, over %s', (transport) => {
  let server: SyncServer
  let store: WatchRecordStore<Message> | undefined
  beforeEach(async () => {
    server = createSyncServer({ port: 0, storage: memoryStorage() })
    await server.start()
  })
  afterEach(async () => {
    await store?.stop()
    await server.close()
  })

  it("reports 'not-found' naming the URL and recordsBaseUrl, and backs off to the cap", async () => {
    // Every delay the store asks for; `random` at its top makes each backoff its ceiling.
    const delays: number[] = []
    const environment: Environment = {
      ...defaultEnvironment,
      random: () => 0.999,
      setTimeout: (callback, ms) => {
        delays.push(ms)
        return defaultEnvironment.setTimeout(callback, ms)
      },
    }
    // The usual mistake: the watch URL resolves to a path the server has no route for.
    const baseUrl = server.url
    store = createRecordStore<Message>(
      { url: `/api${watchUrl(newRoom())}`, baseUrl, transport, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket, reconnect: { initialDelayMs: INITIAL_DELAY_MS, maxDelayMs: MAX_DELAY_MS } },
      { environment },
    )
    store.start()
    const backoffs = (): number[] => delays.filter((ms) => ms > 0 && ms < MAX_DELAY_MS)
    await pollUntil(() => backoffs().length >= 5, 'five retries')

    const { status, error } = store.getSnapshot()
    expect(status === 'reconnecting' || status === 'connecting').toBe(true)
    expect(error?.code).toBe('not-found')
    expect(error?.status).toBe(404)
    expect(error?.message).toContain(`${baseUrl}/api/xrpc/com.example.message.watchRecords`)
    expect(error?.message).toContain('recordsBaseUrl')
    expect(error?.message).not.toContain('roomUri')
    // floor(0.999 · ceiling): 7, 15, 31, then 31 for ever; never a tight loop.
    expect(backoffs().slice(0, 5)).toEqual([7, 15, 31, 31, 31])
  })
})
