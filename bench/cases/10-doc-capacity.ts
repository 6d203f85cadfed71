/**
 * Case 10 — documents capacity (issue 18 §2): DOCS documents × PEERS editors each, every
 * editor its own client editing at R edits/s, against one server instance: syncline's
 * reference server (file storage) and a stock automerge-repo sync server (Repo +
 * WebSocketServerAdapter + NodeFSStorageAdapter), one after the other in the same run.
 *
 * Processes: the server alone in one child process; the editors in LOAD_PROCESSES other child
 * processes (each holds DOCS / LOAD_PROCESSES whole documents, all their editors); this
 * process only steers. Nothing is pinned: the OS spreads the three busy processes over the
 * machine's cores, and each step reports how much CPU the server and the generators used.
 *
 * R ramps in steps; a step is sustained when every edit reached every other editor of its
 * document within the drain time and the p99 of "scheduled edit → the last other editor sees
 * it" is ≤ 50 ms. The ramp stops at the first step that is not.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { log, row, runCase } from '../lib/case.js'
import type { Row } from '../lib/case.js'
import { startChild } from '../lib/child.js'
import type { Child } from '../lib/child.js'
import { percentile } from '../lib/stats.js'
import { judge, rampEnd, sustainedAt } from '../lib/capacityVerdict.js'
import type { RampStep } from '../lib/capacityVerdict.js'

const DOCS = 50
const PEERS = 4
const LOAD_PROCESSES = 2
/**
 * Total edits/s over every editor, in steps. 150 and 250 sit where this machine's figures
 * fall (stock holds 25 at most at 50 ms, so the goal is decided near 250): with 200 → 300,
 * a server that holds 250 was reported as 200.
 */
const RATES = [25, 50, 100, 150, 200, 250, 300, 400, 600, 800, 1000, 1300, 1600]
/** One unmeasured step first: the first edits of each editor pay for JIT and first-use work. */
const WARMUP = { rate: 25, seconds: 2 }
const STEP_SECONDS = 4
const DRAIN_MS = 2000
const P99_GOAL_MS = 50
/** The stock server cannot meet 50 ms at any rate (its 100 ms sync throttle); it also gets a looser bar. */
const KEEPS_UP_P99_MS = 500
const RAMP_BUDGET_MS = 50_000

interface Usage {
  user: number
  system: number
}
interface Heap {
  heapUsed: number
  rss: number
  external: number
}
interface LoadRun {
  samples: number[]
  offered: number
  undelivered: number
  maxLateMs: number
  cpuMs: number
  wallMs: number
}

interface Step extends RampStep {
  offered: number
  p50: number
  serverCpuMsPer1000: number
  loadCpuShare: number
  /** The machine's 1-minute load average at the end of the step (other processes share it too). */
  loadAverage: number
}

interface ServerResult {
  steps: Step[]
  rssPerDoc: number
  heapPerDoc: number
  externalPerDoc: number
  openSeconds: number
}

const kB = (bytes: number): string => (bytes / 1000).toFixed(0)
const lib = (file: string): string => new URL(`../lib/${file}`, import.meta.url).pathname

