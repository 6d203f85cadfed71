#!/usr/bin/env node
// `npm run bench`: runs every case in its own child process (with a time limit), prints one
// table, and writes bench/results.json and bench/RESULTS.md. Only this file writes them.
//   node bench/run.mjs                 every case, writes the results files
//   node bench/run.mjs fanout bundle   only cases whose id contains one of the words; writes nothing
//   node bench/run.mjs --write ...     write the results files even for a partial run
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, freemem, release, tmpdir, totalmem, type } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { markdown, terminalTable } from './lib/report.mjs'

const here = import.meta.dirname
const root = join(here, '..')

/** Each case's own limit; the whole run must also finish within TOTAL_BUDGET_MS. */
const CASES = [
  { id: '1-doc-relay', title: '1. Document relay latency', timeoutMs: 140_000 },
  { id: '2-fanout', title: '2. Records fan-out', timeoutMs: 150_000 },
  { id: '3-rerender', title: '3. Re-render work', timeoutMs: 120_000 },
  // 117 s on a Xeon host; 150 s on an EPYC host (its 5 MB document loads take 7–9 s each).
  { id: '4-first-paint', title: '4. Cached first paint (Chromium)', timeoutMs: 220_000 },
  { id: '5-apply-throughput', title: '5. Apply throughput', timeoutMs: 180_000 },
  { id: '6-bundle-size', title: '6. Bundle size', timeoutMs: 60_000 },
  { id: '7-server-capacity', title: '7. Server capacity', timeoutMs: 120_000 },
  { id: '8-instances', title: '8. Several instances (Redis fan-out)', timeoutMs: 120_000 },
  { id: '9-record-writes', title: '9. Record writes', timeoutMs: 60_000 },
  { id: '10-doc-capacity', title: '10. Documents capacity', timeoutMs: 160_000 },
  { id: '11-record-capacity', title: '11. Records capacity', timeoutMs: 100_000 },
]
const TOTAL_BUDGET_MS = 11 * 60_000

const args = process.argv.slice(2)
const filters = args.filter((arg) => !arg.startsWith('--'))
const selected = filters.length ? CASES.filter((c) => filters.some((word) => c.id.includes(word))) : CASES
const write = filters.length === 0 || args.includes('--write')
if (selected.length === 0) {
  console.error(`no case matches ${filters.join(', ')}; cases: ${CASES.map((c) => c.id).join(', ')}`)
  process.exit(2)
}

const started = performance.now()
const scratch = mkdtempSync(join(tmpdir(), 'syncline-bench-'))
let current = null
const stopCurrent = () => {
  // Each case runs in its own process group: its servers and client swarms go with it.
  if (current?.pid) {
    try {
      process.kill(-current.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
}
process.on('SIGINT', () => {
  stopCurrent()
  process.exit(130)
})
process.on('exit', stopCurrent)

function runOne(spec) {
  const resultFile = join(scratch, `${spec.id}.json`)
  const remaining = TOTAL_BUDGET_MS - (performance.now() - started)
  const timeoutMs = Math.max(5_000, Math.min(spec.timeoutMs, remaining - 10_000))
  const caseStart = performance.now()
  console.error(`\n▶ ${spec.title} (limit ${Math.round(timeoutMs / 1000)} s)`)
  return new Promise((resolve) => {
    const file = ['.ts', '.tsx', '.mjs'].map((ext) => join(here, 'cases', `${spec.id}${ext}`)).find((path) => existsSync(path))
    const child = spawn(process.execPath, ['--import', 'tsx', file ?? join(here, 'cases', `${spec.id}.ts`)], {
      cwd: root,
      env: { ...process.env, BENCH_RESULT_FILE: resultFile, NODE_ENV: process.env.NODE_ENV ?? 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    current = child
    const prefix = (stream) => {
      let pending = ''
      stream.setEncoding('utf8')
      stream.on('data', (text) => {
        pending += text
        const lines = pending.split('\n')
        pending = lines.pop() ?? ''
        for (const line of lines) console.error(`  ${line}`)
      })
      stream.on('end', () => pending && console.error(`  ${pending}`))
    }
    prefix(child.stdout)
    prefix(child.stderr)
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      stopCurrent()
    }, timeoutMs)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      current = null
      const seconds = (performance.now() - caseStart) / 1000
      let result = null
      try {
        result = JSON.parse(readFileSync(resultFile, 'utf8'))
      } catch {
        // No result file: crashed or killed before reporting.
      }
      const failure = timedOut
        ? `timed out after ${Math.round(timeoutMs / 1000)} s`
        : result === null
          ? `exited (${signal ?? code}) without results`
          : null
      if (result === null) result = { case: spec.title, rows: [], notes: [] }
      if (failure) {
        result.rows.push({ name: spec.title.replace(/^\d+\.\s*/, ''), metric: 'case', unit: '', syncline: null, peers: {}, ratio: null, goal: null, met: null, error: failure })
      }
      console.error(`  (${seconds.toFixed(1)} s)`)
      resolve({ ...result, title: spec.title, seconds })
    })
  })
}

function chromiumVersion() {
  try {
    return execFileSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', ['--version'], { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim()
  } catch {
    return null
  }
}

const results = []
for (const spec of selected) results.push(await runOne(spec))
rmSync(scratch, { recursive: true, force: true })

const durationSeconds = Math.round((performance.now() - started) / 1000)
const cases = results.flatMap((result) => result.rows.map((row) => ({ group: result.title, ...row })))
const notes = Object.fromEntries(results.map((result) => [result.title, [...(result.notes ?? []), `case ran in ${result.seconds.toFixed(1)} s`]]))
const cpu = cpus()[0]?.model?.trim() ?? 'unknown CPU'
const output = {
  machine: {
    cpu,
    cores: cpus().length,
    memoryGB: Math.round(totalmem() / 2 ** 30),
    freeMemoryGB: Math.round(freemem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.versions.node,
    chromium: chromiumVersion(),
  },
  date: new Date().toISOString(),
  durationSeconds,
  cases,
  notes,
}

console.log(`\nsyncline benchmarks — ${output.date}, ${cpu} × ${output.machine.cores}, Node ${output.machine.node}, ${durationSeconds} s\n`)
console.log(terminalTable(cases))
const notMet = cases.filter((row) => row.met === false)
const errors = cases.filter((row) => row.error)
console.log(`\n${cases.filter((row) => row.met === true).length} goals met, ${notMet.length} NOT met, ${errors.length} errors, ${cases.filter((row) => row.syncline === null && row.note?.startsWith('not measured yet')).length} rows not measured yet (documents not built).`)
for (const row of notMet) console.log(`  NOT MET: ${row.group.split('.')[0]}. ${row.name} — ${row.metric}: ${row.syncline} ${row.unit}, goal ${row.goal}`)
for (const text of new Set(errors.map((row) => `${row.group.split('.')[0]}. ${row.name}: ${row.error}`))) console.log(`  ERROR: ${text}`)

if (write) {
  writeFileSync(join(here, 'results.json'), `${JSON.stringify(output, null, 2)}\n`)
  writeFileSync(join(here, 'RESULTS.md'), markdown(output))
  console.log('\nwrote bench/results.json and bench/RESULTS.md')
}
