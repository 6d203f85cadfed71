/** @jsxRuntime automatic @jsxImportSource react */
/**
 * Same-run A/B for case 3 (bench/cases/3-rerender.tsx): the floor and syncline's useRecord and
 * useDoc rows of one or more builds of the library, all mounted at once (each its own room or
 * document, its own root and Profiler), updates taken in turn, so load on a shared machine falls
 * on every variant alike. Prints each variant's commit total per round, then medians.
 *   NODE_ENV=production node --import tsx bench/diag/rerender-ab.tsx [rounds] [name=path/to/src/index.ts[:records|:docs] ...]
 * Without paths it measures this checkout (`after`). Per round: 10 warm-up + 100 updates per variant.
 */
import { performance } from 'node:perf_hooks'
import { installDom } from '../lib/dom.js'

installDom()
const React = await import('react')
const { Profiler, memo, useCallback, useEffect, useLayoutEffect, useState, useSyncExternalStore } = React
const { createRoot } = (await import('react-dom/profiling' as string)) as typeof import('react-dom/client')
const { WebSocket } = await import('ws')
const { sleep, within } = await import('../lib/case.js')
const { startChild } = await import('../lib/child.js')
import type { ProfilerOnRenderCallback, ReactNode } from 'react'

const ROWS = 1000, UPDATES = 100, WARMUP = 10, TARGET = 'row-0500', COLLECTION = 'com.example.row'
const rowKey = (i: number) => `row-${i.toString().padStart(4, '0')}`
const rounds = Number(process.argv[2] ?? 3)
const libs = (process.argv.slice(3).length ? process.argv.slice(3) : [`after=${new URL('../../src/index.ts', import.meta.url).pathname}`]).map((arg) => arg.split('=') as [string, string])

interface Variant { name: string; commit: number; row: number; renders: number; waiting: { text: string; resolve: () => void } | null; app: () => ReactNode; update: (text: string) => Promise<unknown>; totals: number[]; rows: number[]; renderCounts: number[]; perUpdate: number[]; perUpdateRow: number[] }
function probe(v: Variant) {
  const onRoot: ProfilerOnRenderCallback = (_i, _p, d) => { v.commit += d }
  const onRow: ProfilerOnRenderCallback = (_i, _p, d) => { v.row += d }
  const useReport = (key: string, text: string | undefined) => useLayoutEffect(() => {
    if (v.waiting !== null && key === TARGET && v.waiting.text === text) { const done = v.waiting.resolve; v.waiting = null; done() }
  })
  const wrap = (key: string, el: ReactNode) => (key === TARGET ? <Profiler key={key} id="row" onRender={onRow}>{el}</Profiler> : el)
  return { onRoot, useReport, wrap }
}

const server = await startChild<{ url: string }>(new URL('../lib/syncline-server.ts', import.meta.url).pathname)
const variants: Variant[] = []
const newVariant = (name: string): Variant => ({ name, commit: 0, row: 0, renders: 0, waiting: null, app: () => null, update: async () => {}, totals: [], rows: [], renderCounts: [], perUpdate: [], perUpdateRow: [] })
const room = async (name: string) => {
  const roomUri = `ab-${name.replace(/\W/g, '')}-${Date.now()}`
  await server.request({ type: 'putMany', puts: Array.from({ length: ROWS }, (_, i) => ({ collection: COLLECTION, roomUri, rkey: rowKey(i), value: { text: `v0 ${i}` } })) })
  return { watchUrl: `/xrpc/${COLLECTION}.watchRecords?roomUri=${roomUri}&limit=1000`, put: (text: string) => server.request({ type: 'put', collection: COLLECTION, roomUri, rkey: TARGET, value: { text } }) }
}

