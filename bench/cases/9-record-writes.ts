/**
 * Case 9 — record writes (issue 15): a write on one client reaching a second client, through
 * syncline's `put` (durable outbox) and through a plain POST, side by side.
 *
 * Two record stores on one room, both in this process: A (the writer, with a memory cache, so
 * `put` takes the real outbox path: entry stored in the cache, then sent) and B (the second
 * client). The reference server runs in a child process. Each iteration is timed from just
 * before the write until B's snapshot holds the record (B notifies, and the subscriber finds
 * it in getSnapshot(), as a component would):
 *  - syncline: `storeA.put(value)`;
 *  - raw: `fetch` POST to putRecord with the same body shape, seen by the same B.
 * The two alternate, so drift on a shared machine falls on both alike. For scale, the bare
 * POST round trip (no watcher waited for) and the time until `put` resolves (the server
 * accepted it) are measured too, and how long put works before its POST leaves (A's fetch
 * notes the moment the writer calls it): the part of the gap to the raw path that is put's own.
 */
import { performance } from 'node:perf_hooks'
import { WebSocket } from 'ws'
import { createMemoryCache, createRecordStore } from '../../src/core/index.js'
import type { RecordStore } from '../../src/core/index.js'
import { newTid } from '../../src/wire/tid.js'
import { log, row, runCase, sleep, within } from '../lib/case.js'
import { startChild } from '../lib/child.js'
import { summarize } from '../lib/stats.js'
import type { Summary } from '../lib/stats.js'

const COLLECTION = 'com.example.message'
const DID = 'did:example:bench'
const ITERATIONS = 100
const WARMUP = 10
const PREFILL = 20
const TRANSPORTS = ['sse', 'ws'] as const
const GOAL_RATIO = 1.5
const RAW = 'raw POST + watch'
const BARE_POST = 'bare POST round trip'

type Transport = (typeof TRANSPORTS)[number]

interface Message {
  text: string
}

const text = (i: number): string => `message ${i} ${'x'.repeat(100)}`

async function post(url: string, body: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`)
  await response.arrayBuffer()
}

/** Resolves when the watched store first holds the expected rkey, at the moment it notifies. */
class Sighting {
  #expected: string | null = null
  #resolve: ((time: number) => void) | null = null
  constructor(private readonly store: RecordStore<Message>) {}
  expect(rkey: string): Promise<number> {
    this.#expected = rkey
    return new Promise((resolve) => {
      this.#resolve = resolve
    })
  }
  /** The store's subscriber. */
  check = (): void => {
    const expected = this.#expected
    if (expected === null) return
    const records = this.store.getSnapshot().records
    // Newest first, so the record sought is almost always the first one looked at.
    if (records.some((record) => record.rkey === expected)) {
      const time = performance.now()
      this.#expected = null
      this.#resolve?.(time)
    }
  }
}

/** Node's fetch, noting when each putRecord POST leaves (the end of put's outbox work). */
function timedFetch(onPost: (time: number) => void): typeof globalThis.fetch {
  return (input, init) => {
    if (init?.method === 'POST' && String(input instanceof Request ? input.url : input).includes('.putRecord')) onPost(performance.now())
    return globalThis.fetch(input, init)
  }
}

function openStore(base: string, room: string, transport: Transport, fetchImpl: typeof globalThis.fetch, withCache: boolean): RecordStore<Message> {
  return createRecordStore<Message>({
    url: `/xrpc/${COLLECTION}.watchRecords?roomUri=${encodeURIComponent(room)}`,
    baseUrl: base,
    transport,
    fetch: fetchImpl,
    WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
    reconnect: { initialDelayMs: 200, maxDelayMs: 1000 },
    did: DID,
    ...(withCache && { cache: createMemoryCache() }),
  })
}

function whenLive(store: RecordStore<Message>): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribe = store.subscribe(() => {
      if (store.getSnapshot().status === 'live') {
        unsubscribe()
        resolve()
      }
    })
  })
}

interface Measured {
  put: Summary
  raw: Summary
  bare: Summary
  putResolves: Summary
  putSends: Summary
}

async function measure(base: string, transport: Transport): Promise<Measured> {
  const room = `writes-${transport}-${Date.now()}`
  const putUrl = `${base}/xrpc/${COLLECTION}.putRecord`
  for (let i = 0; i < PREFILL; i++) await post(putUrl, JSON.stringify({ roomUri: room, rkey: newTid(), value: { text: text(i) }, did: DID }))
  let postLeft = Number.NaN
  const writer = openStore(base, room, transport, timedFetch((time) => (postLeft = time)), true)
  const reader = openStore(base, room, transport, globalThis.fetch, false)
  const sighting = new Sighting(reader)
  const unsubscribe = reader.subscribe(sighting.check)
  try {
    const live = Promise.all([whenLive(writer), whenLive(reader)])
    writer.start()
    reader.start()
    await within(30_000, `${transport} stores going live`, live)
    const samples = { put: [] as number[], raw: [] as number[], bare: [] as number[], putResolves: [] as number[], putSends: [] as number[] }
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      const keep = i >= WARMUP
      // syncline: put on A → B holds it.
      {
        const value = { text: text(i) }
        postLeft = Number.NaN
        const start = performance.now()
        // The rkey is the TID put makes itself; B is told which one as soon as put has made it.
        const rkey = newTid()
        const seen = sighting.expect(rkey)
        const confirmed = writer.put(value, { rkey }).then(() => performance.now())
        const [end, resolved] = await within(15_000, `${transport} put reaching the second client`, Promise.all([seen, confirmed]))
        if (keep) {
          samples.put.push(end - start)
          samples.putResolves.push(resolved - start)
          if (Number.isNaN(postLeft)) throw new Error(`put ${rkey} reached B without a putRecord POST from A's fetch`)
          samples.putSends.push(postLeft - start)
        }
      }
      await sleep(5)
      // raw: POST → B holds it.
      {
        const rkey = newTid()
        const body = JSON.stringify({ roomUri: room, rkey, value: { text: text(i) }, did: DID })
        const seen = sighting.expect(rkey)
        const start = performance.now()
        await post(putUrl, body)
        const end = await within(15_000, `${transport} raw POST reaching the second client`, seen)
        if (keep) samples.raw.push(end - start)
      }
      await sleep(5)
      // bare: the POST round trip alone (B still sees it; nothing waits for it).
      {
        const body = JSON.stringify({ roomUri: room, rkey: newTid(), value: { text: text(i) }, did: DID })
        const start = performance.now()
        await post(putUrl, body)
        if (keep) samples.bare.push(performance.now() - start)
      }
      await sleep(5)
    }
    return { put: summarize(samples.put), raw: summarize(samples.raw), bare: summarize(samples.bare), putResolves: summarize(samples.putResolves), putSends: summarize(samples.putSends) }
  } finally {
    unsubscribe()
    await Promise.all([writer.stop(), reader.stop()])
  }
}

