import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { WatchRecordStore } from '../../src/core/records/recordStore.js'
import { contrailWriter } from '../../src/core/records/recordWriter.js'
import { watchRecordsUrl } from '../../src/core/records/watchRecordsUrl.js'
import { startContrailServer } from '../support/contrailServer.js'
import type { ContrailServer } from '../support/contrailServer.js'
import { pollUntil } from '../support/poll.js'
import type { Message } from '../support/records.js'
import { COLLECTION, newRoom, openStore, texts, until, watchUrl } from '../support/records.js'
import { contrailHarness, contrailWatchUrl } from '../support/serverKinds.js'

const transports = ['sse', 'ws'] as const
const ALICE = 'did:example:alice'
const COMMENT = 'com.example.comment'

describe.each(transports)('syncline’s client against a contrail-format server over %s', (transport) => {
  let server: ContrailServer
  let harness: ReturnType<typeof contrailHarness>
  const stores: WatchRecordStore<Message>[] = []
  const ignored: unknown[] = []
  const open = (room: string, options: Parameters<typeof openStore>[2] = {}): WatchRecordStore<Message> => {
    const store = openStore(server.url, room, { url: contrailWatchUrl(room), transport, onIgnoredError: (error) => ignored.push(error), ...options })
    stores.push(store)
    return store
  }

  beforeEach(async () => {
    server = await startContrailServer({ relations: { comments: { collection: COMMENT, field: 'subject' } } })
    harness = contrailHarness(server)
    ignored.length = 0
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.stop()))
    await server.close()
  })

  it('watches a spaceUri built by watchRecordsUrl, and keeps contrail’s rows as they are (space, no indexed_at)', async () => {
    const room = newRoom()
    await harness.put(room, { text: 'hello' })
    const store = open(room, { url: watchRecordsUrl(COLLECTION, { spaceUri: room }) })
    const live = await until(store, (s) => s.status === 'live' && s.records.length === 1)
    const [record] = live.records
    expect(record).toMatchObject({ did: ALICE, collection: COLLECTION, space: room, value: { text: 'hello' } })
    expect(record?.uri).toBe(`at://${ALICE}/${COLLECTION}/${record?.rkey}`)
    expect(record).not.toHaveProperty('indexed_at')
    expect(ignored).toEqual([])
  })

  it('watches an author across spaces with actor (records by others stay out)', async () => {
    const [first, second] = [newRoom(), newRoom()]
    await harness.put(first, { text: 'alice in first' })
    await harness.put(second, { text: 'alice in second' })
    await harness.put(first, { text: 'bob in first' }, { did: 'did:example:bob' })
    const store = open(first, { url: `/xrpc/${COLLECTION}.watchRecords?actor=${encodeURIComponent(ALICE)}` })
    expect(texts(await until(store, (s) => s.status === 'live' && s.records.length === 2))).toEqual(['alice in second', 'alice in first'])
    await harness.put(second, { text: 'bob again' }, { did: 'did:example:bob' })
    await harness.put(second, { text: 'alice again' })
    expect(texts(await until(store, (s) => s.records.length === 3))).toEqual(['alice again', 'alice in second', 'alice in first'])
  })

  it('does not connect with roomUri alone: contrail answers 400 and the store reports it', async () => {
    const room = newRoom()
    const store = open(room, { url: watchUrl(room), reconnect: false })
    const closed = await until(store, (s) => s.error !== null)
    expect(closed.error?.status).toBe(400)
    expect(server.refusedRoomUri).toBeGreaterThan(0)
  })

  it('skips hydration.added and hydration.removed quietly and stays live', async () => {
    const room = newRoom()
    const parent = await harness.put(room, { text: 'parent' })
    const store = open(room, { url: `${contrailWatchUrl(room)}&hydrateComments=5` })
    await until(store, (s) => s.status === 'live' && s.records.length === 1)
    const parentUri = `at://${ALICE}/${COLLECTION}/${parent.rkey}`
    const comment = await postSpace(server, 'putRecord', { spaceUri: room, collection: COMMENT, record: { subject: parentUri, text: 'a comment' } })
    await postSpace(server, 'deleteRecord', { spaceUri: room, collection: COMMENT, rkey: comment.rkey })
    // Frames arrive in order: once this record shows, both hydration frames came before it.
    await harness.put(room, { text: 'after the comment' })
    const after = await until(store, (s) => s.records.length === 2)
    expect(server.sent['hydration.added']).toBe(1)
    expect(server.sent['hydration.removed']).toBe(1)
    expect(texts(after)).toEqual(['after the comment', 'parent'])
    expect(after.status).toBe('live')
    expect(after.error).toBeNull()
    expect(ignored).toEqual([])
  })

  it('puts and deletes through contrailWriter, and the watch shows each', async () => {
    const room = newRoom()
    const store = open(room, { writer: contrailWriter({ namespace: server.namespace }), token: ALICE })
    await until(store, (s) => s.status === 'live')
    const written = await store.put({ text: 'via space.putRecord' })
    expect(written).toMatchObject({ did: ALICE, uri: `at://${ALICE}/${COLLECTION}/${written.rkey}` })
    // `space` is only on the watch's own record.created, not in the writer's answer.
    const shown = await until(store, (s) => s.records.length === 1 && s.records[0]?.space === room && s.saved.server)
    expect(shown.records[0]).toMatchObject({ rkey: written.rkey, did: ALICE, value: { text: 'via space.putRecord' } })
    expect(shown.records[0]?.optimistic).toBeUndefined()

    const other = open(room)
    await until(other, (s) => s.status === 'live' && s.records.length === 1)
    await store.delete(written.rkey)
    expect((await until(other, (s) => s.records.length === 0)).records).toEqual([])
  })

  it('keeps the watch’s echo of a put when it comes before contrail’s answer (which has no cid)', async () => {
    const room = newRoom()
    // Hold the putRecord answer until the watch has had the record it created: frames come in
    // order, so once bob's later record shows, the echo came before it. (The put itself stays
    // pending in the view until its answer, so the echo cannot be watched for directly.)
    const echoFirst: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (String(input).includes('.space.putRecord')) {
        await harness.put(room, { text: 'from bob' }, { did: 'did:example:bob' })
        await pollUntil(() => store.getSnapshot().records.some((r) => r.did === 'did:example:bob'), 'the watch to show bob’s record')
      }
      return response
    }
    const store = open(room, { writer: contrailWriter({ namespace: server.namespace }), token: ALICE, fetch: echoFirst })
    await until(store, (s) => s.status === 'live')
    const written = await store.put({ text: 'echoed first' })
    const record = store.getSnapshot().records.find((r) => r.rkey === written.rkey)
    expect(record).toMatchObject({ did: ALICE, space: room, value: { text: 'echoed first' } })
    expect(typeof record?.indexed_at).toBe('number')
  })

  it('pages older records with contrail’s cursor, 50 to a snapshot, down to the first', async () => {
    const room = newRoom()
    for (let i = 0; i < 120; i++) await harness.put(room, { text: `message-${i}` })
    const store = open(room, { historyPageSize: 50 })
    const live = await until(store, (s) => s.status === 'live')
    const newestFirst = (from: number, to: number): string[] => Array.from({ length: from - to + 1 }, (_, k) => `message-${from - k}`)
    expect(texts(live)).toEqual(newestFirst(119, 70))
    expect(await store.loadOlder()).toBe(true)
    expect(texts(store.getSnapshot())).toEqual(newestFirst(119, 20))
    expect(await store.loadOlder()).toBe(true)
    expect(texts(store.getSnapshot())).toEqual(newestFirst(119, 0))
    expect(await store.loadOlder()).toBe(false)
    expect(new Set(store.getSnapshot().records.map((r) => r.uri)).size).toBe(120)
  })
})

