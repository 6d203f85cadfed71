import { WebSocket } from 'ws'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRecordStore } from '../../src/core/records/recordStore.js'
import type { WatchRecordStore } from '../../src/core/records/recordStore.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { COLLECTION, newRoom, until } from '../support/records.js'
import type { Message } from '../support/records.js'

// The flow a contrail app runs against this server: a watch URL naming its room `spaceUri`,
// tickets minted with `{ topic: 'space:<uri>' }` on every (re)connect, over both transports.
const ALICE = 'did:example:alice'
const TOKEN = 'alice-token'
let server: SyncServer
const stores: Array<WatchRecordStore<Message>> = []
beforeAll(async () => {
  server = createSyncServer({ port: 0, storage: memoryStorage(), authenticate: ({ token }) => (token === TOKEN ? { userId: ALICE } : undefined) })
  await server.start()
})
afterAll(async () => {
  await Promise.all(stores.splice(0).map((store) => store.stop()))
  await server.close()
})

const authorized = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }
async function spaceTicket(room: string): Promise<string> {
  const response = await fetch(`${server.url}/xrpc/com.example.realtime.ticket`, { method: 'POST', headers: authorized, body: JSON.stringify({ topic: `space:${room}` }) })
  expect(response.status).toBe(200)
  return ((await response.json()) as { ticket: string }).ticket
}
async function put(room: string, rkey: string, text: string): Promise<void> {
  const response = await fetch(`${server.url}/xrpc/${COLLECTION}.putRecord`, { method: 'POST', headers: authorized, body: JSON.stringify({ spaceUri: room, rkey, value: { text } }) })
  expect(response.status).toBe(200)
}

describe.each(['sse', 'ws'] as const)('a contrail-style watch over %s', (transport) => {
  it('snapshots and goes live with spaceUri and a space ticket', async () => {
    const room = newRoom()
    await put(room, 'first', 'first')
    let minted = 0
    const store = createRecordStore<Message>({
      url: `/xrpc/${COLLECTION}.watchRecords?${new URLSearchParams({ spaceUri: room })}`,
      baseUrl: server.url,
      transport,
      WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      mintTicket: () => (minted++, spaceTicket(room)),
    })
    stores.push(store)
    store.start()
    await until(store, (s) => s.status === 'live' && s.records.length === 1)
    await put(room, 'second', 'second')
    const settled = await until(store, (s) => s.records.length === 2)
    expect(settled.records.map((r) => r.rkey).sort()).toEqual(['first', 'second'])
    expect(minted).toBeGreaterThan(0)
  })
})
