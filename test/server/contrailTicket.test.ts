import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AuthorizeRequest, SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { COLLECTION } from '../support/records.js'
import { socketFrames, sseFrames } from '../support/watchFrames.js'

// realtime.ticket as contrail's server has it: `{ topic: 'space:<uri>' }` in, `topics` out.
// Real server on loopback, with a token so that a ticket is what lets a browser in.
const ALICE = 'did:example:alice'
const TOKEN = 'alice-token'
let server: SyncServer
const asked: AuthorizeRequest[] = []
beforeAll(async () => {
  server = createSyncServer({
    port: 0,
    storage: memoryStorage(),
    authenticate: ({ token }) => (token === TOKEN ? { userId: ALICE } : undefined),
    authorize: (request) => {
      asked.push(request)
      return request.room !== 'closed'
    },
  })
  await server.start()
})
afterAll(() => server.close())

const mint = (body: unknown) =>
  fetch(`${server.url}/xrpc/realtime.ticket`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify(body) })
const watchUrl = (collection: string, query: Record<string, string>) => `${server.url}/xrpc/${collection}.watchRecords?${new URLSearchParams(query)}`

async function expectRefusal(response: Response, status: number, error: string): Promise<void> {
  expect(response.status).toBe(status)
  expect(await response.json()).toMatchObject({ error, message: expect.any(String) })
}

describe('realtime.ticket for contrail clients', () => {
  it('mints a ticket for { topic: "space:<uri>" }, answering topics, authorized for the room', async () => {
    asked.length = 0
    const response = await mint({ topic: 'space:r1' })
    expect(response.status).toBe(200)
    const minted = (await response.json()) as { ticket: string; expiresAt: number; topics: string[] }
    expect(minted).toEqual({ ticket: expect.any(String), expiresAt: expect.any(Number), topics: ['space:r1'] })
    expect(asked).toEqual([expect.objectContaining({ type: 'read', access: 'read', userId: ALICE, room: 'r1' })])
    expect(asked[0]!.collection).toBeUndefined()
  })

  it('lets a space ticket watch any collection in that room, over SSE and mode=ws, and nothing elsewhere', async () => {
    const { ticket } = (await (await mint({ topic: 'space:r2' })).json()) as { ticket: string }
    for (const collection of [COLLECTION, 'com.example.other']) {
      const sse = await fetch(watchUrl(collection, { spaceUri: 'r2', ticket }))
      expect(sse.status).toBe(200)
      const frames = sseFrames(sse)
      expect((await frames.next()).kind).toBe('snapshot.start')
      frames.close()
    }
    const handshake = await fetch(watchUrl(COLLECTION, { spaceUri: 'r2', ticket, mode: 'ws' }), { headers: { accept: 'application/json' } })
    expect(handshake.status).toBe(200)
    const socket = await socketFrames(server.url, ((await handshake.json()) as { wsUrl: string }).wsUrl)
    socket.close()
    // Each watch is still asked about: the ticket stands in for the token, not for authorize.
    expect(asked.filter((request) => request.room === 'r2' && request.collection === 'com.example.other')).toHaveLength(1)
    await expectRefusal(await fetch(watchUrl(COLLECTION, { spaceUri: 'r3', ticket })), 403, 'TicketScope')
  })

  it('answers topics for the body it already took, too', async () => {
    const minted = (await (await mint({ collection: COLLECTION, spaceUri: 'r4' })).json()) as { topics: string[] }
    expect(minted.topics).toEqual([`watchRecords:${COLLECTION}:r4`])
  })

  it('refuses a room authorize refuses, topics with no equivalent here, and a topic sent with a room', async () => {
    await expectRefusal(await mint({ topic: 'space:closed' }), 403, 'Forbidden')
    for (const topic of ['community:did:example:c', `actor:${ALICE}`, `collection:${COLLECTION}`]) {
      await expectRefusal(await mint({ topic }), 400, 'UnsupportedTopic')
    }
    await expectRefusal(await mint({ topic: 'r1' }), 400, 'InvalidTopic')
    await expectRefusal(await mint({ topic: 'space:' }), 400, 'InvalidRequest')
    await expectRefusal(await mint({ topic: 42 }), 400, 'InvalidRequest')
    await expectRefusal(await mint({ topic: 'space:r1', roomUri: 'r1', collection: COLLECTION }), 400, 'InvalidRequest')
  })

  it('answers under contrail\'s namespaced name too', async () => {
    const response = await fetch(`${server.url}/xrpc/com.example.realtime.ticket`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ topic: 'space:r1' }),
    })
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ topics: ['space:r1'] })
  })

  it('still wants the token to mint one', async () => {
    const response = await fetch(`${server.url}/xrpc/realtime.ticket`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ topic: 'space:r1' }) })
    await expectRefusal(response, 401, 'AuthRequired')
  })
})