describe.each(transports)('contrail-format tickets over %s', (transport) => {
  let server: ContrailServer
  const stores: WatchRecordStore<Message>[] = []
  beforeEach(async () => {
    server = await startContrailServer({ requireAuth: true })
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.stop()))
    await server.close()
  })
  const open = (room: string, mintTicket?: () => Promise<string>): WatchRecordStore<Message> => {
    const store = openStore(server.url, room, { url: contrailWatchUrl(room), transport, ...(mintTicket && { mintTicket }) })
    stores.push(store)
    return store
  }

  it('opens a watch with a watch-scoped ticket (the ws handshake hands back its own in wsUrl)', async () => {
    const room = newRoom()
    await contrailHarness(server).put(room, { text: 'private' })
    const store = open(room, async () => server.mintWatchTicket(ALICE, COLLECTION, room))
    const live = await until(store, (s) => s.status === 'live' && s.records.length === 1)
    expect(texts(live)).toEqual(['private'])
    await contrailHarness(server).put(room, { text: 'live too' })
    expect(texts(await until(store, (s) => s.records.length === 2))).toEqual(['live too', 'private'])
  })

  it('is refused (401) without a ticket, and with a realtime.ticket { topic } ticket that names no query', async () => {
    const room = newRoom()
    const response = await fetch(`${server.url}/xrpc/${server.namespace}.realtime.ticket`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` },
      body: JSON.stringify({ topic: `space:${room}` }),
    })
    const answer = (await response.json()) as { ticket: string; topics: string[]; expiresAt: number }
    expect(answer.topics).toEqual([`space:${room}`])
    expect(typeof answer.ticket).toBe('string')

    const anonymous = open(room)
    const topicOnly = open(room, async () => answer.ticket)
    await pollUntil(() => anonymous.getSnapshot().error?.code === 'unauthorized' && topicOnly.getSnapshot().error?.code === 'unauthorized', 'both watches refused as unauthorized')
    expect(anonymous.getSnapshot().status).not.toBe('live')
  })
})

describe('the contrail-format fixture’s mode=ws handshake', () => {
  let server: ContrailServer
  const stores: WatchRecordStore<Message>[] = []
  beforeEach(async () => {
    server = await startContrailServer()
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.stop()))
    await server.close()
  })

  it('answers with querySpec, sinceTs in ms and a relative wsUrl carrying sinceTs, as contrail does', async () => {
    const room = newRoom()
    const before = Date.now()
    const response = await fetch(`${server.url}${contrailWatchUrl(room)}&mode=ws`, { headers: { authorization: `Bearer ${ALICE}` } })
    const handshake = (await response.json()) as { transport: string; querySpec: object; sinceTs: number; wsUrl: string; ticket: string; snapshot: { records: unknown[] } }
    expect(handshake).toMatchObject({ transport: 'ws', querySpec: { collection: COLLECTION, spaceUri: room }, snapshot: { records: [] } })
    expect(handshake.sinceTs >= before && handshake.sinceTs <= Date.now()).toBe(true)
    const wsUrl = new URL(handshake.wsUrl, 'http://relative.invalid')
    expect(wsUrl.origin).toBe('http://relative.invalid')
    expect(wsUrl.searchParams.get('sinceTs')).toBe(String(handshake.sinceTs))
    expect(wsUrl.searchParams.get('ticket')).toBe(handshake.ticket)
    expect(wsUrl.searchParams.has('mode')).toBe(false)
  })

  it('replays to the socket a record written between the handshake and the upgrade (wsUrl kept as given)', async () => {
    const room = newRoom()
    const harness = contrailHarness(server)
    // The write lands after the snapshot was taken and before the socket exists: only the
    // replay from sinceTs can bring it.
    const gapFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init)
      if (!String(input).includes('mode=ws')) return response
      const { sinceTs } = (await response.clone().json()) as { sinceTs: number }
      await pollUntil(() => Date.now() > sinceTs, 'the clock to pass sinceTs')
      await harness.put(room, { text: 'in the gap' })
      return response
    }
    const store = openStore(server.url, room, { url: contrailWatchUrl(room), transport: 'ws', fetch: gapFetch })
    stores.push(store)
    const live = await until(store, (s) => s.status === 'live' && s.records.length === 1)
    expect(texts(live)).toEqual(['in the gap'])
  })
})

async function postSpace(server: ContrailServer, method: string, body: object): Promise<{ rkey: string }> {
  const response = await fetch(`${server.url}/xrpc/${server.namespace}.space.${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ALICE}` },
    body: JSON.stringify(body),
  })
  expect(response.status).toBe(200)
  return (await response.json()) as { rkey: string }
}
