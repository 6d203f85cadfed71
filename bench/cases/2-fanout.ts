/**
 * Case 2 — records fan-out: one putRecord reaches 1, 100 and 500 subscribers, each a
 * syncline record store (SSE, then WS) in this process; the reference server runs in a child
 * process. Timed from just before the POST until the LAST subscriber's store holds the record
 * (the store notifies, and the subscriber finds it in getSnapshot(), as a component would).
 *
 * Reference (the physical limit): a bare `ws` server in a child process; a POST of the same
 * frame is sent verbatim to the same number of plain `ws` sockets, each JSON.parse-ing it.
 */
import { performance } from 'node:perf_hooks'
import { WebSocket } from 'ws'
import { createRecordStore } from '../../src/core/index.js'
import type { RecordStore } from '../../src/core/index.js'
import { errorText, log, row, runCase, sleep, within } from '../lib/case.js'
import { startChild } from '../lib/child.js'
import { summarize } from '../lib/stats.js'

const COLLECTION = 'com.example.message'
const SIZES = [1, 100, 500] as const
const ITERATIONS: Record<number, number> = { 1: 60, 100: 40, 500: 30 }
const WARMUP = 5
const PREFILL = 20
const OPEN_BATCH = 50
const TRANSPORTS = ['sse', 'ws'] as const
const DID = 'did:example:bench'

interface Message {
  text: string
}

const text = (i: number): string => `message ${i} ${'x'.repeat(100)}`

async function post(url: string, body: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`)
  await response.arrayBuffer()
}

/** Waits until every subscriber has seen `rkey`; returns the last arrival time. */
class Arrivals {
  #expected: string | null = null
  #seen = 0
  #last = 0
  #resolve: ((time: number) => void) | null = null
  constructor(readonly total: number) {}
  expect(rkey: string): Promise<number> {
    this.#expected = rkey
    this.#seen = 0
    return new Promise((resolve) => {
      this.#resolve = resolve
    })
  }
  get expected(): string | null {
    return this.#expected
  }
  /** Called once per subscriber when it first holds the expected record. */
  arrived(): void {
    this.#last = performance.now()
    if (++this.#seen === this.total) {
      this.#expected = null
      this.#resolve?.(this.#last)
    }
  }
}

interface ServerCpu {
  request<T>(message: Record<string, unknown>): Promise<T>
}

/** The server's CPU (user + system ms) so far: its share of a fan-out, apart from the subscribers'. */
async function serverCpuMs(server: ServerCpu): Promise<number> {
  const usage = await server.request<{ user: number; system: number }>({ type: 'cpu' })
  return (usage.user + usage.system) / 1000
}

async function measureSyncline(server: ServerCpu, base: string, transport: 'sse' | 'ws', n: number, iterations: number) {
  const room = `fanout-${transport}-${n}-${Date.now()}`
  const putUrl = `${base}/xrpc/${COLLECTION}.putRecord`
  for (let i = 0; i < PREFILL; i++) await post(putUrl, JSON.stringify({ roomUri: room, rkey: `pre${i}`, value: { text: text(i) }, did: DID }))
  const arrivals = new Arrivals(n)
  const stores: RecordStore<Message>[] = []
  const unsubscribes: Array<() => void> = []
  try {
    for (let start = 0; start < n; start += OPEN_BATCH) {
      const batch: Promise<void>[] = []
      for (let i = start; i < Math.min(n, start + OPEN_BATCH); i++) {
        const store = createRecordStore<Message>({
          url: `/xrpc/${COLLECTION}.watchRecords?roomUri=${encodeURIComponent(room)}`,
          baseUrl: base,
          transport,
          fetch: globalThis.fetch,
          WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
          reconnect: { initialDelayMs: 200, maxDelayMs: 1000 },
        })
        stores.push(store)
        let lastSeen: string | null = null
        batch.push(new Promise<void>((resolve) => {
          unsubscribes.push(store.subscribe(() => {
            const snapshot = store.getSnapshot()
            if (snapshot.status === 'live') resolve()
            const expected = arrivals.expected
            if (expected === null || lastSeen === expected) return
            if (snapshot.records[0]?.rkey === expected || snapshot.records.some((record) => record.rkey === expected)) {
              lastSeen = expected
              arrivals.arrived()
            }
          }))
        }))
        store.start()
      }
      await within(30_000, `${transport} subscribers ${start}..${start + OPEN_BATCH} going live`, Promise.all(batch))
    }
    const samples: number[] = []
    let cpuAtWarm = 0
    for (let i = 0; i < WARMUP + iterations; i++) {
      if (i === WARMUP) cpuAtWarm = await serverCpuMs(server)
      const rkey = `fan${i.toString().padStart(4, '0')}`
      const seen = arrivals.expect(rkey)
      const start = performance.now()
      await post(putUrl, JSON.stringify({ roomUri: room, rkey, value: { text: text(i) }, did: DID }))
      const end = await within(15_000, `${transport} put reaching ${n} subscribers`, seen)
      if (i >= WARMUP) samples.push(end - start)
      await sleep(5)
    }
    return { ...summarize(samples), serverCpuMsPerPut: ((await serverCpuMs(server)) - cpuAtWarm) / iterations }
  } finally {
    for (const unsubscribe of unsubscribes) unsubscribe()
    await Promise.all(stores.map((store) => store.stop()))
  }
}

async function measureBare(url: string, wsUrl: string, n: number, iterations: number) {
  const arrivals = new Arrivals(n)
  const sockets: WebSocket[] = []
  try {
    for (let start = 0; start < n; start += OPEN_BATCH) {
      const batch: Promise<void>[] = []
      for (let i = start; i < Math.min(n, start + OPEN_BATCH); i++) {
        const socket = new WebSocket(wsUrl)
        sockets.push(socket)
        let lastSeen: string | null = null
        socket.on('message', (data) => {
          const frame = JSON.parse(String(data)) as { data: { record: { rkey: string } } }
          const rkey = frame.data.record.rkey
          if (rkey === arrivals.expected && lastSeen !== rkey) {
            lastSeen = rkey
            arrivals.arrived()
          }
        })
        batch.push(new Promise((resolve, reject) => {
          socket.once('open', () => resolve())
          socket.once('error', reject)
        }))
      }
      await within(30_000, 'bare sockets opening', Promise.all(batch))
    }
    const samples: number[] = []
    for (let i = 0; i < WARMUP + iterations; i++) {
      const rkey = `fan${i.toString().padStart(4, '0')}`
      const uri = `at://${DID}/${COLLECTION}/${rkey}`
      const now = Date.now() * 1000
      // About the bytes syncline's server sends for the same put.
      const frame = JSON.stringify({
        kind: 'record.created',
        data: { record: { uri, did: DID, rkey, collection: COLLECTION, cid: 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', value: { text: text(i) }, time_us: now, indexed_at: now } },
      })
      const seen = arrivals.expect(rkey)
      const start = performance.now()
      await post(url, frame)
      const end = await within(15_000, `bare broadcast reaching ${n} sockets`, seen)
      if (i >= WARMUP) samples.push(end - start)
      await sleep(5)
    }
    return summarize(samples)
  } finally {
    for (const socket of sockets) socket.terminate()
  }
}

