/**
 * Case 11 — records capacity (issue 18 §2): how many putRecord/s one server instance carries
 * to 500 watchers of one room with p99 put → last watcher ≤ 50 ms, over SSE and over WS.
 *
 * Processes: syncline's reference server (memory storage) alone in one child process; the
 * watchers (syncline record stores) in WATCHER_PROCESSES others, the first of which also
 * generates the puts; this process only steers. Cores are not pinned.
 *
 * Each put's value carries its scheduled time; a put arrives when the last of the 500
 * watchers holds it. The rate ramps in steps; a step is sustained when every put reached
 * every watcher within the drain time and p99 ≤ 50 ms. The ramp stops at the first step
 * that is not.
 */
import { log, row, runCase } from '../lib/case.js'
import type { Row } from '../lib/case.js'
import { startChild } from '../lib/child.js'
import type { Child } from '../lib/child.js'
import { percentile } from '../lib/stats.js'

const WATCHERS = 500
const WATCHER_PROCESSES = 2
const RATES = [10, 25, 50, 100, 150, 200, 300, 500]
const STEP_SECONDS = 3
const DRAIN_MS = 1500
const P99_GOAL_MS = 50
const RAMP_BUDGET_MS = 30_000
const TRANSPORTS = ['sse', 'ws'] as const

interface LoadRun {
  sent: Array<{ seq: number; sentAt: number }>
  failed: number
  arrivals: Array<{ seq: number; count: number; last: number }>
}

interface Step {
  rate: number
  sent: number
  failed: number
  undelivered: number
  p50: number
  p99: number
  serverCpuShare: number
}

const lib = (file: string): string => new URL(`../lib/${file}`, import.meta.url).pathname

async function measure(transport: 'sse' | 'ws', base: string, server: Child<{ url: string }>): Promise<Step[]> {
  const loads: Child<{ pid: number }>[] = []
  const room = `record-capacity-${transport}-${Date.now()}`
  try {
    for (let i = 0; i < WATCHER_PROCESSES; i++) loads.push(await startChild<{ pid: number }>(lib('record-load.ts')))
    const opening = performance.now()
    await Promise.all(loads.map((load) => load.request({ type: 'open', base, room, n: WATCHERS / WATCHER_PROCESSES, transport }, 120_000)))
    log(`[record-capacity] ${WATCHERS} ${transport} watchers live in ${((performance.now() - opening) / 1000).toFixed(1)} s`)
    const steps: Step[] = []
    const rampStart = performance.now()
    let firstSeq = 0
    // The first, unmeasured step warms both sides up.
    for (const [index, rate] of [RATES[0]!, ...RATES].entries()) {
      if (performance.now() - rampStart > RAMP_BUDGET_MS) break
      const cpuBefore = await server.request<{ user: number; system: number }>({ type: 'cpu' })
      const wallBefore = performance.now()
      const runs = await Promise.all(loads.map((load, i) => load.request<LoadRun>({ type: 'run', base, room, rate, seconds: STEP_SECONDS, drainMs: DRAIN_MS, puts: i === 0, firstSeq }, (STEP_SECONDS + 30) * 1000)))
      const cpuAfter = await server.request<{ user: number; system: number }>({ type: 'cpu' })
      const wallMs = performance.now() - wallBefore
      const sent = runs[0]!.sent
      firstSeq = (sent.at(-1)?.seq ?? firstSeq) + 1
      const held = new Map<number, { count: number; last: number }>()
      for (const run of runs) {
        for (const { seq, count, last } of run.arrivals) {
          const entry = held.get(seq)
          if (entry === undefined) held.set(seq, { count, last })
          else held.set(seq, { count: entry.count + count, last: Math.max(entry.last, last) })
        }
      }
      const samples: number[] = []
      let undelivered = 0
      for (const { seq, sentAt } of sent) {
        const entry = held.get(seq)
        if (entry === undefined || entry.count < WATCHERS) undelivered++
        else samples.push(entry.last - sentAt)
      }
      const step: Step = {
        rate,
        sent: sent.length,
        failed: runs[0]!.failed,
        undelivered,
        p50: percentile(samples, 50),
        p99: percentile(samples, 99),
        serverCpuShare: (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / 1000 / wallMs,
      }
      if (index === 0) {
        log(`[record-capacity] ${transport} warm-up ${rate}/s (not counted): p99 ${step.p99.toFixed(1)} ms`)
        continue
      }
      steps.push(step)
      log(`[record-capacity] ${transport} ${rate} puts/s: p50 ${step.p50.toFixed(1)} ms, p99 ${step.p99.toFixed(1)} ms, ${undelivered}/${sent.length} not at every watcher, ${step.failed} failed puts, server ${(step.serverCpuShare * 100).toFixed(0)}% CPU`)
      if (undelivered > 0 || !(step.p99 <= P99_GOAL_MS)) break
    }
    return steps
  } finally {
    await Promise.allSettled(loads.map((load) => load.request({ type: 'close' }, 30_000)))
    await Promise.all(loads.map((load) => load.stop()))
  }
}

await runCase('11. Records capacity', async (rows: Row[], notes) => {
  const server = await startChild<{ url: string }>(lib('syncline-server.ts'))
  try {
    for (const transport of TRANSPORTS) {
      const steps = await measure(transport, server.ready.url, server)
      let best: Step | null = null
      for (const step of steps) {
        if (step.undelivered > 0 || !(step.p99 <= P99_GOAL_MS)) break
        best = step
      }
      rows.push(row({
        name: `${WATCHERS} watchers of one room (${transport.toUpperCase()}): sustained puts/s (higher is better)`,
        metric: `highest putRecord/s with p99 put → last watcher ≤ ${P99_GOAL_MS} ms`,
        unit: 'puts/s',
        syncline: best?.rate ?? 0,
        goal: null,
        note: best === null ? `not even ${RATES[0]} puts/s` : undefined,
      }))
      notes.push(`${transport.toUpperCase()}: ${steps.map((s) => `${s.rate}/s → p50 ${s.p50.toFixed(1)} / p99 ${s.p99.toFixed(1)} ms${s.undelivered > 0 ? `, ${s.undelivered} of ${s.sent} puts not at every watcher within ${DRAIN_MS} ms` : ''}${s.failed > 0 ? `, ${s.failed} puts failed` : ''}, server CPU ${(s.serverCpuShare * 100).toFixed(0)}%`).join('; ')}.`)
    }
  } finally {
    await server.stop()
  }
  notes.push(`Watchers: ${WATCHERS} syncline record stores (createRecordStore; Node fetch for SSE, ws for WS) in ${WATCHER_PROCESSES} processes of ${WATCHERS / WATCHER_PROCESSES}; the first also sends the puts (each due at its scheduled time, not waiting for the previous one). The server (memory storage) runs alone in a third process; cores are not pinned. Puts overwrite 16 rkeys (LOAD_KEYS in record-load.ts) in turn, each value carrying its scheduled time (Unix ms, the same clock in every process), so the latency is put scheduled → the last of the ${WATCHERS} watchers holds it, timed by the watchers. ${STEP_SECONDS} s per rate after one unmeasured warm-up step; the ramp stops at the first step with p99 over ${P99_GOAL_MS} ms or a put missing at some watcher after ${DRAIN_MS} ms. On this 2-core machine the watchers' own work (${WATCHERS} stores, each re-reading its snapshot on every event) competes with the server for the cores.`)
})
