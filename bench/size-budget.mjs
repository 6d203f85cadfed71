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
// The devtools: what the panel weighs, and that an app pays nothing for it unless it asks.
{
  const [bare, gated, panel] = await Promise.all(
    ['syncline records-only', 'syncline records-only + syncline/devtools', 'syncline records-only + syncline/devtools/production'].map((name) => measureApp(name)),
  )
  const panelFiles = (size) => size.inputs.filter(([path]) => path.includes('src/devtools/') && !path.endsWith('src/devtools/index.ts'))
  console.log(
    `devtools (syncline/devtools/production): ${kB(panel.gzip - bare.gzip)} gzipped added to the records-only app's initial load` +
      ` (its Documents panel loads Automerge on demand, as any document does: ${kB(panel.lazyJsGzip - bare.lazyJsGzip)} more on demand)`,
  )
  console.log(`syncline/devtools in a production build: ${kB(gated.gzip - bare.gzip)} (the \`() => null\` left in its place); an app that does not import it: 0`)
  if (panelFiles(bare).length > 0 || panelFiles(gated).length > 0 || gated.lazyJsGzip !== bare.lazyJsGzip) {
    console.error('FAIL: devtools code reaches an app that does not use it, or the production build of one that imports syncline/devtools')
    failed = true
  }
}
process.exitCode = failed ? 1 : 0