// floor: the hand-read stream, a tiny store per row
{
  const v = newVariant('floor')
  const { onRoot, useReport, wrap } = probe(v)
  const { watchUrl, put } = await room(v.name)
  class RowStore {
    listeners = new Set<() => void>()
    constructor(public text: string) {}
    subscribe = (l: () => void) => { this.listeners.add(l); return () => this.listeners.delete(l) }
    get = () => this.text
    set(text: string) { this.text = text; for (const l of this.listeners) l() }
  }
  const Row = memo(function Row({ rkey, store }: { rkey: string; store: RowStore }) {
    v.renders++
    const text = useSyncExternalStore(store.subscribe, store.get)
    useReport(rkey, text)
    return <li>{text}</li>
  })
  function List() {
    const [rows, setRows] = useState<Array<{ rkey: string; store: RowStore }>>([])
    useEffect(() => {
      const abort = new AbortController()
      const stores = new Map<string, RowStore>()
      void (async () => {
        const response = await fetch(`${server.ready.url}${watchUrl}`, { headers: { accept: 'text/event-stream' }, signal: abort.signal })
        const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
        let buffer = ''
        const snapshot: Array<{ rkey: string; store: RowStore }> = []
        for (;;) {
          const { value, done } = await reader.read()
          if (done) return
          buffer += value
          let end: number
          while ((end = buffer.indexOf('\n\n')) !== -1) {
            const frame = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            const kind = /^event: (.*)$/m.exec(frame)?.[1]
            const data = /^data: (.*)$/m.exec(frame)?.[1]
            if (!kind || data === undefined) continue
            const record = (JSON.parse(data) as { record?: { rkey: string; value: { text: string } } }).record
            if (kind === 'snapshot.record' && record) { const store = new RowStore(record.value.text); stores.set(record.rkey, store); snapshot.push({ rkey: record.rkey, store }) }
            else if (kind === 'snapshot.end') setRows(snapshot.sort((a, b) => (a.rkey < b.rkey ? -1 : 1)))
            else if (kind === 'record.created' && record) stores.get(record.rkey)?.set(record.value.text)
          }
        }
      })().catch(() => {})
      return () => abort.abort()
    }, [])
    return <ul>{rows.map(({ rkey, store }) => wrap(rkey, <Row key={rkey} rkey={rkey} store={store} />))}</ul>
  }
  v.app = () => <Profiler id="floor" onRender={onRoot}><List /></Profiler>
  v.update = put
  variants.push(v)
}

for (const [label, spec] of libs) {
  // `path:records` or `path:docs` measures one kind only: two builds' document code in one process
  // initialize Automerge twice, which breaks the first one's documents.
  const [path, only] = spec.split(':') as [string, string | undefined]
  const lib = (await import(path)) as typeof import('../../src/index.js')
  if (only !== 'docs') {
    const v = newVariant(`${label} useRecord`)
    const { onRoot, useReport, wrap } = probe(v)
    const { watchUrl, put } = await room(v.name)
    const client = lib.createSyncClient({ recordsBaseUrl: server.ready.url, cache: lib.createMemoryCache(), fetch: globalThis.fetch })
    const Row = memo(function Row({ rkey }: { rkey: string }) {
      v.renders++
      const text = lib.useRecord<{ text: string }>(watchUrl, rkey)?.value.text
      useReport(rkey, text)
      return <li>{text}</li>
    })
    const selectKeys = (records: readonly { rkey: string }[]) => records.map((r) => r.rkey).sort()
    function List() {
      const { records: keys } = lib.useRecords<{ text: string }, string[]>(watchUrl, { selector: selectKeys, isEqual: lib.shallowEqual })
      return <ul>{keys.map((key) => wrap(key, <Row key={key} rkey={key} />))}</ul>
    }
    v.app = () => <Profiler id={v.name} onRender={onRoot}><lib.SyncProvider client={client}><List /></lib.SyncProvider></Profiler>
    v.update = put
    variants.push(v)
  }
  if (only !== 'records') {
    const v = newVariant(`${label} useDoc`)
    const { onRoot, useReport, wrap } = probe(v)
    const docUrl = await server.request<string>({ type: 'createRows', n: ROWS })
    const client = lib.createSyncClient({ url: server.ready.url.replace(/^http/, 'ws'), cache: lib.createMemoryCache(), WebSocket: WebSocket as unknown as typeof globalThis.WebSocket })
    type RowsDoc = { rows: Record<string, { text: string }> }
    const Row = memo(function Row({ rkey }: { rkey: string }) {
      v.renders++
      const select = useCallback((doc: RowsDoc) => doc.rows?.[rkey]?.text, [rkey])
      const [text] = lib.useDoc<RowsDoc, string | undefined>(docUrl, { selector: select })
      useReport(rkey, text)
      return <li>{text}</li>
    })
    const selectRowKeys = (doc: RowsDoc) => Object.keys(doc.rows ?? {}).sort()
    function List() {
      const [keys] = lib.useDoc<RowsDoc, string[]>(docUrl, { selector: selectRowKeys, isEqual: lib.shallowEqual })
      return <ul>{(keys ?? []).map((key) => wrap(key, <Row key={key} rkey={key} />))}</ul>
    }
    v.app = () => <Profiler id={v.name} onRender={onRoot}><lib.SyncProvider client={client}><List /></lib.SyncProvider></Profiler>
    v.update = (text) => server.request({ type: 'editRow', url: docUrl, key: TARGET, text })
    variants.push(v)
  }
}

