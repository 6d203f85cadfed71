/** @jsxRuntime automatic @jsxImportSource react */
import { performance } from 'node:perf_hooks'
import { installDom } from '../lib/dom.js'
installDom()
const { Profiler, memo, useSyncExternalStore, useCallback, useLayoutEffect } = await import('react')
const { createRoot } = (await import('react-dom/profiling' as string)) as typeof import('react-dom/client')
const { useStore } = await import('../../src/react/useStore.js')
const { findRecord } = await import('../../src/core/records/recordLookup.js')
import type { ReactNode, ProfilerOnRenderCallback } from 'react'

const ROWS = 1000, UPDATES = 100, TARGET = 500
let commitMs = 0, targetMs = 0, rowRenders = 0
let waiting: { text: string; resolve: () => void } | null = null
const onRender: ProfilerOnRenderCallback = (_i, _p, d) => { commitMs += d }
const onTarget: ProfilerOnRenderCallback = (_i, _p, d) => { targetMs += d }
function useReport(text: string | undefined) {
  useLayoutEffect(() => { if (waiting && waiting.text === text) { const r = waiting.resolve; waiting = null; r() } })
}
const key = (i: number) => `row-${String(i).padStart(4, '0')}`

// floor: one tiny store per row
interface Tiny { value: string; listeners: Set<() => void>; subscribe: (l: () => void) => () => void; get: () => string }
const tiny = (value: string): Tiny => {
  const s: Tiny = { value, listeners: new Set(), subscribe: (l) => { s.listeners.add(l); return () => s.listeners.delete(l) }, get: () => s.value }
  return s
}
const FloorRow = memo(function FloorRow({ store }: { store: Tiny }) {
  rowRenders++
  const text = useSyncExternalStore(store.subscribe, store.get)
  useReport(text)
  return <li>{text}</li>
})
function wrap(i: number, el: ReactNode) { return i === TARGET ? <Profiler key={i} id="t" onRender={onTarget}>{el}</Profiler> : el }

// shared snapshot like a record store
interface Rec { rkey: string; value: { text: string } }
interface Snap { records: readonly Rec[]; status: string; error: null }
let snap: Snap = { records: Array.from({ length: ROWS }, (_, i) => ({ rkey: key(i), value: { text: `v0 ${i}` } })), status: 'live', error: null }
const listeners = new Set<() => void>()
const shared = { subscribe: (l: () => void) => { listeners.add(l); return () => listeners.delete(l) }, getSnapshot: () => snap, getServerSnapshot: () => snap }
interface St { record: Rec | undefined; thrown: null }
const same = (a: St, b: St) => a.record === b.record && a.thrown === b.thrown
const SharedRow = memo(function SharedRow({ rkey }: { rkey: string }) {
  rowRenders++
  const select = useCallback((s: Snap): St => ({ record: findRecord(s.records as never, rkey) as Rec | undefined, thrown: null }), [rkey])
  const { record } = useStore(shared, select, same)
  useReport(record?.value.text)
  return <li>{record?.value.text}</li>
})
// shared, plain uSES with selector inside getSnapshot-like closure (no with-selector)
const PlainSharedRow = memo(function PlainSharedRow({ rkey }: { rkey: string }) {
  rowRenders++
  const rec = useSyncExternalStore(shared.subscribe, () => findRecord(snap.records as never, rkey) as Rec | undefined)
  useReport(rec?.value.text)
  return <li>{rec?.value.text}</li>
})

async function run(name: string, app: ReactNode, update: (text: string) => void) {
  const c = document.createElement('div'); document.body.appendChild(c)
  const root = createRoot(c)
  root.render(<Profiler id="root" onRender={onRender}>{app}</Profiler>)
  while (c.querySelectorAll('li').length < ROWS) await new Promise((r) => setTimeout(r, 5))
  const totals = { commit: 0, target: 0, renders: 0 }
  for (let i = 1; i <= 10 + UPDATES; i++) {
    commitMs = 0; targetMs = 0; rowRenders = 0
    const text = `v${i} ${name}`
    const shown = new Promise<void>((resolve) => { waiting = { text, resolve } })
    update(text)
    await shown
    await new Promise((r) => setTimeout(r, 2))
    if (i > 10) { totals.commit += commitMs; totals.target += targetMs; totals.renders += rowRenders }
  }
  root.unmount(); c.remove()
  return totals
}
const floorStores = Array.from({ length: ROWS }, (_, i) => tiny(`v0 ${i}`))
const variants: Record<string, () => Promise<{ commit: number; target: number; renders: number }>> = {
  floor: () => run('floor', <ul>{floorStores.map((s, i) => wrap(i, <FloorRow key={i} store={s} />))}</ul>, (t) => { const s = floorStores[TARGET]!; s.value = t; for (const l of s.listeners) l() }),
  useStore: () => run('useStore', <ul>{floorStores.map((_, i) => wrap(i, <SharedRow key={i} rkey={key(i)} />))}</ul>, (t) => {
    const records = snap.records.slice(); records[TARGET] = { rkey: key(TARGET), value: { text: t } }; snap = { ...snap, records }; for (const l of listeners) l()
  }),
  plainShared: () => run('plainShared', <ul>{floorStores.map((_, i) => wrap(i, <PlainSharedRow key={i} rkey={key(i)} />))}</ul>, (t) => {
    const records = snap.records.slice(); records[TARGET] = { rkey: key(TARGET), value: { text: t } }; snap = { ...snap, records }; for (const l of listeners) l()
  }),
}
const names = (process.argv[2] ?? 'floor,useStore,plainShared').split(',')
const out: Record<string, number[][]> = {}
for (let round = 0; round < Number(process.argv[3] ?? 5); round++) for (const n of names) {
  const r = await variants[n]!()
  ;(out[n] ??= []).push([r.commit, r.target, r.renders / UPDATES])
}
const med = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
for (const [n, rs] of Object.entries(out)) console.log(n.padEnd(12), 'commit med', med(rs.map((r) => r[0]!)).toFixed(1), 'target med', med(rs.map((r) => r[1]!)).toFixed(2), 'renders', rs.map((r) => r[2]).join(','), 'all', rs.map((r) => r[0]!.toFixed(1)).join(' '))
process.exit(0)
