/**
 * Diagnosis for case 10, not a case (`node --import tsx bench/diag/doc-capacity-ab.ts`):
 * case 10's load (50 documents × 4 editors in 2 generator processes) against syncline
 * servers loaded from the modules in SERVERS (comma-separated paths to src/server/index.ts
 * of different builds; default this worktree's), so server changes are compared in one run.
 * Each round runs every server in turn at each rate in RATES (default 25,300) for SECONDS
 * (default 4) after a warm-up, ROUNDS times (default 3); it prints, per server and rate, the
 * medians over rounds of p50, p99, server CPU ms per 1,000 edits and the generators' CPU.
 * PROFILE=dir starts each server with --cpu-prof into dir (one profile per server process).
 * CLOSED=n adds a closed-loop step (doc-load.ts `closed`): n edits per document, each once the
 * last has arrived, reported as rate 0; its server CPU per edit holds on a busy machine,
 * where the timed steps back up.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { startChild } from '../lib/child.js'
import type { Child } from '../lib/child.js'
import { percentile } from '../lib/stats.js'

const DOCS = 50
const PEERS = 4
const LOAD_PROCESSES = 2
const RATES = (process.env.RATES ?? '25,300').split(',').filter(Boolean).map(Number)
const SECONDS = Number(process.env.SECONDS ?? 4)
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const SERVERS = (process.env.SERVERS ?? new URL('../../src/server/index.ts', import.meta.url).pathname).split(',')
const PROFILE = process.env.PROFILE
const CLOSED = Number(process.env.CLOSED ?? 0)
const STEPS = [...(CLOSED > 0 ? [0] : []), ...RATES]

interface Usage { user: number; system: number }
interface LoadRun { samples: number[]; offered: number; undelivered: number; cpuMs: number; wallMs: number }
interface Figures { p50: number; p99: number; cpuPer1000: number; serverShare: number; loadShare: number; undelivered: number }

const lib = (file: string): string => new URL(`../lib/${file}`, import.meta.url).pathname

async function runServer(module: string): Promise<Map<number, Figures>> {
  const dir = mkdtempSync(join(tmpdir(), 'syncline-capacity-ab-'))
  const execArgv = ['--expose-gc', ...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] : [])]
  const server = await startChild<{ url: string }>(lib('syncline-server.ts'), { execArgv, args: ['--file-storage', dir], env: { BENCH_SERVER_MODULE: module } })
  const loads: Child<{ pid: number }>[] = []
  const figures = new Map<number, Figures>()
  try {
    for (let i = 0; i < LOAD_PROCESSES; i++) loads.push(await startChild<{ pid: number }>(lib('doc-load.ts')))
    const url = server.ready.url.replace(/^http/, 'ws')
    await Promise.all(loads.map((load) => load.request({ type: 'open', impl: 'syncline', url, docs: DOCS / LOAD_PROCESSES, peers: PEERS }, 120_000)))
    const step = async (rate: number, seconds: number): Promise<Figures> => {
      const before = await server.request<Usage>({ type: 'cpu' })
      const wallBefore = performance.now()
      const runs = await Promise.all(loads.map((load) => load.request<LoadRun>({ type: 'run', ratePerPeer: rate / (DOCS * PEERS), seconds, drainMs: 2000 }, (seconds + 30) * 1000)))
      const after = await server.request<Usage>({ type: 'cpu' })
      const wallMs = performance.now() - wallBefore
      const samples = runs.flatMap((run) => run.samples)
      const offered = runs.reduce((sum, run) => sum + run.offered, 0)
      const cpuMs = (after.user + after.system - before.user - before.system) / 1000
      return {
        p50: percentile(samples, 50),
        p99: percentile(samples, 99),
        cpuPer1000: (cpuMs / offered) * 1000,
        serverShare: cpuMs / wallMs,
        loadShare: runs.reduce((sum, run) => sum + run.cpuMs / run.wallMs, 0),
        undelivered: runs.reduce((sum, run) => sum + run.undelivered, 0),
      }
    }
    const closed = async (): Promise<Figures> => {
      const before = await server.request<Usage>({ type: 'cpu' })
      const runs = await Promise.all(loads.map((load) => load.request<LoadRun>({ type: 'closed', edits: CLOSED }, 300_000)))
      const after = await server.request<Usage>({ type: 'cpu' })
      const offered = runs.reduce((sum, run) => sum + run.offered, 0)
      const cpuMs = (after.user + after.system - before.user - before.system) / 1000
      const wallMs = Math.max(...runs.map((run) => run.wallMs))
      return { p50: Number.NaN, p99: Number.NaN, cpuPer1000: (cpuMs / offered) * 1000, serverShare: cpuMs / wallMs, loadShare: runs.reduce((sum, run) => sum + run.cpuMs / run.wallMs, 0), undelivered: 0 }
    }
    await step(25, 2)
    if (CLOSED > 0) figures.set(0, await closed())
    for (const rate of RATES) figures.set(rate, await step(rate, SECONDS))
  } finally {
    await Promise.allSettled(loads.map((load) => load.request({ type: 'close' }, 30_000)))
    await Promise.all([server.stop(), ...loads.map((load) => load.stop())])
    rmSync(dir, { recursive: true, force: true })
  }
  return figures
}

const median = (values: number[]): number => percentile(values, 50)
const results = new Map<string, Map<number, Figures[]>>(SERVERS.map((module) => [module, new Map(STEPS.map((rate) => [rate, []]))]))
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order each round so neither server always runs on the warmer machine.
  const order = round % 2 === 0 ? SERVERS : [...SERVERS].reverse()
  for (const module of order) {
    const figures = await runServer(module)
    for (const [rate, f] of figures) {
      results.get(module)!.get(rate)!.push(f)
      console.log(`round ${round + 1} ${module} ${rate}/s: p50 ${f.p50.toFixed(1)} p99 ${f.p99.toFixed(1)} ms, server ${(f.serverShare * 100).toFixed(0)}% (${f.cpuPer1000.toFixed(0)} ms/1,000 edits), generators ${(f.loadShare * 100).toFixed(0)}%, undelivered ${f.undelivered}`)
    }
  }
}
console.log('\nmedians over rounds:')
for (const [module, byRate] of results) {
  for (const [rate, list] of byRate) {
    console.log(`${module} ${rate}/s: p50 ${median(list.map((f) => f.p50)).toFixed(1)} p99 ${median(list.map((f) => f.p99)).toFixed(1)} ms, server ${(median(list.map((f) => f.serverShare)) * 100).toFixed(0)}% (${median(list.map((f) => f.cpuPer1000)).toFixed(0)} ms/1,000 edits), generators ${(median(list.map((f) => f.loadShare)) * 100).toFixed(0)}%`)
  }
}
