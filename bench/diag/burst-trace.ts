/**
 * Diagnosis for case 5's live burst, not a case (`node --import tsx bench/diag/burst-trace.ts`,
 * N=… changes, default 10,000): the writer in the server's process makes N changes, each in
 * its own task, and this process's DocStore reads them. It logs how many changes each
 * receiveSyncMessage applied and how long it took, GC pauses, and every gap over 15 ms
 * between two turns of the event loop with the CPU time the process used in it, so a long
 * task that is this process's work (CPU ≈ wall) can be told from one where the machine ran
 * something else (CPU ≪ wall).
 */
import type * as AutomergeModule from '@automerge/automerge/slim'
import { performance, PerformanceObserver } from 'node:perf_hooks'
import { createDocConnection } from '../../src/core/index.js'
import { loadAutomerge } from '../../src/core/docs/automerge.js'
import { startChild } from '../lib/child.js'
import type { TraceEvent } from '../lib/relayTrace.js'
import { tracedWebSocket } from '../lib/relayTrace.js'

type Automerge = typeof AutomergeModule
const N = Number(process.env.N ?? 10_000)

interface Receive { t: number; ms: number; bytes: number; changes: number }
interface Gap { start: number; ms: number; cpuMs: number }
const receives: Receive[] = []
const gcs: Array<{ t: number; ms: number }> = []
const gaps: Gap[] = []

/** Automerge with receiveSyncMessage timed (its changes counted outside the timing). */
async function timedAutomerge(): Promise<Automerge> {
  const A = await loadAutomerge()
  const receiveSyncMessage = ((doc, state, data) => {
    const changes = A.decodeSyncMessage(data).changes.length
    const t = performance.now()
    const result = A.receiveSyncMessage(doc, state, data)
    receives.push({ t, ms: performance.now() - t, bytes: data.byteLength, changes })
    return result
  }) as Automerge['receiveSyncMessage']
  return { ...A, receiveSyncMessage }
}

function watchGaps(): () => void {
  let last = performance.now()
  let lastCpu = process.cpuUsage()
  let running = true
  const tick = (): void => {
    const now = performance.now()
    const cpu = process.cpuUsage()
    if (now - last > 15) gaps.push({ start: last, ms: now - last, cpuMs: (cpu.user + cpu.system - lastCpu.user - lastCpu.system) / 1000 })
    last = now
    lastCpu = cpu
    if (running) setImmediate(tick)
  }
  setImmediate(tick)
  return () => {
    running = false
  }
}

const server = await startChild<{ url: string }>(new URL('../lib/syncline-server.ts', import.meta.url).pathname)
const trace: TraceEvent[] = []
const connection = createDocConnection(
  { url: server.ready.url.replace(/^http/, 'ws'), WebSocket: tracedWebSocket('reader', trace) as unknown as typeof globalThis.WebSocket },
  { loadAutomerge: timedAutomerge },
)
const url = await server.request<string>({ type: 'createRows', n: 1 })
connection.start()
const store = connection.open<{ count?: number }>(url)
await new Promise<void>((resolve) => {
  const unsubscribe = store.subscribe(() => {
    if (store.getSnapshot().doc === undefined) return
    unsubscribe()
    resolve()
  })
})
const done = new Promise<number>((resolve) => {
  store.subscribe(() => {
    if (store.getSnapshot().doc?.count === N) resolve(performance.now())
  })
})
trace.length = 0
receives.length = 0
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcs.push({ t: entry.startTime, ms: entry.duration })
}).observe({ entryTypes: ['gc'] })
const start = performance.now()
const stop = watchGaps()
const written = server.request({ type: 'burst', url, n: N }, 300_000)
const end = await done
stop()
await written

const frames = trace.filter((event) => event.kind === 'receive')
console.log(`${((end - start) / 1000).toFixed(2)} s, ${(N / ((end - start) / 1000)).toFixed(0)} changes/s; ${frames.length} frames in, ${trace.length - frames.length} out`)
const perMessage = new Map<number, number>()
for (const r of receives) perMessage.set(r.changes, (perMessage.get(r.changes) ?? 0) + 1)
console.log(`receiveSyncMessage calls by changes carried: ${[...perMessage].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}:${v}`).join(' ')}; longest call ${Math.max(...receives.map((r) => r.ms)).toFixed(1)} ms`)
const describe = (gap: Gap): string => {
  const inside = receives.filter((r) => r.t >= gap.start && r.t <= gap.start + gap.ms)
  const gc = gcs.filter((x) => x.t >= gap.start && x.t <= gap.start + gap.ms)
  return `${gap.ms.toFixed(1)} ms (CPU ${gap.cpuMs.toFixed(1)} ms) at +${(gap.start - start).toFixed(0)} ms: ${inside.length} receives, ${inside.reduce((s, r) => s + r.ms, 0).toFixed(1)} ms in them, up to ${Math.max(0, ...inside.map((r) => r.changes))} changes each; GC ${gc.map((x) => x.ms.toFixed(1)).join(', ') || 'none'}`
}
console.log(`gaps over 15 ms: ${gaps.length}; over 50 ms: ${gaps.filter((g) => g.ms > 50).length}; with over 50 ms of CPU: ${gaps.filter((g) => g.cpuMs > 50).length}`)
const settled = gaps.filter((g) => g.start - start > 3000)
console.log(`after the first 3 s: longest ${Math.max(...settled.map((g) => g.ms)).toFixed(1)} ms, most CPU ${Math.max(...settled.map((g) => g.cpuMs)).toFixed(1)} ms, over 50 ms: ${settled.filter((g) => g.ms > 50).length}`)
console.log('most CPU:')
for (const gap of [...gaps].sort((a, b) => b.cpuMs - a.cpuMs).slice(0, 6)) console.log(`  ${describe(gap)}`)
console.log('longest:')
for (const gap of [...gaps].sort((a, b) => b.ms - a.ms).slice(0, 6)) console.log(`  ${describe(gap)}`)
await connection.close()
await server.stop()
process.exit(0)