async function measure(impl: 'syncline' | 'stock', notes: string[]): Promise<ServerResult> {
  const dir = mkdtempSync(join(tmpdir(), `syncline-capacity-${impl}-`))
  const server = impl === 'syncline'
    ? await startChild<{ url: string }>(lib('syncline-server.ts'), { execArgv: ['--expose-gc'], args: ['--file-storage', dir] })
    : await startChild<{ url: string }>(lib('automerge-storage-server.ts'), { execArgv: ['--expose-gc'], args: [dir] })
  const loads: Child<{ pid: number }>[] = []
  try {
    for (let i = 0; i < LOAD_PROCESSES; i++) loads.push(await startChild<{ pid: number }>(lib('doc-load.ts')))
    const url = server.ready.url.replace(/^http/, 'ws')
    const before = await server.request<Heap>({ type: 'heap' })
    const opening = performance.now()
    await Promise.all(loads.map((load) => load.request({ type: 'open', impl, url, docs: DOCS / LOAD_PROCESSES, peers: PEERS }, 120_000)))
    const openSeconds = (performance.now() - opening) / 1000
    const after = await server.request<Heap>({ type: 'heap' })
    log(`[doc-capacity] ${impl}: ${DOCS} documents × ${PEERS} editors open in ${openSeconds.toFixed(1)} s; server RSS ${(before.rss / 1e6).toFixed(0)} → ${(after.rss / 1e6).toFixed(0)} MB`)
    await Promise.all(loads.map((load) => load.request<LoadRun>({ type: 'run', ratePerPeer: WARMUP.rate / (DOCS * PEERS), seconds: WARMUP.seconds, drainMs: DRAIN_MS }, (WARMUP.seconds + 30) * 1000)))
    const steps: Step[] = []
    const rampStart = performance.now()
    for (const rate of RATES) {
      if (performance.now() - rampStart > RAMP_BUDGET_MS) break
      const cpuBefore = await server.request<Usage>({ type: 'cpu' })
      const wallBefore = performance.now()
      const runs = await Promise.all(loads.map((load) => load.request<LoadRun>({ type: 'run', ratePerPeer: rate / (DOCS * PEERS), seconds: STEP_SECONDS, drainMs: DRAIN_MS }, (STEP_SECONDS + 30) * 1000)))
      const cpuAfter = await server.request<Usage>({ type: 'cpu' })
      const wallMs = performance.now() - wallBefore
      const samples = runs.flatMap((run) => run.samples)
      const offered = runs.reduce((sum, run) => sum + run.offered, 0)
      const serverCpuMs = (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / 1000
      const step: Step = {
        rate,
        offered,
        undelivered: runs.reduce((sum, run) => sum + run.undelivered, 0),
        p50: percentile(samples, 50),
        p99: percentile(samples, 99),
        serverCpuMsPer1000: (serverCpuMs / offered) * 1000,
        serverCpuShare: serverCpuMs / wallMs,
        loadCpuShare: runs.reduce((sum, run) => sum + run.cpuMs / run.wallMs, 0),
        generatorCpuShares: runs.map((run) => run.cpuMs / run.wallMs),
        maxLateMs: Math.max(...runs.map((run) => run.maxLateMs)),
        loadAverage: loadavg()[0] ?? 0,
      }
      steps.push(step)
      log(`[doc-capacity] ${impl} ${rate} edits/s: p50 ${step.p50.toFixed(1)} ms, p99 ${step.p99.toFixed(1)} ms, ${step.undelivered}/${offered} undelivered, server ${(step.serverCpuShare * 100).toFixed(0)}% CPU (${(step.serverCpuMsPer1000 / 1000).toFixed(2)} ms per edit), generators ${step.generatorCpuShares.map((share) => `${(share * 100).toFixed(0)}%`).join(' + ')} CPU, generator late by ≤ ${step.maxLateMs.toFixed(0)} ms, load average ${step.loadAverage.toFixed(1)}`)
      const bar = impl === 'stock' ? KEEPS_UP_P99_MS : P99_GOAL_MS
      if (step.undelivered > 0 || !(step.p99 <= bar)) break
    }
    notes.push(`${impl === 'syncline' ? 'syncline server (fileStorage, its defaults)' : 'stock automerge-repo 2.5.6 server (NodeFSStorageAdapter)'}: ${steps.map((s) => `${s.rate}/s → p50 ${s.p50.toFixed(1)} / p99 ${s.p99.toFixed(1)} ms${s.undelivered > 0 ? `, ${s.undelivered} of ${s.offered} not delivered within ${DRAIN_MS} ms` : ''}, server CPU ${(s.serverCpuShare * 100).toFixed(0)}% (${(s.serverCpuMsPer1000 / 1000).toFixed(2)} ms per edit), generators ${(s.loadCpuShare * 100).toFixed(0)}% (${s.generatorCpuShares.map((share) => `${(share * 100).toFixed(0)}%`).join(' + ')}), generators late by ≤ ${s.maxLateMs.toFixed(0)} ms, load average ${s.loadAverage.toFixed(1)}`).join('; ')}. Opening the ${DOCS * PEERS} editors took ${openSeconds.toFixed(1)} s; server RSS ${(before.rss / 1e6).toFixed(0)} → ${(after.rss / 1e6).toFixed(0)} MB, heap ${(before.heapUsed / 1e6).toFixed(1)} → ${(after.heapUsed / 1e6).toFixed(1)} MB (after GC).`)
    return { steps, rssPerDoc: (after.rss - before.rss) / DOCS, heapPerDoc: (after.heapUsed - before.heapUsed) / DOCS, externalPerDoc: (after.external - before.external) / DOCS, openSeconds }
  } finally {
    await Promise.allSettled(loads.map((load) => load.request({ type: 'close' }, 30_000)))
    await Promise.all([server.stop(), ...loads.map((load) => load.stop())])
    rmSync(dir, { recursive: true, force: true })
  }
}

/** The highest step that (with every step before it) delivered everything with p99 ≤ `p99Ms`. */
function sustained(steps: Step[], p99Ms: number): Step | null {
  const { rate } = sustainedAt(steps, p99Ms)
  return steps.find((step) => step.rate === rate) ?? null
}

await runCase('10. Documents capacity', async (rows: Row[], notes) => {
  const ours = await measure('syncline', notes)
  const stock = await measure('stock', notes)
  const stockName = 'stock automerge-repo 2.5.6 server'
  const oursBest = sustained(ours.steps, P99_GOAL_MS)
  const stockBest = sustained(stock.steps, P99_GOAL_MS)
  const stockKeepsUp = sustained(stock.steps, KEEPS_UP_P99_MS)
  const stockLooseName = `${stockName}, at p99 ≤ ${KEEPS_UP_P99_MS} ms`
  const shape = `${DOCS} documents × ${PEERS} editors`
  const stockStrictName = `${stockName} (p99 ≤ ${P99_GOAL_MS} ms)`
  const stockStrict = stockBest?.rate ?? 0
  const stockLoose = stockKeepsUp?.rate ?? 0
  const verdict = judge(sustainedAt(ours.steps, P99_GOAL_MS), sustainedAt(stock.steps, P99_GOAL_MS), sustainedAt(stock.steps, KEEPS_UP_P99_MS), { factor: 10, strictMs: P99_GOAL_MS, looseMs: KEEPS_UP_P99_MS })
  const cores = cpus().length
  notes.unshift(
    `Verdict: ${verdict.met === null ? 'not judged' : verdict.met ? 'met' : 'not met'}: ${verdict.reason}.`,
    rampEnd('syncline', ours.steps, P99_GOAL_MS, cores),
    rampEnd(`stock (at p99 ≤ ${KEEPS_UP_P99_MS} ms)`, stock.steps, KEEPS_UP_P99_MS, cores),
  )
  rows.push(row({
    name: `${shape}: sustained edits/s (higher is better)`,
    metric: `highest total edits/s with relay p99 ≤ ${P99_GOAL_MS} ms`,
    unit: 'edits/s',
    syncline: oursBest?.rate ?? 0,
    peers: { [stockStrictName]: stockStrict, [stockLooseName]: stockLoose },
    ratioTo: verdict.against === 'loose' ? stockLooseName : stockStrictName,
    goal: `≥ 10× stock's sustained edits/s (both at p99 ≤ ${P99_GOAL_MS} ms; when stock sustains none, against stock at p99 ≤ ${KEEPS_UP_P99_MS} ms)`,
    ...(verdict.met !== null && { check: () => verdict.met === true }),
  }))
  // At syncline's highest sustained rate (when none was sustained, its first step, so the cost
  // still shows), and stock at the same rate: the cost per edit falls as the rate rises on both.
  const oursCpuStep = oursBest ?? ours.steps[0] ?? null
  const stockCpuStep = stock.steps.find((step) => step.rate === oursCpuStep?.rate) ?? stockKeepsUp ?? stock.steps[0] ?? null
  const stockAt = `${stockName} at ${stockCpuStep?.rate ?? '—'} edits/s`
  rows.push(row({
    name: `${shape}: server CPU per 1,000 edits`,
    metric: `user + system, at ${oursBest ? 'the highest sustained rate' : 'the first step'} (${oursCpuStep?.rate ?? '—'} edits/s)`,
    unit: 'ms',
    syncline: oursCpuStep?.serverCpuMsPer1000 ?? null,
    peers: { [stockAt]: stockCpuStep?.serverCpuMsPer1000 ?? null },
    ratioTo: stockAt,
    goal: null,
  }))
  rows.push(row({
    name: `${shape}: server memory per open document`,
    metric: `RSS growth ÷ documents (${PEERS} editors each, after GC)`,
    unit: 'kB',
    syncline: ours.rssPerDoc / 1000,
    peers: { [stockName]: stock.rssPerDoc / 1000 },
    ratioTo: stockName,
    goal: 'stated and explained (see notes)',
  }))
  rows.push(row({
    name: `${shape}: server heap per open document`,
    metric: 'heapUsed growth ÷ documents (after GC)',
    unit: 'kB',
    syncline: ours.heapPerDoc / 1000,
    peers: { [stockName]: stock.heapPerDoc / 1000 },
    ratioTo: stockName,
    goal: null,
  }))
  notes.push(
    `Load: ${shape}, each editor its own client and socket (syncline createDocConnection / a stock Repo with one WebSocketClientAdapter), each writing only its own key of a small document ({ seq: { p0 … p${PEERS - 1} } }). ${LOAD_PROCESSES} generator processes, each holding ${DOCS / LOAD_PROCESSES} whole documents (all their editors), and the server alone in a third process, with --expose-gc; cores are not pinned, so on this 2-core machine the server and the generators compete for them (the CPU shares above are per step: 100% = one core). Steps of ${STEP_SECONDS} s per rate, at most ${RAMP_BUDGET_MS / 1000} s of ramp per server; an edit's time runs from when the generator scheduled it to when the last other editor of its document sees it (one clock: writer and readers share a process); the ramp stops at the first step with p99 over ${P99_GOAL_MS} ms (stock: ${KEEPS_UP_P99_MS} ms) or an edit not delivered within ${DRAIN_MS} ms. 50 × 4 rather than 200 × 5: 200 editors with their Automerge work is what two generator processes on a shared 2-core machine run without themselves becoming the limit first at the low rates.`,
    `Memory per open document (RSS growth from an idle server to one holding all ${DOCS} documents with ${PEERS} editors connected to each, after GC, ÷ ${DOCS}): syncline ${kB(ours.rssPerDoc)} kB, of which ${kB(ours.heapPerDoc)} kB JS heap and ${kB(ours.externalPerDoc)} kB V8 external memory (ArrayBuffers); stock ${kB(stock.rssPerDoc)} kB, of which ${kB(stock.heapPerDoc)} kB JS heap and ${kB(stock.externalPerDoc)} kB external. What an open document holds on syncline's server: the Automerge document in the wasm heap (a wasm memory grows in 64 KiB pages and never gives them back, so the figure includes the peak of opening ${DOCS * PEERS} editors at once), a sync state per connected editor, and the editors' ${PEERS} sockets (case 7 puts an idle WS connection at about 16 kB of RSS, so ~${PEERS * 16} kB per document here); the JS heap part is the registry entry, peer sessions and send-budget accounts. A document nobody has open costs no memory on either server (both load from storage on demand). Not broken down further by this case.`,
    `Stock automerge-repo's DocSynchronizer throttles the sync messages of each document to one per 100 ms, on the client and again on the server: an edit that comes within 100 ms of the last one on its document waits, so its relay latency grows with the edit rate per document, not only with the server's load. Both servers are held to the same ${P99_GOAL_MS} ms bar; the ramp goes on for stock up to p99 ${KEEPS_UP_P99_MS} ms to show where it still keeps up.`,
  )
})
