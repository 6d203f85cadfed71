import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, memoryStorage } from '../../src/server/index.js'
import { COLLECTION, newRoom, putRecord } from '../support/records.js'
import type { Frame, FrameReader } from '../support/watchFrames.js'
import { socketFrames, sseFrames } from '../support/watchFrames.js'

// What contrail's clients send (DESIGN §6 and issue 16): `spaceUri` for the room, `cursor` to
// page the snapshot, `actor` for the author being watched. Real server on loopback.
let server: SyncServer
const readers: FrameReader[] = []
beforeAll(async () => {
  server = createSyncServer({ port: 0, storage: memoryStorage() })
  await server.start()
})
afterAll(async () => {
  for (const reader of readers.splice(0)) reader.close()
  await server.close()
})

const ALICE = 'did:example:alice'
const BOB = 'did:example:bob'
const xrpc = (method: string, query: Record<string, string>) => `${server.url}/xrpc/${COLLECTION}.${method}?${new URLSearchParams(query)}`
const post = (method: string, body: unknown) =>
  fetch(`${server.url}/xrpc/${method}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
const rkeys = (frames: Frame[]) => frames.filter((f) => f.kind === 'snapshot.record').map((f) => (f.data.record as { rkey: string }).rkey)

async function expectBadRequest(response: Response, message: RegExp): Promise<void> {
  expect(response.status).toBe(400)
  expect(await response.json()).toMatchObject({ error: 'InvalidRequest', message: expect.stringMatching(message) })
}

type Transport = 'sse' | 'ws'
/** A watch's snapshot (rkeys, the snapshot.start data, the next cursor) and a reader of its live frames, over either transport. */
async function watch(transport: Transport, query: Record<string, string>) {
  if (transport === 'sse') {
    const response = await fetch(xrpc('watchRecords', query))
    expect(response.status).toBe(200)
    const reader = sseFrames(response)
    readers.push(reader)
    const frames = await reader.until('snapshot.end')
    return { start: frames[0]!.data, rkeys: rkeys(frames), cursor: frames.at(-1)!.data.cursor as string | undefined, live: reader }
  }
  const response = await fetch(xrpc('watchRecords', { ...query, mode: 'ws' }), { headers: { accept: 'application/json' } })
  expect(response.status).toBe(200)
  const handshake = (await response.json()) as { snapshot: { records: Array<{ rkey: string }>; cursor: string | null }; wsUrl: string }
  const live = await socketFrames(server.url, handshake.wsUrl)
  readers.push(live)
  return { start: undefined, rkeys: handshake.snapshot.records.map((r) => r.rkey), cursor: handshake.snapshot.cursor ?? undefined, live }
}

describe.each<Transport>(['sse', 'ws'])('watchRecords for contrail clients over %s', (transport) => {
  it('takes spaceUri as the room, and streams what is written there', async () => {
    const room = newRoom()
    const first = await putRecord(server.url, room, { text: 'before' })
    const watched = await watch(transport, { spaceUri: room })
    expect(watched.rkeys).toEqual([first.rkey])
    if (transport === 'sse') expect(watched.start).toEqual({ collection: COLLECTION, spaceUri: room })
    // A write that names its room spaceUri reaches the watch too.
    const written = await post(`${COLLECTION}.putRecord`, { spaceUri: room, rkey: 'live', value: { text: 'live' }, did: ALICE })
    expect(written.status).toBe(200)
    expect(await watched.live.next()).toMatchObject({ kind: 'record.created', data: { record: { rkey: 'live' } } })
  })

  it('refuses roomUri and spaceUri naming different rooms, and takes them when they agree', async () => {
    await expectBadRequest(await fetch(xrpc('watchRecords', { roomUri: 'a', spaceUri: 'b', ...(transport === 'ws' && { mode: 'ws' }) })), /roomUri and spaceUri name different rooms/)
    expect((await watch(transport, { roomUri: 'same', spaceUri: 'same' })).rkeys).toEqual([])
  })

  it('pages the snapshot with cursor: each page starts after the last, and the last has no cursor', async () => {
    const room = newRoom()
    const written: string[] = []
    for (const text of ['1', '2', '3', '4', '5']) written.push((await putRecord(server.url, room, { text })).rkey)
    const newestFirst = [...written].reverse()
    const first = await watch(transport, { roomUri: room, limit: '2' })
    expect(first.rkeys).toEqual(newestFirst.slice(0, 2))
    expect(first.cursor).toEqual(expect.any(String))
    const second = await watch(transport, { roomUri: room, limit: '2', cursor: first.cursor! })
    expect(second.rkeys).toEqual(newestFirst.slice(2, 4))
    const third = await watch(transport, { roomUri: room, limit: '2', cursor: second.cursor! })
    expect(third.rkeys).toEqual(newestFirst.slice(4))
    expect(third.cursor).toBeUndefined()
  })

  it('refuses a cursor it did not issue', async () => {
    const response = await fetch(xrpc('watchRecords', { roomUri: 'r', cursor: 'not-a-cursor', ...(transport === 'ws' && { mode: 'ws' }) }))
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ error: 'InvalidCursor' })
  })

  it('narrows to the author named by actor, in the snapshot and live, and says so in snapshot.start', async () => {
    const room = newRoom()
    const alices = await putRecord(server.url, room, { text: 'alice' }, { did: ALICE })
    const bobs = await putRecord(server.url, room, { text: 'bob' }, { did: BOB })
    const watched = await watch(transport, { roomUri: room, actor: ALICE })
    expect(watched.rkeys).toEqual([alices.rkey])
    if (transport === 'sse') expect(watched.start).toEqual({ collection: COLLECTION, spaceUri: room, actor: ALICE })
    // Bob's changes come first; were they not filtered out, they would be the next frames.
    await putRecord(server.url, room, { text: 'bob again' }, { did: BOB, rkey: 'bob2' })
    expect((await post(`${COLLECTION}.deleteRecord`, { roomUri: room, rkey: bobs.rkey, did: BOB })).status).toBe(200)
    await putRecord(server.url, room, { text: 'alice again' }, { did: ALICE, rkey: 'alice2' })
    expect(await watched.live.next()).toMatchObject({ kind: 'record.created', data: { record: { rkey: 'alice2', did: ALICE } } })
  })
})

describe('other methods for contrail clients', () => {
  it('lists, writes and deletes by spaceUri, and mints a ticket for { collection, spaceUri }', async () => {
    const room = newRoom()
    const put = await post(`${COLLECTION}.putRecord`, { spaceUri: room, rkey: 'k', value: { text: 'hi' }, did: ALICE })
    expect(put.status).toBe(200)
    const listed = (await (await fetch(xrpc('listRecords', { spaceUri: room }))).json()) as { records: Array<{ rkey: string }> }
    expect(listed.records.map((r) => r.rkey)).toEqual(['k'])
    expect((await post(`${COLLECTION}.deleteRecord`, { spaceUri: room, rkey: 'k', did: ALICE })).status).toBe(200)
    const after = (await (await fetch(xrpc('listRecords', { roomUri: room }))).json()) as { records: unknown[] }
    expect(after.records).toEqual([])
    const minted = await post('realtime.ticket', { collection: COLLECTION, spaceUri: room })
    expect(minted.status).toBe(200)
  })

  it('refuses different roomUri and spaceUri on every method', async () => {
    const both = { roomUri: 'a', spaceUri: 'b' }
    await expectBadRequest(await fetch(xrpc('listRecords', both)), /different rooms/)
    await expectBadRequest(await post(`${COLLECTION}.putRecord`, { ...both, value: {} }), /different rooms/)
    await expectBadRequest(await post(`${COLLECTION}.deleteRecord`, { ...both, rkey: 'k' }), /different rooms/)
    await expectBadRequest(await post('realtime.ticket', { ...both, collection: COLLECTION }), /different rooms/)
    await expectBadRequest(await fetch(xrpc('listRecords', {})), /roomUri \(or spaceUri\) is required/)
  })

  it('lists one author\'s records with actor (or did), and refuses an actor that is not a DID', async () => {
    const room = newRoom()
    const alices = await putRecord(server.url, room, { text: 'alice' }, { did: ALICE })
    await putRecord(server.url, room, { text: 'bob' }, { did: BOB })
    for (const name of ['actor', 'did']) {
      const listed = (await (await fetch(xrpc('listRecords', { roomUri: room, [name]: ALICE }))).json()) as { records: Array<{ rkey: string }> }
      expect(listed.records.map((r) => r.rkey)).toEqual([alices.rkey])
    }
    await expectBadRequest(await fetch(xrpc('listRecords', { roomUri: room, actor: 'alice.example.com' })), /must be a DID/)
    await expectBadRequest(await fetch(xrpc('watchRecords', { roomUri: room, actor: ALICE, did: BOB })), /different authors/)
  })

  it('names the development-mode caller by devDid, not by actor', async () => {
    const users: string[] = []
    const stop = server.onSyncRequest((event) => event.type === 'listRecords' && users.push(event.userId ?? ''))
    await fetch(xrpc('listRecords', { roomUri: 'r', devDid: ALICE }))
    await fetch(xrpc('listRecords', { roomUri: 'r', actor: BOB }))
    stop()
    expect(users).toEqual([ALICE, 'did:web:anonymous'])
  })
})