await runCase('9. Record writes', async (rows, notes) => {
  const server = await startChild<{ url: string }>(new URL('../lib/syncline-server.ts', import.meta.url).pathname)
  try {
    for (const transport of TRANSPORTS) {
      const result = await measure(server.ready.url, transport)
      log(`[writes] ${transport}: put → B p50 ${result.put.p50.toFixed(2)} ms, raw POST → B p50 ${result.raw.p50.toFixed(2)} ms, bare POST p50 ${result.bare.p50.toFixed(2)} ms, put resolves p50 ${result.putResolves.p50.toFixed(2)} ms, put → its POST leaves p50 ${result.putSends.p50.toFixed(2)} ms`)
      const judged = transport === 'sse'
      for (const stat of ['p50', 'p99'] as const) {
        const goal = judged && stat === 'p50'
        rows.push(row({
          name: `put → visible on a second client (${transport.toUpperCase()})`,
          metric: `${stat} write → B's snapshot has it`,
          unit: 'ms',
          syncline: result.put[stat],
          peers: { [RAW]: result.raw[stat], [BARE_POST]: result.bare[stat] },
          ratioTo: RAW,
          goal: goal ? `≤ ${GOAL_RATIO}× the raw POST+watch path` : null,
          ...(goal && { check: ({ ratio }: { ratio: number | null }) => ratio !== null && ratio <= GOAL_RATIO }),
        }))
      }
      rows.push(row({
        name: `put → promise resolves (${transport.toUpperCase()})`,
        metric: 'p50 put → server accepted it',
        unit: 'ms',
        syncline: result.putResolves.p50,
        peers: { [BARE_POST]: result.bare.p50 },
        ratioTo: BARE_POST,
      }))
      rows.push(row({
        name: `put → its POST leaves (${transport.toUpperCase()})`,
        metric: 'p50 outbox work before sending',
        unit: 'ms',
        syncline: result.putSends.p50,
        note: 'from the put call until the writer calls fetch: the outbox entry is stored in the cache first',
      }))
    }
    notes.push(
      `Writer A and reader B are syncline record stores (createRecordStore; A with createMemoryCache, so each put is stored in the outbox before it is sent) watching the same room over the named transport, both in this process; the reference server (memory storage) runs in a child process. ${ITERATIONS} samples per path after ${WARMUP} warm-up rounds; each round does one put, one raw POST and one bare POST, in turn, so the three paths share the same machine load. The room holds ${PREFILL}+ records.`,
      `The raw path is what an app would write by hand: fetch POST putRecord with the same body, waited for until the same B holds the record. Both timings start just before the write and end when B's subscriber finds the rkey in getSnapshot(); put's rkey is passed in so B knows what to wait for (put makes the same TID itself otherwise).`,
      `"put → its POST leaves" is timed by the fetch handed to A, which notes when the writer calls it for putRecord: what put does before sending (the outbox entry written to the cache, the send lock, which outside browsers just runs). It is about the gap between the put and raw rows' p50s; the rest of the path is the same POST and the same watch.`,
    )
  } finally {
    await server.stop()
  }
})