const containers = variants.map((v) => {
  const container = document.createElement('div')
  document.body.appendChild(container)
  createRoot(container).render(v.app())
  return container
})
for (const [i, container] of containers.entries()) {
  const deadline = performance.now() + 30_000
  while (container.querySelectorAll('li').length < ROWS) {
    if (performance.now() > deadline) throw new Error(`${variants[i]!.name}: ${container.querySelectorAll("li").length} rows after 30 s`)
    await sleep(20)
  }
}
await sleep(300)
for (let round = 0; round < rounds; round++) {
  for (const v of variants) { v.commit = 0; v.row = 0; v.renders = 0 }
  for (let i = 1; i <= WARMUP + UPDATES; i++) {
    // A different variant goes first each update, so none always follows the same one.
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(i + k) % variants.length]!
      const before = { commit: v.commit, row: v.row, renders: v.renders }
      const text = `v${round}.${i} ${v.name}`
      const shown = new Promise<void>((resolve) => { v.waiting = { text, resolve } })
      await v.update(text)
      await within(10_000, `${v.name} update`, shown)
      await sleep(20)
      if (i <= WARMUP) { v.commit = before.commit; v.row = before.row; v.renders = before.renders }
      else { v.perUpdate.push(v.commit - before.commit); v.perUpdateRow.push(v.row - before.row) }
    }
  }
  for (const v of variants) { v.totals.push(v.commit); v.rows.push(v.row); v.renderCounts.push(v.renders / UPDATES) }
  console.log(`round ${round + 1}: ` + variants.map((v) => `${v.name} ${v.commit.toFixed(1)} (row ${v.row.toFixed(1)}, ${v.renders / UPDATES} renders/update)`).join(' | '))
}
const median = (xs: number[]) => { const s = xs.slice().sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2 }
const floor = variants[0]!
// Per-update medians (×100, to read as a total) shrug off the updates a busy machine preempted.
for (const v of variants) console.log(`${v.name.padEnd(18)} commit total median ${median(v.totals).toFixed(1)} ms (row ${median(v.rows).toFixed(1)}), ÷ floor per round median ${median(v.totals.map((t, i) => t / floor.totals[i]!)).toFixed(2)}×; per-update median ×100: ${(median(v.perUpdate) * 100).toFixed(1)} ms (row ${(median(v.perUpdateRow) * 100).toFixed(1)}), ÷ floor ${(median(v.perUpdate) / median(floor.perUpdate)).toFixed(2)}×`)
const pct = (xs: number[], q: number) => { const s = xs.slice().sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]! }
for (const v of variants) console.log(`${v.name.padEnd(18)} per update (ms): commit p50 ${pct(v.perUpdate, 0.5).toFixed(3)} p90 ${pct(v.perUpdate, 0.9).toFixed(3)} p99 ${pct(v.perUpdate, 0.99).toFixed(3)} max ${pct(v.perUpdate, 1).toFixed(3)} mean ${(v.perUpdate.reduce((a, b) => a + b, 0) / v.perUpdate.length).toFixed(3)}; row p50 ${pct(v.perUpdateRow, 0.5).toFixed(3)} p90 ${pct(v.perUpdateRow, 0.9).toFixed(3)} max ${pct(v.perUpdateRow, 1).toFixed(3)} mean ${(v.perUpdateRow.reduce((a, b) => a + b, 0) / v.perUpdateRow.length).toFixed(3)}`)
await server.stop()
process.exit(0)
