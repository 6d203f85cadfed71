/**
 * Diagnosis for case 4's records half, not a case: builds case 4's page (bench/pages/first-paint)
 * once per source tree and loads `syncline`, `raw` and `raw-react` interleaved, one load of each
 * per round, every tree on its own origin (so its own IndexedDB), so a change can be compared
 * with what it replaces in the same run on a noisy machine.
 *
 *   node --import tsx bench/diag/first-paint-ab.ts [name=root ...]   (default: this tree)
 *   ROUNDS=25 MARKS=1 …
 *
 * A root is a directory holding src/ and bench/pages/first-paint/ (e.g. `git archive HEAD src
 * bench/pages tsconfig.json package.json | tar -x -C /tmp/base`, with node_modules linked in).
 * With MARKS=1 it also prints the median time of every performance.mark the page made (from
 * the first mark) and of every step from one mark to the next, for marks added by hand while diagnosing. With PROFILE=1 (and MINIFY=0 for
 * readable names) it takes a CPU profile of every syncline load and prints the functions with
 * the most self time, summed over the loads.
 */
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import react from '@vitejs/plugin-react'
import type { Page } from 'playwright-core'
import { build } from 'vite'
import { launchChromium } from '../lib/chromium.js'
import { serveStatic } from '../lib/static-server.js'
import { median } from '../lib/stats.js'

const ROUNDS = Number(process.env.ROUNDS ?? 25)
const WARMUP = 2
const RECORDS = 10_000
const MODES = (process.env.MODES ?? 'syncline,raw,raw-react').split(',')
const here = resolve(import.meta.dirname, '../..')
const variants = (process.argv.slice(2).length ? process.argv.slice(2) : [`this=${here}`]).map((arg) => {
  const [name, root] = arg.split('=') as [string, string]
  return { name, root: resolve(root) }
})

/** The part of a CDP Profiler.Profile read here. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>
  samples?: number[]
  timeDeltas?: number[]
}

interface BenchResult {
  ms?: number
  error?: string
}

async function load(page: Page, base: string, mode: string): Promise<{ ms: number; marks: Array<[string, number]> }> {
  await page.goto(`${base}/?mode=${mode}&n=${RECORDS}`, { waitUntil: 'commit' })
  await page.waitForFunction(() => (window as { __bench?: unknown }).__bench !== undefined, undefined, { timeout: 60_000, polling: 10 }).catch((error: unknown) => {
    throw new Error(`${base} ${mode}: ${String(error)}`)
  })
  const result = await page.evaluate(() => (window as { __bench?: BenchResult }).__bench!)
  if (result.error) throw new Error(`${mode}: ${result.error}`)
  // From the first mark (the page's own start, when a diagnosing copy marks it).
  const marks = await page.evaluate(() => {
    const entries = performance.getEntriesByType('mark')
    return entries.map((mark) => [mark.name, mark.startTime - entries[0]!.startTime] as [string, number])
  })
  return { ms: result.ms!, marks }
}

const servers: Array<{ name: string; url: string; close(): Promise<void>; outDir: string }> = []
for (const { name, root } of variants) {
  if (!existsSync(join(root, 'node_modules'))) symlinkSync(join(here, 'node_modules'), join(root, 'node_modules'))
  const outDir = mkdtempSync(join(tmpdir(), `fp-ab-${name}-`))
  await build({
    configFile: false,
    root: join(root, 'bench/pages/first-paint'),
    logLevel: 'warn',
    plugins: [react()],
    build: { outDir, emptyOutDir: true, minify: process.env.MINIFY !== '0', target: 'es2022', reportCompressedSize: false, chunkSizeWarningLimit: 10_000 },
  })
  servers.push({ name, outDir, ...(await serveStatic(outDir)) })
}

const browser = await launchChromium()
try {
  const context = await browser.newContext()
  const page = await context.newPage()
  page.on('console', (message) => message.type() === 'error' && console.error('[page]', message.text()))
  page.on('pageerror', (error) => console.error('[page error]', error.message))
  for (const server of servers) {
    await load(page, server.url, 'seed-syncline')
    await load(page, server.url, 'seed-raw')
  }
  const cdp = await context.newCDPSession(page)
  await cdp.send('Profiler.enable')
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 })
  const selfTime = new Map<string, number>()
  const addProfile = (name: string, profile: CpuProfile): void => {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
    const deltas = profile.timeDeltas ?? []
    for (let i = 0; i < (profile.samples ?? []).length; i++) {
      const node = nodes.get(profile.samples![i]!)!
      const { functionName, url, lineNumber } = node.callFrame
      const key = `${name} ${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`
      selfTime.set(key, (selfTime.get(key) ?? 0) + (deltas[i + 1] ?? 0) / 1000)
    }
  }
  const samples = new Map<string, number[]>()
  const marks = new Map<string, number[]>()
  const push = (map: Map<string, number[]>, key: string, value: number): void => {
    if (!map.has(key)) map.set(key, [])
    map.get(key)!.push(value)
  }
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    // Alternate which tree goes first, so neither always follows the other.
    const order = round % 2 === 0 ? servers : [...servers].reverse()
    for (const server of order) {
      for (const mode of MODES) {
        if (mode === 'raw' || mode === 'raw-react') {
          if (server !== servers[0]) continue // the references do not depend on the tree
        }
        const profiling = process.env.PROFILE && mode === 'syncline' && round >= WARMUP
        if (profiling) await cdp.send('Profiler.start')
        const result = await load(page, server.url, mode)
        if (profiling) addProfile(`${server.name} ${mode}`, (await cdp.send('Profiler.stop')).profile as CpuProfile)
        if (round < WARMUP) continue
        const label = mode.startsWith('raw') ? mode : `${server.name} ${mode}`
        push(samples, label, result.ms)
        for (const [markName, at] of result.marks) push(marks, `${label}: ${markName}`, at)
        // And each step between one mark and the next, in this load's order.
        const ordered = [...result.marks].sort((a, b) => a[1] - b[1])
        for (let i = 1; i < ordered.length; i++) push(marks, `${label}: ${ordered[i - 1]![0]} → ${ordered[i]![0]}`, ordered[i]![1] - ordered[i - 1]![1])
      }
    }
  }
  const raw = median(samples.get('raw') ?? [])
  for (const [label, values] of samples) {
    console.log(`${label.padEnd(24)} p50 ${median(values).toFixed(2).padStart(7)} ms  (${(median(values) / raw).toFixed(3)}× raw, n=${values.length})`)
  }
  if (process.env.MARKS) {
    for (const [label, values] of marks) console.log(`  ${label.padEnd(50)} ${median(values).toFixed(2).padStart(8)} ms`)
  }
  if (process.env.PROFILE) {
    const top = [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.PROFILE_TOP ?? 40))
    for (const [key, ms] of top) console.log(`  ${(ms / ROUNDS).toFixed(2).padStart(7)} ms/load  ${key}`)
  }
  await context.close()
} finally {
  await browser.close()
  for (const server of servers) {
    await server.close()
    rmSync(server.outDir, { recursive: true, force: true })
  }
}
