/**
 * Case 6 — bundle size: the same esbuild build (minified, gzip level 9, React external, code
 * splitting) for syncline's records-only and documents apps and for the peers' equivalent
 * apps. Sizes are the initial load; what loads on demand is reported apart. See lib/bundle.mjs.
 */
import type { AppSize } from '../lib/bundle.mjs'
import { apps, DOCUMENTS_GOAL_BYTES, measureApp, RECORDS_GOAL_BYTES } from '../lib/bundle.mjs'
import { errorText, log, row, runCase } from '../lib/case.js'

const SYNCLINE = 'syncline records-only'
const SYNCLINE_DOCS = 'syncline documents'

await runCase('6. Bundle size', async (rows, notes) => {
  const sizes = new Map<string, AppSize>()
  const errors: string[] = []
  for (const name of Object.keys(apps)) {
    try {
      sizes.set(name, await measureApp(name))
    } catch (error) {
      errors.push(`${name}: build failed: ${errorText(error)}`)
      log(`[bundle] ${name} failed:`, errorText(error))
    }
  }
  const syncline = sizes.get(SYNCLINE)
  const peers: Record<string, number | null> = {}
  for (const name of Object.keys(apps)) {
    if (name === SYNCLINE || name === SYNCLINE_DOCS) continue
    const size = sizes.get(name)
    peers[name] = size ? size.gzip / 1000 : null
  }
  const measured = Object.entries(peers).filter((entry): entry is [string, number] => entry[1] !== null)
  const smallest = measured.sort((a, b) => a[1] - b[1])[0]
  const budget = RECORDS_GOAL_BYTES / 1000
  rows.push(row({
    name: 'records-only app (SyncProvider + useRecords)',
    metric: 'minified + gzipped, React external',
    unit: 'kB',
    syncline: syncline ? syncline.gzip / 1000 : null,
    peers,
    ...(smallest && { ratioTo: smallest[0] }),
    goal: `≤ ${budget} kB and smaller than every peer`,
    check: ({ syncline: value }) => value <= budget && measured.every(([, peer]) => value < peer),
    ...(syncline?.forbidden.length ? { error: `TREE-SHAKING BROKEN: bundles ${syncline.forbidden.join(', ')}` } : {}),
    ...(!syncline && { error: errors.find((text) => text.startsWith(SYNCLINE)) ?? 'build failed' }),
  }))
  const docs = sizes.get(SYNCLINE_DOCS)
  const docsGoal = DOCUMENTS_GOAL_BYTES / 1000
  rows.push(row({
    name: 'documents app (SyncProvider + useDoc + useCreateDoc), syncline JS',
    metric: 'initial JS, minified + gzipped, React external (Automerge loads on first use)',
    unit: 'kB',
    syncline: docs ? docs.jsGzip / 1000 : null,
    peers: {
      '@automerge/react (JS only)': sizes.get('@automerge/react') ? sizes.get('@automerge/react')!.jsGzip / 1000 : null,
      'syncline: Automerge JS, loaded on first use': docs ? docs.lazyJsGzip / 1000 : null,
      'syncline: Automerge wasm (base64 chunk), loaded on first use': docs ? docs.wasmGzip / 1000 : null,
    },
    ratioTo: '@automerge/react (JS only)',
    goal: `≤ ${docsGoal} kB`,
    check: ({ syncline: value }) => value <= docsGoal,
    ...(docs?.forbidden.length ? { error: `loads ${docs.forbidden.join(', ')} up front` } : {}),
    ...(!docs && { error: errors.find((text) => text.startsWith(SYNCLINE_DOCS)) ?? 'build failed' }),
  }))
  if (docs) {
    const top = docs.inputs.slice(0, 8).map(([path, bytes]) => `${path.replace(/^src\//, '')} ${(bytes / 1000).toFixed(1)}`).join(', ')
    notes.push(`syncline documents app: ${(docs.jsGzip / 1000).toFixed(2)} kB gz initial JS (${(docs.minified / 1000).toFixed(1)} kB minified), then on first document use ${(docs.lazyJsGzip / 1000).toFixed(1)} kB gz of JS (Automerge's JS, the document socket, the cache's code and idb) and ${(docs.wasmGzip / 1000).toFixed(0)} kB gz of Automerge wasm. Largest initial inputs (kB minified): ${top}. It carries no record code: SyncClient gets that from the record hooks.`)
  }
  if (syncline) {
    const top = syncline.inputs.slice(0, 6).map(([path, bytes]) => `${path.replace(/^src\//, '')} ${(bytes / 1000).toFixed(1)}`).join(', ')
    notes.push(`syncline records-only: ${(syncline.gzip / 1000).toFixed(2)} kB gz initial load (${(syncline.minified / 1000).toFixed(1)} kB minified)${syncline.lazyJsGzip > 0 ? `, plus ${(syncline.lazyJsGzip / 1000).toFixed(1)} kB gz loaded on demand, after the first paint from the cache (the connection and its transports, writes, the IndexedDB cache and idb; code the app never reaches is never loaded)` : ''}. Largest inputs (kB minified): ${top}.`)
    notes.push(syncline.forbidden.length > 0
      ? `TREE-SHAKING IS BROKEN: the records-only app bundles ${syncline.forbidden.join(', ')}.`
      : 'Tree-shaking check: no server code, no Automerge, no ws/Node modules in the records-only app.')
  }
  const automerge = sizes.get('@automerge/react')
  if (automerge) notes.push(`@automerge/react: ${(automerge.jsGzip / 1000).toFixed(1)} kB gz of JS plus ${((automerge.gzip - automerge.jsGzip) / 1000).toFixed(0)} kB gz of wasm (its total is what the table shows).`)
  notes.push('Every app is built by bench/lib/bundle.mjs with esbuild (bundle, minify, code splitting, ESM, browser conditions, NODE_ENV=production, react/react-dom external), gzip level 9, and measured as its initial load: the entry plus every chunk it imports statically; 1 kB = 1,000 bytes.')
  notes.push(...errors)
})
