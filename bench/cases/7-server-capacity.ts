/**
 * Case 7 — server capacity: 1,000 concurrent idle WebSocket watchers (mode=ws, syncline
 * record stores) on the reference server. The watchers run in one child process, the server
 * in another (with --expose-gc), so the heap figures are the server's alone. Reports heap
 * (and RSS) per connection and the time for one write to reach all of them; a bare `ws` server
 * with the same number of idle sockets is the reference.
 */
import { errorText, log, row, runCase, sleep } from '../lib/case.js'
import { startChild } from '../lib/child.js'
import { summarize } from '../lib/stats.js'

const WATCHERS = 1_000
const WRITES = 20
const WARMUP_WRITES = 3
const PREFILL = 20
const COLLECTION = 'com.example.message'

interface Heap {
  heapUsed: number
  rss: number
  external: number
  arrayBuffers: number
  gc: boolean
}

const lib = (file: string): string => new URL(`../lib/${file}`, import.meta.url).pathname

interface Measured {
  heapPerConnection: number
  rssPerConnection: number
  writes: ReturnType<typeof summarize>
}

async function measureSyncline(notes: string[]): Promise<Measured> {
  const server = await startChild<{ url: string }>(lib('syncline-server.ts'), { execArgv: ['--expose-gc'] })
  const watchers = await startChild<{ pid: number }>(lib('watchers.ts'))
  try {
    const room = `capacity-${Date.now()}`
    await server.request({
      type: 'putMany',
      puts: Array.from({ length: PREFILL }, (_, i) => ({ collection: COLLECTION, roomUri: room, rkey: `pre${i}`, value: { text: `prefill ${i}` } })),
    })
    await sleep(500)
    const before = await server.request<Heap>({ type: 'heap' })
    const started = performance.now()
    await watchers.request({ type: 'open', base: server.ready.url, room, n: WATCHERS }, 90_000)
    log(`[capacity] ${WATCHERS} ws watchers live in ${((performance.now() - started) / 1000).toFixed(1)} s`)
    await sleep(1000)
    const after = await server.request<Heap>({ type: 'heap' })
    const samples: number[] = []
    for (let i = 0; i < WARMUP_WRITES + WRITES; i++) {
      const ms = await watchers.request<number>({ type: 'write', base: server.ready.url, room, rkey: `cap${i}` }, 40_000)
      if (i >= WARMUP_WRITES) samples.push(ms)
      await sleep(20)
    }
    const afterWrites = await server.request<Heap>({ type: 'heap' })
    if (!after.gc) notes.push('WARNING: the server ran without --expose-gc; heap figures include garbage.')
    notes.push(`syncline server: heap ${(before.heapUsed / 1e6).toFixed(1)} MB → ${(after.heapUsed / 1e6).toFixed(1)} MB with ${WATCHERS} watchers (${(afterWrites.heapUsed / 1e6).toFixed(1)} MB after ${WARMUP_WRITES + WRITES} writes); RSS ${(before.rss / 1e6).toFixed(0)} → ${(after.rss / 1e6).toFixed(0)} MB; ${WATCHERS} watchers went live in ${((performance.now() - started) / 1000).toFixed(1)} s.`)
    await watchers.request({ type: 'close' })
    return {
      heapPerConnection: (after.heapUsed - before.heapUsed) / WATCHERS,
      rssPerConnection: (after.rss - before.rss) / WATCHERS,
      writes: summarize(samples),
    }
  } finally {
    await Promise.all([server.stop(), watchers.stop()])
  }
}

async function measureBare(): Promise<Measured> {
  const bare = await startChild<{ url: string; wsUrl: string }>(lib('bare-broadcast-server.ts'), { execArgv: ['--expose-gc'] })
  const watchers = await startChild<{ pid: number }>(lib('watchers.ts'))
  try {
    await sleep(500)
    const before = await bare.request<Heap>({ type: 'heap' })
    await watchers.request({ type: 'openBare', wsUrl: bare.ready.wsUrl, n: WATCHERS }, 90_000)
    await sleep(1000)
    const after = await bare.request<Heap>({ type: 'heap' })
    const samples: number[] = []
    for (let i = 0; i < WARMUP_WRITES + WRITES; i++) {
      const ms = await watchers.request<number>({ type: 'writeBare', url: bare.ready.url, rkey: `cap${i}` }, 40_000)
      if (i >= WARMUP_WRITES) samples.push(ms)
      await sleep(20)
    }
    await watchers.request({ type: 'close' })
    return { heapPerConnection: (after.heapUsed - before.heapUsed) / WATCHERS, rssPerConnection: (after.rss - before.rss) / WATCHERS, writes: summarize(samples) }
  } finally {
    await Promise.all([bare.stop(), watchers.stop()])
  }
}

await runCase('7. Server capacity', async (rows, notes) => {
  const reference = await measureBare()
  let syncline: Measured | null = null
  let error: string | undefined
  try {
    syncline = await measureSyncline(notes)
  } catch (failure) {
    error = errorText(failure)
    log(`[capacity] syncline failed: ${error}`)
  }
  const bareName = 'bare ws server (limit)'
  const failed = error === undefined ? {} : { error }
  rows.push(row({
    name: `${WATCHERS.toLocaleString('en')} idle WS watchers: server heap per connection`,
    metric: 'heapUsed after GC ÷ connections',
    unit: 'kB',
    syncline: syncline ? syncline.heapPerConnection / 1000 : null,
    peers: { [bareName]: reference.heapPerConnection / 1000 },
    limit: reference.heapPerConnection / 1000,
    ratioTo: 'limit',
    goal: null,
    ...failed,
  }))
  rows.push(row({
    name: `${WATCHERS.toLocaleString('en')} idle WS watchers: server RSS per connection`,
    metric: 'RSS growth ÷ connections',
    unit: 'kB',
    syncline: syncline ? syncline.rssPerConnection / 1000 : null,
    peers: { [bareName]: reference.rssPerConnection / 1000 },
    limit: reference.rssPerConnection / 1000,
    ratioTo: 'limit',
    goal: null,
    ...failed,
  }))
  for (const stat of ['p50', 'p99'] as const) {
    rows.push(row({
      name: `${WATCHERS.toLocaleString('en')} idle WS watchers: one write reaches all`,
      metric: `${stat} put → last watcher has it`,
      unit: 'ms',
      syncline: syncline ? syncline.writes[stat] : null,
      peers: { [bareName]: reference.writes[stat] },
      limit: reference.writes[stat],
      ratioTo: 'limit',
      goal: null,
      ...failed,
    }))
  }
  notes.push(`Watchers are syncline record stores over WebSocket (mode=ws) in a separate process (the bare reference: plain ws sockets); ${WRITES} writes after ${WARMUP_WRITES} warm-up; servers run with --expose-gc and are collected before each heap reading.`)
})
