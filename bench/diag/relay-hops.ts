/**
 * Diagnosis for case 1's client hops, not a case (`node --import tsx bench/diag/relay-hops.ts`):
 * same-run A/B of the document client code. Two pairs of clients (writer A, reader B) share
 * one syncline server (child process, `--trace-relay`); one pair runs this worktree's
 * src/core, the other the src/core of `BASE` (a git ref, default HEAD), exported to a
 * temporary directory. Edits alternate between the pairs, each after case 1's 0–100 ms
 * pause, so both see the machine in the same state. Prints, per pair, the end-to-end p50
 * and the p50 of each hop of case 1's breakdown, plus, inside the client hops, Automerge's
 * own calls (change, generateSyncMessage, receiveSyncMessage, timed by wrapping them).
 *   N=300 edits per pair (default), BASE=<ref> (the code to compare against), SAME=1 (both
 *   pairs run this worktree's code: the noise floor).
 */
import { execSync } from 'node:child_process'
import { existsSync, mkdirSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type * as AutomergeModule from '@automerge/automerge/slim'
import { loadAutomerge } from '../../src/core/docs/automerge.js'
import type * as Core from '../../src/core/index.js'
import { startChild } from '../lib/child.js'
import { within } from '../lib/case.js'
import { relayPause } from '../lib/relayLimit.js'
import type { TraceEvent } from '../lib/relayTrace.js'
import { monotonicMs, tracedWebSocket } from '../lib/relayTrace.js'
import { median } from '../lib/stats.js'

type Automerge = typeof AutomergeModule
type Counter = { count: number; title: string }

const N = Number(process.env.N ?? 300)
const WARMUP = 20
const root = new URL('../..', import.meta.url).pathname

/** Automerge's own calls of one client, on the monotonic clock. */
interface Calls {
  change: Array<[number, number]>
  generate: Array<[number, number]>
  receive: Array<[number, number]>
}

function timedAutomerge(A: Automerge, calls: Calls): Automerge {
  const timed = <F extends (...args: never[]) => unknown>(fn: F, into: Array<[number, number]>): F =>
    ((...args: Parameters<F>) => {
      const start = monotonicMs()
      const result = fn(...args)
      into.push([start, monotonicMs()])
      return result
    }) as F
  return { ...A, change: timed(A.change, calls.change), generateSyncMessage: timed(A.generateSyncMessage, calls.generate), receiveSyncMessage: timed(A.receiveSyncMessage, calls.receive) }
}

async function baselineCore(): Promise<typeof Core> {
  if (process.env.SAME) return import('../../src/core/index.js')
  const ref = process.env.BASE ?? 'HEAD'
  const commit = execSync(`git rev-parse ${ref}`, { cwd: root }).toString().trim()
  const dir = `/tmp/relay-baseline-${commit.slice(0, 10)}`
  if (!existsSync(join(dir, 'src'))) {
    mkdirSync(dir, { recursive: true })
    execSync(`git archive ${commit} src | tar -x -C ${dir}`, { cwd: root })
    // Resolved through the real path, so both pairs share one Automerge (and its wasm).
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
  }
  console.log(`baseline: ${ref} (${commit.slice(0, 10)}) from ${dir}`)
  return (await import(join(dir, 'src/core/index.ts'))) as typeof Core
}

interface Pair {
  name: string
  a: Core.DocConnection
  b: Core.DocConnection
  storeA: Core.DocStore<Counter>
  storeB: Core.DocStore<Counter>
  callsA: Calls
  callsB: Calls
  label: { a: string; b: string }
  samples: number[]
  marks: Array<{ change: number; seen: number }>
}

const clientTrace: TraceEvent[] = []
const A0 = await loadAutomerge()

async function openPair(core: typeof Core, name: string, url: string): Promise<Pair> {
  const callsA: Calls = { change: [], generate: [], receive: [] }
  const callsB: Calls = { change: [], generate: [], receive: [] }
  const label = { a: `A-${name}`, b: `B-${name}` }
  const open = (socket: string, calls: Calls): Core.DocConnection => {
    const WebSocket = tracedWebSocket(socket, clientTrace) as unknown as typeof globalThis.WebSocket
    const connection = core.createDocConnection({ url, WebSocket }, { loadAutomerge: async () => timedAutomerge(A0, calls) })
    connection.start()
    return connection
  }
  const a = open(label.a, callsA)
  const b = open(label.b, callsB)
  const storeA = a.create<Counter>({ count: 0, title: 'relay' })
  await within(10_000, 'the document to reach the server', storeA.whenSaved('server'))
  const storeB = b.open<Counter>(storeA.url)
  await within(10_000, 'B to load the document', new Promise<void>((resolve) => {
    const check = (): void => {
      if (storeB.getSnapshot().doc === undefined) return
      unsubscribe()
      resolve()
    }
    const unsubscribe = storeB.subscribe(check)
    check()
  }))
  return { name, a, b, storeA, storeB, callsA, callsB, label, samples: [], marks: [] }
}

async function edit(pair: Pair, i: number, record: boolean): Promise<void> {
  const seen = new Promise<[number, number]>((resolve) => {
    const unsubscribe = pair.storeB.subscribe(() => {
      if (pair.storeB.getSnapshot().doc?.count !== i) return
      unsubscribe()
      resolve([performance.now(), monotonicMs()])
    })
  })
  const changeMark = monotonicMs()
  const start = performance.now()
  pair.storeA.change((doc) => {
    doc.count = i
  })
  const [end, seenMark] = await within(5000, `edit ${i} to reach B (${pair.name})`, seen)
  if (record) {
    pair.samples.push(end - start)
    pair.marks.push({ change: changeMark, seen: seenMark })
  }
}

const firstAfter = <E extends { t: number }>(events: readonly E[], t: number, match: (event: E) => boolean): E | undefined => events.find((event) => event.t >= t && match(event))
const callAfter = (calls: Array<[number, number]>, t: number, before: number): [number, number] | undefined => calls.find(([start, end]) => start >= t && end <= before)

/** Case 1's hops, plus Automerge's calls inside hops 1 and 5. */
function hops(pair: Pair, server: readonly TraceEvent[]): Record<string, number> {
  const columns: Record<string, number[]> = {
    total: [], '1 A change→send': [], '  A.change': [], '  change end→send': [], '  (edits sent by generate)': [], '  generateSyncMessage': [],
    '2 loopback': [], '3 server': [], '4 loopback+B loop': [], '5 B receive→seen': [], '  receive→receiveSyncMessage': [], '  receiveSyncMessage': [], '  receive end→seen': [],
  }
  for (const edit of pair.marks) {
    const aSend = firstAfter(clientTrace, edit.change, (e) => e.socket === pair.label.a && e.kind === 'send')
    if (!aSend || aSend.t > edit.seen) continue
    const serverReceive = firstAfter(server, aSend.t, (e) => e.kind === 'receive')
    if (!serverReceive) continue
    const bReceive = firstAfter(clientTrace, serverReceive.t, (e) => e.socket === pair.label.b && e.kind === 'receive')
    if (!bReceive || bReceive.t > edit.seen) continue
    const serverSend = server.find((e) => e.kind === 'send' && e.t >= serverReceive.t && e.t <= bReceive.t && e.socket !== serverReceive.socket)
    if (!serverSend) continue
    const change = callAfter(pair.callsA.change, edit.change, aSend.t)
    const generate = callAfter(pair.callsA.generate, edit.change, aSend.t)
    const receive = callAfter(pair.callsB.receive, bReceive.t, edit.seen)
    columns.total!.push(edit.seen - edit.change)
    columns['1 A change→send']!.push(aSend.t - edit.change)
    if (change) columns['  A.change']!.push(change[1] - change[0])
    if (change) columns['  change end→send']!.push(aSend.t - change[1])
    columns['  (edits sent by generate)']!.push(generate ? 1 : 0)
    if (generate) columns['  generateSyncMessage']!.push(generate[1] - generate[0])
    columns['2 loopback']!.push(serverReceive.t - aSend.t)
    columns['3 server']!.push(serverSend.t - serverReceive.t)
    columns['4 loopback+B loop']!.push(bReceive.t - serverSend.t)
    columns['5 B receive→seen']!.push(edit.seen - bReceive.t)
    if (receive) {
      columns['  receive→receiveSyncMessage']!.push(receive[0] - bReceive.t)
      columns['  receiveSyncMessage']!.push(receive[1] - receive[0])
      columns['  receive end→seen']!.push(edit.seen - receive[1])
    }
  }
  const count = columns['  (edits sent by generate)']!
  return Object.fromEntries(Object.entries(columns).map(([name, samples]) => [name, samples === count ? count.reduce((sum, one) => sum + one, 0) : samples.length === 0 ? Number.NaN : median(samples)]))
}

const server = await startChild<{ url: string }>(new URL('../lib/syncline-server.ts', import.meta.url).pathname, { args: ['--trace-relay'] })
try {
  const url = server.ready.url.replace(/^http/, 'ws')
  const base = await openPair(await baselineCore(), 'base', url)
  const next = await openPair(await import('../../src/core/index.js'), 'new', url)
  const pairs = [base, next]
  for (let i = 1; i <= WARMUP + N; i++) {
    if (i === WARMUP + 1) {
      clientTrace.length = 0
      await server.request({ type: 'traceClear' })
    }
    // Alternating which pair goes first in each round, so neither always follows the other.
    const order = i % 2 === 0 ? pairs : [...pairs].reverse()
    for (const pair of order) {
      await relayPause()
      await edit(pair, i, i > WARMUP)
    }
  }
  const serverTrace = await server.request<TraceEvent[]>({ type: 'traceTake' })
  const results = pairs.map((pair) => ({ name: pair.name, p50: median(pair.samples), ...hops(pair, serverTrace) }))
  const names = Object.keys(results[0]!).filter((key) => key !== 'name')
  console.log(`${N} edits per pair, alternating; p50 in ms`)
  console.log(`${'metric'.padEnd(30)}${results.map((r) => r.name.padStart(9)).join('')}   new/base`)
  for (const name of names) {
    const values = results.map((r) => (r as unknown as Record<string, number>)[name]!)
    console.log(`${name.padEnd(30)}${values.map((v) => v.toFixed(3).padStart(9)).join('')}   ${(values[1]! / values[0]!).toFixed(2)}`)
  }
  await Promise.allSettled(pairs.flatMap((pair) => [pair.a.close(), pair.b.close()]))
} finally {
  await server.stop()
}
