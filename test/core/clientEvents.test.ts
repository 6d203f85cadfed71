import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SyncClient } from '../../src/core/client.js'
import { createSyncClient } from '../../src/core/client.js'
import { automergeDocSupport } from '../../src/core/docs/docSupport.js'
import type { SyncEvent } from '../../src/core/syncEvents.js'
import type { SyncServer } from '../../src/server/index.js'
import { createSyncServer, fileStorage } from '../../src/server/index.js'
import { newRoom, putRecord, watchUrl } from '../support/records.js'
import { pollUntil } from '../support/poll.js'

let dir: string
let server: SyncServer
let client: SyncClient | null = null

const startServer = async (port = 0): Promise<SyncServer> => {
  const started = createSyncServer({ port, storage: fileStorage(dir) })
  await started.start()
  return started
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'syncline-events-'))
  server = await startServer()
})
afterEach(async () => {
  await client?.close()
  client = null
  await server.close()
  await rm(dir, { recursive: true, force: true })
})

const transitions = (events: SyncEvent[], connection: string): string[] =>
  events.flatMap((event) => (event.type === 'transition' && event.connection === connection ? [`${event.from}>${event.to}:${event.event}`] : []))

describe('client.onEvent', () => {
  it('reports a record stream reconnect as transitions in order, with the error and the backoff chosen', async () => {
    client = createSyncClient({ recordsBaseUrl: server.url, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } })
    const events: SyncEvent[] = []
    client.onEvent((event) => events.push(event))
    const url = watchUrl(newRoom())
    const store = client.getRecordStore(url)
    const release = client.retain(store)
    const key = store.url
    await pollUntil(() => store.getSnapshot().status === 'live', "the store to be 'live'")
    expect(events.find((event) => event.type === 'store')).toMatchObject({ type: 'store', action: 'open', kind: 'records', key })

    const port = server.port
    await server.close()
    await pollUntil(() => store.getSnapshot().status === 'reconnecting', "the store to be 'reconnecting'")
    server = await startServer(port)
    await pollUntil(() => store.getSnapshot().status === 'live', "the store to be 'live' again")

    const seen = transitions(events, key)
    expect(seen.slice(0, 4)).toEqual(['idle>connecting:start', 'connecting>snapshot:opened', 'snapshot>live:caughtUp', 'live>reconnecting:lost'])
    expect(seen.at(-1)).toBe('snapshot>live:caughtUp')
    const lost = events.find((event) => event.type === 'transition' && event.to === 'reconnecting')
    expect(lost).toMatchObject({ kind: 'records', attempt: 1, error: { code: 'network' } })
    const retryInMs = lost?.type === 'transition' ? lost.retryInMs : undefined
    expect(retryInMs !== undefined && retryInMs >= 0 && retryInMs < 50).toBe(true)
    release()
  })

  it('taps record frames in with their kind and size, and leaves bodies out unless asked', async () => {
    client = createSyncClient({ recordsBaseUrl: server.url })
    const bare: SyncEvent[] = []
    const withBodies: SyncEvent[] = []
    client.onEvent((event) => bare.push(event))
    client.onEvent((event) => withBodies.push(event), { bodies: true })
    const room = newRoom()
    await putRecord(server.url, room, { text: 'hello' })
    const store = client.getRecordStore(watchUrl(room))
    const release = client.retain(store)
    await pollUntil(() => store.getSnapshot().status === 'live', "the store to be 'live'")
    const frames = (events: SyncEvent[]) => events.flatMap((event) => (event.type === 'frame' ? [event] : []))
    expect(frames(bare).map((frame) => frame.frame)).toEqual(['snapshot.start', 'snapshot.record', 'snapshot.end'])
    const record = frames(bare)[1]!
    expect(record).toMatchObject({ direction: 'in', kind: 'records' })
    expect(record.bytes).toBeGreaterThan('{"record":{}}'.length)
    expect(record.body).toBe(undefined)
    expect(String(frames(withBodies)[1]!.body)).toContain('hello')
    release()
  })

  it('taps document frames in and out, and reports the document store opening', async () => {
    client = createSyncClient({ url: server.url, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket })
    const events: SyncEvent[] = []
    client.onEvent((event) => events.push(event))
    const doc = client.createDoc<{ text: string }>({ text: 'hi' }, automergeDocSupport)
    const release = client.retain(doc)
    await doc.whenSaved('server')
    const frames = events.flatMap((event) => (event.type === 'frame' ? [`${event.direction} ${event.frame}`] : []))
    expect(frames[0]).toBe('out join')
    expect(frames).toContain('in peer')
    expect(frames).toContain('out sync')
    expect(events.find((event) => event.type === 'store')).toMatchObject({ action: 'open', kind: 'documents', key: doc.documentId })
    expect(events.some((event) => event.type === 'transition' && event.kind === 'documents' && event.to === 'live')).toBe(true)
    release()
  })

  it('reports outbox changes with each entry', async () => {
    client = createSyncClient({ recordsBaseUrl: server.url, did: 'did:example:alice' })
    const outboxes: number[] = []
    client.onEvent((event) => {
      if (event.type === 'outbox') outboxes.push(event.entries.length)
    })
    const store = client.getRecordStore<{ text: string }>(watchUrl(newRoom()))
    const release = client.retain(store)
    await pollUntil(() => store.getSnapshot().status === 'live', "the store to be 'live'")
    await store.put({ text: 'queued' })
    await pollUntil(() => outboxes.at(-1) === 0, 'the outbox to empty')
    expect(outboxes).toContain(1)
    release()
  })

  it('tells a new listener each outbox as it is, with the tries and last error of writes queued before it listened', async () => {
    client = createSyncClient({ recordsBaseUrl: server.url, did: 'did:example:alice' })
    const store = client.getRecordStore<unknown>(watchUrl(newRoom()))
    const release = client.retain(store)
    await pollUntil(() => store.getSnapshot().status === 'live', "the store to be 'live'")
    // Not an object: the server refuses it, and the entry stays, refused after one try.
    await store.put('not a record').catch(() => {})
    const outboxes: SyncEvent[] = []
    client.onEvent((event) => {
      if (event.type === 'outbox') outboxes.push(event)
    })
    await pollUntil(() => outboxes.length === 1, 'the outbox as it is to be reported')
    expect(outboxes[0]).toMatchObject({ connection: store.url, entries: [{ op: 'put', tries: 1, failed: true, lastError: { code: 'bad-input' } }] })
    release()
  })

  it('delivers what happened while its code loaded, and nothing after unsubscribe', async () => {
    client = createSyncClient({ recordsBaseUrl: server.url, releaseDelayMs: 0 })
    const first: SyncEvent[] = []
    const second: SyncEvent[] = []
    const stopFirst = client.onEvent((event) => first.push(event))
    client.onEvent((event) => second.push(event))
    // Opened before syncEvents.ts has loaded: the store event is queued, not lost.
    const store = client.getRecordStore(watchUrl(newRoom()))
    const release = client.retain(store)
    await pollUntil(() => store.getSnapshot().status === 'live', "the store to be 'live'")
    expect(first.slice(0, 2)).toMatchObject([{ type: 'transition', event: 'start' }, { type: 'store', action: 'open' }])
    expect(second.map((event) => event.type)).toEqual(first.map((event) => event.type))
    stopFirst()
    const seenByFirst = first.length
    release()
    await pollUntil(() => second.some((event) => event.type === 'store' && event.action === 'close'), 'the store close to be reported')
    expect(first.length).toBe(seenByFirst)
  })

  it('sends nothing to a listener unsubscribed before its code loaded', async () => {
    client = createSyncClient({ recordsBaseUrl: server.url })
    const early: SyncEvent[] = []
    const later: SyncEvent[] = []
    client.onEvent((event) => early.push(event))()
    client.onEvent((event) => later.push(event))
    const store = client.getRecordStore(watchUrl(newRoom()))
    const release = client.retain(store)
    await pollUntil(() => later.some((event) => event.type === 'transition' && event.to === 'live'), "the other listener to hear 'live'")
    expect(early).toEqual([])
    release()
  })
})
