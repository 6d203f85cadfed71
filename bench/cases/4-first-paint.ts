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
import { errorText, log, row, runCase } from '../lib/case.js'
import { launchChromium } from '../lib/chromium.js'
import { serveStatic } from '../lib/static-server.js'
import { summarize } from '../lib/stats.js'

const RECORDS = 10_000
const WARMUP = 2
const ITERATIONS = 25
/** Opening the Automerge document takes seconds per load: fewer loads keep the case bounded. */
const AUTOMERGE_ITERATIONS = 4
const MODES = ['syncline', 'raw', 'raw-react', 'automerge', 'syncline-doc', 'raw-doc'] as const
/** Modes that open the ~5 MB document: seconds per load, so fewer loads. */
const DOC_MODES: readonly Mode[] = ['automerge', 'syncline-doc', 'raw-doc']
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
      notes.push(`Documents: one Automerge document of 25,000 messages with poorly compressible text, ${((Number(seededDoc.detail?.bytes) || 0) / 1e6).toFixed(1)} MB saved, written once and loaded by automerge-repo (its IndexedDB adapter), syncline (useDoc with its IndexedDB cache) and the raw reference (wasm init + idb get + Automerge.load). Each load starts without Automerge in memory.`)
    } catch (error) {
      errors.automerge = errorText(error)
      errors['syncline-doc'] = errors.automerge
      errors['raw-doc'] = errors.automerge
    }

    const samples: Record<Mode, number[]> = { syncline: [], raw: [], 'raw-react': [], automerge: [], 'syncline-doc': [], 'raw-doc': [] }
    const wasmReady: number[] = []
    for (let i = 0; i < WARMUP + ITERATIONS; i++) {
      for (const mode of MODES) {
        if (errors[mode]) continue
        if (DOC_MODES.includes(mode) && (i < WARMUP - 1 || i >= WARMUP + AUTOMERGE_ITERATIONS)) continue
        try {
          const result = await load(page, server.url, mode, DOC_MODES.includes(mode) ? 60_000 : 30_000)
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
      syncline: s['syncline-doc']?.p50 ?? null,
      peers: { 'wasm init + idb get + Automerge.load (limit)': s['raw-doc']?.p50 ?? null, 'automerge-repo + IndexedDB storage': s.automerge?.p50 ?? null },
      ...(s['raw-doc'] && { limit: s['raw-doc'].p50 }),
      ratioTo: 'limit',
      goal: '≤ 1.5× the raw read + load, and faster than automerge-repo',
      check: ({ ratio, syncline: value }) => ratio !== null && ratio <= 1.5 && s.automerge !== null && value < s.automerge.p50,
      ...(errors['syncline-doc'] && { error: errors['syncline-doc'] }),
    }))
    if (wasmReady.length) notes.push(`automerge-repo figure includes loading Automerge's wasm (p50 ${summarize(wasmReady).p50.toFixed(1)} ms of it).`)
    notes.push(`${ITERATIONS} loads per mode after ${WARMUP} warm-up rounds, interleaved (automerge-repo: ${AUTOMERGE_ITERATIONS} loads after 1 warm-up).`)
  } finally {
    await browser.close()
    await server.close()
    rmSync(outDir, { recursive: true, force: true })
  }
})
