/**
 * Diagnosis for case 2 (SSE at 500), not a case: the subscribers' own work alone, A/B. N
 * record stores per build read SSE from in-process streams (a `fetch` whose Response body is
 * a ReadableStream this script writes to: no sockets, no HTTP parsing), so what is timed is
 * syncline's client path per event (decode, SSE parse, frame check, store apply, notify, the
 * subscriber's getSnapshot) plus the web stream read it cannot avoid. One event goes to all N
 * stores of one build, then of the next, alternating; the time is from the first write until
 * the last store's subscriber has the record (all microtasks: wall ≈ CPU here). As in case 2,
 * a store holds 20 records at first and one more per event: each round opens fresh stores
 * (every build's at once), sends 5 warm-up events and PUTS timed ones, and closes them.
 *
 *   CLIENTS=base=.ab-base/src/core/index.ts,new=src/core/index.ts N=500 PUTS=35 ROUNDS=8 \
 *   node --import tsx bench/diag/sse-apply-ab.ts
 */
import { performance } from 'node:perf_hooks'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { RecordStore, RecordStoreOptions } from '../../src/core/index.js'
import { median, percentile } from '../lib/stats.js'

type Create = (options: RecordStoreOptions<{ text: string }>) => RecordStore<{ text: string }>

const COLLECTION = 'com.example.message'
const DID = 'did:example:bench'
const N = Number(process.env.N ?? 500)
const PUTS = Number(process.env.PUTS ?? 35)
const ROUNDS = Number(process.env.ROUNDS ?? 8)
const PREFILL = 20
const CLIENTS = (process.env.CLIENTS ?? 'new=src/core/index.ts').split(',').map((entry) => {
  const [name, path] = entry.split('=') as [string, string]
  return { name, path: pathToFileURL(resolve(path)).href }
})

const encoder = new TextEncoder()
let time = Date.now() * 1000
const recordFrame = (kind: string, rkey: string, i: number): string => {
  time += 1
  const record = { uri: `at://${DID}/${COLLECTION}/${rkey}`, did: DID, rkey, collection: COLLECTION, cid: `bafy${rkey}`, value: { text: `message ${i} ${'x'.repeat(100)}` }, time_us: time, indexed_at: time }
  return `event: ${kind}\ndata: ${JSON.stringify({ record })}\n\n`
}

interface Build {
  name: string
  stores: RecordStore<{ text: string }>[]
  controllers: ReadableStreamDefaultController<Uint8Array>[]
  expected: string | null
  seen: number
  done: (() => void) | null
  samples: number[]
}

async function open(name: string, create: Create): Promise<Build> {
  const build: Build = { name, stores: [], controllers: [], expected: null, seen: 0, done: null, samples: [] }
  let prefill = `event: snapshot.start\ndata: {"collection":"${COLLECTION}"}\n\n`
  for (let i = 0; i < PREFILL; i++) prefill += recordFrame('snapshot.record', `pre${i}`, i)
  prefill += 'event: snapshot.end\ndata: {}\n\n'
  const live: Promise<void>[] = []
  for (let i = 0; i < N; i++) {
    const fetch = (async () => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          build.controllers.push(controller)
          controller.enqueue(encoder.encode(prefill))
        },
      })
      return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
    }) as typeof globalThis.fetch
    const store = create({ url: `http://bench.invalid/xrpc/${COLLECTION}.watchRecords?roomUri=r`, transport: 'sse', fetch })
    build.stores.push(store)
    let lastSeen: string | null = null
    live.push(new Promise<void>((resolveLive) => {
      store.subscribe(() => {
        const snapshot = store.getSnapshot()
        if (snapshot.status === 'live') resolveLive()
        const expected = build.expected
        if (expected === null || lastSeen === expected) return
        if (snapshot.records[0]?.rkey === expected || snapshot.records.some((record) => record.rkey === expected)) {
          lastSeen = expected
          if (++build.seen === N) build.done?.()
        }
      })
    }))
    store.start()
  }
  await Promise.all(live)
  return build
}

async function put(build: Build, i: number): Promise<number> {
  const rkey = `fan${i.toString().padStart(5, '0')}`
  const bytes = encoder.encode(recordFrame('record.created', rkey, i))
  // One buffer per stream, as from the network; made before the clock starts.
  const chunks = build.controllers.map(() => bytes.slice())
  const all = new Promise<void>((resolveAll) => {
    build.done = resolveAll
  })
  build.seen = 0
  build.expected = rkey
  const start = performance.now()
  for (let s = 0; s < chunks.length; s++) build.controllers[s]!.enqueue(chunks[s]!)
  await all
  const elapsed = performance.now() - start
  build.expected = null
  return elapsed
}

const creates: Array<{ name: string; create: Create }> = []
for (const { name, path } of CLIENTS) creates.push({ name, create: ((await import(path)) as { createRecordStore: Create }).createRecordStore })
const samples = new Map<string, number[]>(creates.map(({ name }) => [name, []]))
let event = 0
for (let round = 0; round < ROUNDS; round++) {
  const builds: Build[] = []
  for (const { name, create } of creates) builds.push(await open(name, create))
  for (let i = 0; i < 5; i++) for (const build of builds) await put(build, event++)
  for (let i = 0; i < PUTS; i++) {
    // Alternate which build goes first in each pair.
    const order = (round + i) % 2 === 0 ? builds : [...builds].reverse()
    for (const build of order) samples.get(build.name)!.push(await put(build, event++))
    await new Promise((r) => setTimeout(r, 1))
  }
  for (const build of builds) {
    for (const controller of build.controllers) controller.close()
    await Promise.all(build.stores.map((store) => store.stop()))
  }
}
const builds = creates.map(({ name }) => ({ name, samples: samples.get(name)! }))
for (const build of builds) {
  const mean = build.samples.reduce((a, b) => a + b, 0) / build.samples.length
  console.log(`${build.name}: ${N} stores, ${build.samples.length} events: median ${median(build.samples).toFixed(2)} ms, p90 ${percentile(build.samples, 90).toFixed(2)} ms, mean ${mean.toFixed(2)} ms (${(1000 * median(build.samples) / N).toFixed(1)} µs per store)`)
}
if (builds.length === 2) {
  const ratios = builds[1]!.samples.map((b, i) => b / builds[0]!.samples[i]!)
  console.log(`${builds[1]!.name} / ${builds[0]!.name}: median of per-pair ratios ${median(ratios).toFixed(3)}`)
}
process.exit(0)
