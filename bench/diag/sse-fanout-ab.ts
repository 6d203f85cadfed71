/**
 * Diagnosis for case 2 (SSE at 500), not a case: the same fan-out as bench/cases/2-fanout.ts,
 * run alternately with several builds of the client code in one run, so a change is judged
 * against the old code under the same machine load (the machine is shared and noisy).
 *
 *   CLIENTS=base=/abs/path/src/core/index.ts,new=src/core/index.ts \
 *   N=500 ITERATIONS=30 ROUNDS=3 TRANSPORT=sse node --import tsx bench/diag/sse-fanout-ab.ts
 *
 * A build is a path to a core index (an old one: `git archive <commit> src | tar -x -C .ab-base`,
 * inside the worktree so node_modules resolve); `path@ws` runs that build over WebSocket. Each round opens N stores of every build in
 * turn (one build at a time), times ITERATIONS puts to the last store, then closes them. It
 * prints per build the median over rounds of each round's p50 and p99, and the subscriber
 * process's CPU per put (user + system), which is less noisy than the latency.
 * The server is bench/lib/syncline-server.ts (BENCH_SERVER_MODULE picks another build).
 * PROFILE=file.cpuprofile writes a CPU profile of the timed puts alone (not the opening).
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { performance } from 'node:perf_hooks'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { WebSocket } from 'ws'
import type { RecordStore, RecordStoreOptions } from '../../src/core/index.js'
import { sleep, within } from '../lib/case.js'
import { startChild } from '../lib/child.js'
import { median, summarize } from '../lib/stats.js'

type Create = (options: RecordStoreOptions<{ text: string }>) => RecordStore<{ text: string }>

const COLLECTION = 'com.example.message'
const DID = 'did:example:bench'
const N = Number(process.env.N ?? 500)
const ITERATIONS = Number(process.env.ITERATIONS ?? 30)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const WARMUP = 5
const PREFILL = 20
const TRANSPORT = (process.env.TRANSPORT ?? 'sse') as 'sse' | 'ws'
const PROFILE = process.env.PROFILE
const CLIENTS = (process.env.CLIENTS ?? 'new=src/core/index.ts').split(',').map((entry) => {
  const [name, spec] = entry.split('=') as [string, string]
  const [path, transport] = spec.split('@') as [string, 'sse' | 'ws' | undefined]
  return { name, path: pathToFileURL(resolve(path)).href, transport: transport ?? TRANSPORT }
})

const text = (i: number): string => `message ${i} ${'x'.repeat(100)}`

async function post(url: string, body: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  if (!response.ok) throw new Error(`${url} answered ${response.status}`)
  await response.arrayBuffer()
}

async function measure(create: Create, transport: 'sse' | 'ws', base: string, label: string) {
  const room = `ab-${label}-${Date.now()}`
  const putUrl = `${base}/xrpc/${COLLECTION}.putRecord`
  for (let i = 0; i < PREFILL; i++) await post(putUrl, JSON.stringify({ roomUri: room, rkey: `pre${i}`, value: { text: text(i) }, did: DID }))
  let expected: string | null = null
  let seen = 0
  let done: (() => void) | null = null
  const stores: RecordStore<{ text: string }>[] = []
  const unsubscribes: Array<() => void> = []
  try {
    for (let start = 0; start < N; start += 50) {
      const live: Promise<void>[] = []
      for (let i = start; i < Math.min(N, start + 50); i++) {
        const store = create({
          url: `/xrpc/${COLLECTION}.watchRecords?roomUri=${encodeURIComponent(room)}`,
          baseUrl: base,
          transport,
          fetch: globalThis.fetch,
          WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
          reconnect: { initialDelayMs: 200, maxDelayMs: 1000 },
        })
        stores.push(store)
        let lastSeen: string | null = null
        live.push(new Promise<void>((resolveLive) => {
          unsubscribes.push(store.subscribe(() => {
            const snapshot = store.getSnapshot()
            if (snapshot.status === 'live') resolveLive()
            if (expected === null || lastSeen === expected) return
            if (snapshot.records[0]?.rkey === expected || snapshot.records.some((record) => record.rkey === expected)) {
              lastSeen = expected
              if (++seen === N) done?.()
            }
          }))
        }))
        store.start()
      }
      await within(30_000, 'subscribers going live', Promise.all(live))
    }
    const samples: number[] = []
    let cpuAtWarm = process.cpuUsage()
    const session = PROFILE ? new Session() : null
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      if (i === WARMUP) {
        if (session) {
          session.connect()
          await session.post('Profiler.enable')
          await session.post('Profiler.start')
        }
        cpuAtWarm = process.cpuUsage()
      }
      const rkey = `fan${i.toString().padStart(4, '0')}`
      const all = new Promise<void>((resolveAll) => {
        done = resolveAll
      })
      seen = 0
      expected = rkey
      const start = performance.now()
      await post(putUrl, JSON.stringify({ roomUri: room, rkey, value: { text: text(i) }, did: DID }))
      await within(15_000, 'put reaching every subscriber', all)
      if (i >= WARMUP) samples.push(performance.now() - start)
      expected = null
      await sleep(5)
    }
    const cpu = process.cpuUsage(cpuAtWarm)
    if (session) {
      const { profile } = await session.post('Profiler.stop')
      writeFileSync(PROFILE!, JSON.stringify(profile))
      session.disconnect()
    }
    return { ...summarize(samples), cpuMsPerPut: (cpu.user + cpu.system) / 1000 / ITERATIONS }
  } finally {
    for (const unsubscribe of unsubscribes) unsubscribe()
    await Promise.all(stores.map((store) => store.stop()))
  }
}

const builds = await Promise.all(CLIENTS.map(async ({ name, path, transport }) => ({ name, transport, create: ((await import(path)) as { createRecordStore: Create }).createRecordStore })))
const server = await startChild<{ url: string }>(new URL('../lib/syncline-server.ts', import.meta.url).pathname)
const results = new Map<string, Array<{ p50: number; p99: number; cpuMsPerPut: number }>>(builds.map((build) => [build.name, []]))
try {
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which build goes first, so neither always runs on a warmer (or busier) machine.
    const order = round % 2 === 0 ? builds : [...builds].reverse()
    for (const build of order) {
      const result = await measure(build.create, build.transport, server.ready.url, `${build.name}-${round}`)
      results.get(build.name)!.push(result)
      console.log(`round ${round} ${build.name}: p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, client CPU ${result.cpuMsPerPut.toFixed(2)} ms/put`)
    }
  }
} finally {
  await server.stop()
}
for (const [name, rounds] of results) {
  const of = (key: 'p50' | 'p99' | 'cpuMsPerPut'): string => median(rounds.map((r) => r[key])).toFixed(2)
  console.log(`${name} (median of ${rounds.length} rounds): p50 ${of('p50')} ms, p99 ${of('p99')} ms, client CPU ${of('cpuMsPerPut')} ms/put`)
}