await runCase('2. Records fan-out', async (rows, notes) => {
  // The bare reference first: its figures stand even if syncline's server cannot start.
  const bareResults = new Map<number, ReturnType<typeof summarize>>()
  const bare = await startChild<{ url: string; wsUrl: string }>(new URL('../lib/bare-broadcast-server.ts', import.meta.url).pathname)
  try {
    for (const n of SIZES) {
      bareResults.set(n, await measureBare(bare.ready.url, bare.ready.wsUrl, n, ITERATIONS[n]!))
      log(`[fanout] bare ws broadcast to ${n}: p50 ${bareResults.get(n)!.p50.toFixed(2)} ms`)
    }
  } finally {
    await bare.stop()
  }
  let server: Awaited<ReturnType<typeof startChild<{ url: string }>>> | null = null
  let serverError: string | undefined
  try {
    server = await startChild<{ url: string }>(new URL('../lib/syncline-server.ts', import.meta.url).pathname)
  } catch (error) {
    serverError = errorText(error)
  }
  try {
    for (const transport of TRANSPORTS) {
      for (const n of SIZES) {
        const bareResult = bareResults.get(n)!
        let result: Awaited<ReturnType<typeof measureSyncline>> | null = null
        let error = serverError
        if (server) {
          try {
            result = await measureSyncline(server, server.ready.url, transport, n, ITERATIONS[n]!)
            log(`[fanout] syncline ${transport} to ${n}: p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, server CPU ${result.serverCpuMsPerPut.toFixed(2)} ms per put`)
          } catch (failure) {
            error = errorText(failure)
            log(`[fanout] syncline ${transport} to ${n} failed: ${error}`)
          }
        }
        for (const stat of ['p50', 'p99'] as const) {
          rows.push(row({
            name: `fan-out to ${n} subscriber${n === 1 ? '' : 's'} (${transport.toUpperCase()})`,
            metric: `${stat} put → last subscriber has it`,
            unit: 'ms',
            syncline: result ? result[stat] : null,
            peers: { 'bare ws broadcast (limit)': bareResult[stat] },
            limit: bareResult[stat],
            ratioTo: 'limit',
            goal: n === 500 ? '≤ 3× bare broadcast' : null,
            ...(n === 500 && { check: ({ ratio }: { ratio: number | null }) => ratio !== null && ratio <= 3 }),
            ...(error !== undefined && { error }),
          }))
        }
        if (n === 500) {
          rows.push(row({
            name: `fan-out to ${n} subscribers (${transport.toUpperCase()})`,
            metric: 'server CPU per put (user + system, the POST included)',
            unit: 'ms',
            syncline: result ? result.serverCpuMsPerPut : null,
            goal: null,
            ...(error !== undefined && { error }),
          }))
        }
      }
    }
    notes.push(
      `Why SSE at 500 misses the 3× goal while WS meets it: the 500 SSE subscribers are 500 undici fetch streams in one Node process, each read through a web ReadableStream (a promise per chunk), while the bare reference and the WS subscribers read ws sockets. The server encodes each event once for all watchers (one Buffer per event, shared by every stream) and hands it to each stream's socket as one write: Node corks a response's socket until the next tick, so that is one write(2) per stream per event (counted with strace -c: 500 per put to 500 streams, as for ws), and SSE bodies are chunked (Transfer-Encoding: chunked, seen on the wire; src/server/records/sseWatch.ts says why close-delimited was not taken), so each event goes out wrapped in a chunk-size line and a CRLF, in that same write. Most of the server's CPU per put (the "server CPU per put" rows) is the kernel's work in those 500 loopback writes (about 60% system time in a profile), which a bare ws broadcast pays too; in a browser each subscriber is its own tab. Subscribers are syncline record stores (createRecordStore, Node fetch for SSE, ws for WS), all in this one process, so their client-side work is serialized on one core; the server and the bare reference each run in their own process. Samples per size: ${SIZES.map((n) => `${n}: ${ITERATIONS[n]}`).join(', ')} (after ${WARMUP} warm-up puts); the room holds ${PREFILL}+ records.`,
      'Both figures include the POST itself; the bare server sends the POST body verbatim to every socket, whose only work is JSON.parse.',
    )
  } finally {
    await server?.stop()
  }
})
