#!/usr/bin/env node
// Fails (exit 1) when an app's initial load — minified, gzipped, React external, built as in
// `npm run bench` case 6 — exceeds its budget, or when the records-only app carries server
// code, Automerge or Node-only modules, or the documents app loads Automerge up front (and
// neither may load idb up front: the IndexedDB cache loads it on first use).
// Takes a few seconds; `npm test` runs it.
//   node bench/size-budget.mjs            check
//   node bench/size-budget.mjs --verbose  also list what is in each bundle
import { DOCUMENTS_BUDGET_BYTES, DOCUMENTS_GOAL_BYTES, measureApp, RECORDS_BUDGET_BYTES, RECORDS_GOAL_BYTES } from './lib/bundle.mjs'

const verbose = process.argv.includes('--verbose')
const kB = (bytes) => `${(bytes / 1000).toFixed(2)} kB`
let failed = false

for (const [name, label, budget, goal] of [
  ['syncline records-only', 'records-only app (SyncProvider + useRecords)', RECORDS_BUDGET_BYTES, RECORDS_GOAL_BYTES],
  ['syncline documents', 'documents app (SyncProvider + useDoc + useCreateDoc), initial JS', DOCUMENTS_BUDGET_BYTES, DOCUMENTS_GOAL_BYTES],
]) {
  const size = await measureApp(name)
  const over = size.gzip > budget
  const lazy = size.lazyJsGzip > 0 ? `; ${kB(size.lazyJsGzip)} more JS loaded on demand` : ''
  console.log(`${label}: ${kB(size.gzip)} gzipped (${kB(size.minified)} minified)${lazy}; budget ${kB(budget)}, goal ${kB(goal)}${size.gzip > goal ? ' (goal not met yet)' : ''}`)
  if (over || verbose) {
    console.log('  largest inputs (minified bytes):')
    for (const [path, bytes] of size.inputs.slice(0, verbose ? 100 : 8)) console.log(`    ${String(bytes).padStart(7)}  ${path}`)
  }
  if (size.forbidden.length > 0) console.error(`FAIL: the ${name} app loads ${size.forbidden.join(', ')} up front; tree-shaking or lazy loading is broken`)
  if (over) console.error(`FAIL: ${name} is ${kB(size.gzip - budget)} over its ${kB(budget)} budget`)
  failed ||= over || size.forbidden.length > 0
}
process.exitCode = failed ? 1 : 0
