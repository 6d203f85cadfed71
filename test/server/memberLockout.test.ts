import { WebSocket } from 'ws'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryPubSub, memoryStorage } from '../../src/server/index.js'

/**
 * A removed member stays out (issue 16 item 7): after `removeMember` or `revoke`, every way
 * back into that scope (a watch over SSE or `mode=ws`, a list, a ticket, a write) is refused
 * with 403, even though `authorize` — which here lets everyone in, as an app that has not
 * changed its rules yet would — says yes, until `addMember` / `restore` lifts it.
 */
const COLLECTION = 'com.example.message'
const ROOM = 'room-1'
const OTHER_ROOM = 'room-2'
const ALICE = 'did:example:alice'
const BOB = 'did:example:bob'
const pubsub = memoryPubSub()
const storage = memoryStorage()
let here: SyncServer
let there: SyncServer

beforeAll(async () => {
  const options = { port: 0, storage, pubsub, authenticate: ({ token }: { token: string }) => ({ userId: token }), authorize: () => true }
  here = createSyncServer(options)
  there = createSyncServer(options)
  await Promise.all([here.start(), there.start()])
})
// A test that fails halfway must not leave alice locked out for the next one.
afterEach(() => here.restore({ userId: ALICE }))
afterAll(async () => {
  await Promise.all([here.close(), there.close()])
  await pubsub.close()
})

/** The HTTP status of each way into a room, as `did`, on `server`. */
type Way = 'sse' | 'handshake' | 'list' | 'ticket' | 'put' | 'delete'

async function statuses(server: SyncServer, did: string, room = ROOM): Promise<Record<Way, number>> {
  const auth = { authorization: `Bearer ${did}` }
  const post = (method: string, body: unknown): Promise<Response> =>
    fetch(`${server.url}/xrpc/${method}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const watch = `${server.url}/xrpc/${COLLECTION}.watchRecords?roomUri=${room}`
  const answers: Record<Way, Response> = {
    sse: await fetch(watch, { headers: { ...auth, accept: 'text/event-stream' } }),
    handshake: await fetch(`${watch}&mode=ws`, { headers: auth }),
    list: await fetch(`${server.url}/xrpc/${COLLECTION}.listRecords?roomUri=${room}`, { headers: auth }),
    ticket: await post('realtime.ticket', { collection: COLLECTION, roomUri: room }),
    put: await post(`${COLLECTION}.putRecord`, { roomUri: room, rkey: 'r1', value: { text: 'hi' } }),
    delete: await post(`${COLLECTION}.deleteRecord`, { roomUri: room, rkey: 'r1' }),
  }
  await Promise.all(Object.values(answers).map((response) => response.body?.cancel()))
  return Object.fromEntries(Object.entries(answers).map(([way, response]) => [way, response.status])) as Record<Way, number>
}

const allowed = { sse: 200, handshake: 200, list: 200, ticket: 200, put: 200, delete: 200 }
const refused = { sse: 403, handshake: 403, list: 403, ticket: 403, put: 403, delete: 403 }

describe('removeMember locks the member out until addMember', () => {
  it('refuses every way back into the room, for that member and room only', async () => {
    expect(await statuses(here, ALICE)).toEqual(allowed)
    here.removeMember(COLLECTION, ROOM, ALICE)
    expect(await statuses(here, ALICE)).toEqual(refused)
    expect(await statuses(here, BOB)).toEqual(allowed)
    expect(await statuses(here, ALICE, OTHER_ROOM)).toEqual(allowed)
    here.addMember(COLLECTION, ROOM, ALICE)
    expect(await statuses(here, ALICE)).toEqual(allowed)
  })

  it('refuses a ticket and a socket URL handed out before the removal', async () => {
    const auth = { authorization: `Bearer ${ALICE}` }
    const watch = `${here.url}/xrpc/${COLLECTION}.watchRecords?roomUri=${ROOM}`
    const minted = (await (await fetch(`${here.url}/xrpc/realtime.ticket`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ collection: COLLECTION, roomUri: ROOM }) })).json()) as { ticket: string }
    const { wsUrl } = (await (await fetch(`${watch}&mode=ws`, { headers: auth })).json()) as { wsUrl: string }
    here.removeMember(COLLECTION, ROOM, ALICE)
    const sse = await fetch(`${watch}&ticket=${encodeURIComponent(minted.ticket)}`, { headers: { accept: 'text/event-stream' } })
    await sse.body?.cancel()
    expect(sse.status).toBe(403)
    const socket = new WebSocket(wsUrl)
    const outcome = await new Promise<string>((resolve) => {
      socket.once('open', () => resolve('open'))
      socket.once('unexpected-response', (_request, response) => resolve(`refused: ${response.statusCode}`))
      socket.once('error', (error) => resolve(`error: ${error.message}`))
    })
    socket.terminate()
    expect(outcome).toBe('refused: 403')
    here.addMember(COLLECTION, ROOM, ALICE)
  })

  it('travels to the other instances, and so does addMember', async () => {
    here.removeMember(COLLECTION, ROOM, ALICE)
    // Polled on the refusal itself: the notice crosses the pub/sub on a later task.
    await pollStatus(() => statuses(there, ALICE).then((s) => s.sse), 403)
    expect(await statuses(there, ALICE)).toEqual(refused)
    here.addMember(COLLECTION, ROOM, ALICE)
    await pollStatus(() => statuses(there, ALICE).then((s) => s.sse), 200)
    expect(await statuses(there, ALICE)).toEqual(allowed)
  })
})

describe('revoke locks out the same way; restore lifts what it names', () => {
  it('a revoke of the whole user keeps them out of every room until restore({ userId })', async () => {
    here.revoke({ userId: ALICE })
    expect(await statuses(here, ALICE)).toEqual(refused)
    expect(await statuses(here, ALICE, OTHER_ROOM)).toEqual(refused)
    // A narrower restore does not undo a wider revoke.
    here.addMember(COLLECTION, ROOM, ALICE)
    expect((await statuses(here, ALICE)).sse).toBe(403)
    here.restore({ userId: ALICE })
    expect(await statuses(here, ALICE)).toEqual(allowed)
    expect(await statuses(here, ALICE, OTHER_ROOM)).toEqual(allowed)
  })

  it('a revoke of one collection leaves the user\'s other collections alone', async () => {
    here.revoke({ userId: ALICE, collection: 'com.example.other' })
    expect(await statuses(here, ALICE)).toEqual(allowed)
    here.restore({ userId: ALICE })
  })
})

/** Asks `read` every 20 ms until it answers `expected` (each ask is a real request). */
async function pollStatus(read: () => Promise<number>, expected: number): Promise<void> {
  const deadline = Date.now() + 5000
  for (;;) {
    if ((await read()) === expected) return
    if (Date.now() > deadline) throw new Error(`Timed out waiting for status ${expected}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
