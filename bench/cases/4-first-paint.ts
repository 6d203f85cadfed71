/**
 * Case 4 — cached first paint in Chromium: 10,000 records in IndexedDB; time from mount to
 * the first commit showing them with syncline's IndexedDB cache, against the physical limit
 * (a raw `idb` open + get of the same records) and a hand-rolled idb + React component. The
 * network never answers (an offline or slow start). Also, as a reference for the documents
 * half, automerge-repo + its IndexedDB storage adapter opening a ~5 MB document.
 *
 * The page (bench/pages/first-paint) is built with Vite and served from a local static server;
 * every measurement is a fresh page load.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import react from '@vitejs/plugin-react'
import type { Page } from 'playwright-core'
import { build } from 'vite'
import { errorText, log, NOT_BUILT, row, runCase } from '../lib/case.js'
import { launchChromium } from '../lib/chromium.js'
import { serveStatic } from '../lib/static-server.js'
import { summarize } from '../lib/stats.js'

const RECORDS = 10_000
const WARMUP = 2
const ITERATIONS = 25
/** Opening the Automerge document takes seconds per load: fewer loads keep the case bounded. */
const AUTOMERGE_ITERATIONS = 4
const MODES = ['syncline', 'raw', 'raw-react', 'automerge'] as const
type Mode = (typeof MODES)[number]

interface BenchResult {
  ms?: number
  detail?: Record<string, number | string>
  error?: string
}

async function load(page: Page, base: string, mode: string, timeoutMs = 30_000): Promise<BenchResult> {
  await page.goto(`${base}/?mode=${mode}&n=${RECORDS}`, { waitUntil: 'commit' })
  await page.waitForFunction(() => (window as { __bench?: unknown }).__bench !== undefined, undefined, { timeout: timeoutMs, polling: 10 })
  const result = await page.evaluate(() => (window as { __bench?: BenchResult }).__bench!)
  if (result.error) throw new Error(`${mode}: ${result.error}`)
  return result
}

await runCase('4. Cached first paint (Chromium)', async (rows, notes) => {
  const pageDir = new URL('../pages/first-paint/', import.meta.url).pathname
  const outDir = mkdtempSync(join(tmpdir(), 'syncline-first-paint-'))
  log('[first-paint] building the page with Vite')
  await build({
    configFile: false,
    root: pageDir,
    logLevel: 'warn',
    plugins: [react()],
    build: { outDir, emptyOutDir: true, minify: true, target: 'es2022', reportCompressedSize: false, chunkSizeWarningLimit: 10_000 },
  })
  const server = await serveStatic(outDir)
  const browser = await launchChromium()
  try {
    notes.push(`Chromium ${browser.version()}, headless; page built by Vite (production), served from 127.0.0.1; every figure is a fresh page load; the watch endpoint never answers.`)
    const context = await browser.newContext()
    const page = await context.newPage()
    const errors: Partial<Record<Mode, string>> = {}
    const seeded = await load(page, server.url, 'seed-syncline', 60_000)
    await load(page, server.url, 'seed-raw', 60_000)
    notes.push(`${RECORDS} records, ${((Number(seeded.detail?.bytes) || 0) / 1e6).toFixed(1)} MB as JSON, in syncline's cache and in a raw idb store.`)
    try {
      const seededDoc = await load(page, server.url, 'seed-automerge', 90_000)
      notes.push(`automerge-repo reference: one document holding the same ${RECORDS} messages, ${((Number(seededDoc.detail?.bytes) || 0) / 1e6).toFixed(1)} MB saved (Automerge compresses).`)
    } catch (error) {
      errors.automerge = errorText(error)
    }

    const samples: Record<Mode, number[]> = { syncline: [], raw: [], 'raw-react': [], automerge: [] }
    const wasmReady: number[] = []
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      for (const mode of MODES) {
        if (errors[mode]) continue
        if (mode === 'automerge' && (i < WARMUP - 1 || i >= WARMUP + AUTOMERGE_ITERATIONS)) continue
        try {
          const result = await load(page, server.url, mode)
          if (i >= WARMUP) {
            samples[mode].push(result.ms!)
            if (mode === 'automerge') wasmReady.push(Number(result.detail?.wasmReadyMs))
          }
        } catch (error) {
          errors[mode] = errorText(error)
          log(`[first-paint] ${mode} failed:`, errors[mode])
        }
      }
    }
    await context.close()
    const s = Object.fromEntries(MODES.map((mode) => [mode, samples[mode].length ? summarize(samples[mode]) : null])) as Record<Mode, ReturnType<typeof summarize> | null>
    log(`[first-paint] p50: ${MODES.map((mode) => `${mode} ${s[mode]?.p50.toFixed(1) ?? '—'}`).join(', ')}`)
    rows.push(row({
      name: `cached first paint, ${RECORDS.toLocaleString('en')} records`,
      metric: 'p50 mount → first commit with cached data',
      unit: 'ms',
      syncline: s.syncline?.p50 ?? null,
      peers: { 'raw idb open + get (limit)': s.raw?.p50 ?? null, 'hand-rolled idb + useState': s['raw-react']?.p50 ?? null },
      ...(s.raw && { limit: s.raw.p50 }),
      ratioTo: 'limit',
      goal: '≤ 1.5× the raw idb read',
      check: ({ ratio }) => ratio !== null && ratio <= 1.5,
      ...(errors.syncline && { error: errors.syncline }),
    }))
    rows.push(row({
      name: `cached first paint, ${RECORDS.toLocaleString('en')} records`,
      metric: 'p90 mount → first commit with cached data',
      unit: 'ms',
      syncline: s.syncline?.p90 ?? null,
      peers: { 'raw idb open + get (limit)': s.raw?.p90 ?? null, 'hand-rolled idb + useState': s['raw-react']?.p90 ?? null },
      ...(s.raw && { limit: s.raw.p90 }),
      ratioTo: 'limit',
      goal: null,
    }))
    rows.push(row({
      name: 'cached first paint, ~5 MB Automerge document',
      metric: 'p50 mount → first commit with the document',
      unit: 'ms',
      syncline: null,
      peers: { 'automerge-repo + IndexedDB storage': s.automerge?.p50 ?? null },
      goal: null,
      note: NOT_BUILT,
      ...(errors.automerge && { error: `automerge-repo reference: ${errors.automerge}` }),
    }))
    if (wasmReady.length) notes.push(`automerge-repo figure includes loading Automerge's wasm (p50 ${summarize(wasmReady).p50.toFixed(1)} ms of it).`)
    notes.push(`${ITERATIONS} loads per mode after ${WARMUP} warm-up rounds, interleaved (automerge-repo: ${AUTOMERGE_ITERATIONS} loads after 1 warm-up).`)
  } finally {
    await browser.close()
    await server.close()
    rmSync(outDir, { recursive: true, force: true })
  }
})
