/**
 * Case 1 — document relay latency: A changes a document, B (another client of the same
 * server) sees it in its store's snapshot. Setups, each client pair in this process and the
 * server in a child process:
 *  - syncline clients through syncline's reference server,
 *  - syncline clients through a stock automerge-repo server,
 *  - stock @automerge/automerge-repo clients through a stock automerge-repo server,
 * and the references DESIGN §10 asks to re-measure in every run: a bare `ws` echo round trip
 * on loopback, the in-process Automerge relay cost A → S → B (no network), and the physical
 * limit built from those two (Automerge cost + two bare hops), measured both back to back
 * ("hot") and with the relays' pauses ("paced", the one the goal is checked against):
 * bench/lib/relayLimit.ts.
 */
import { Repo } from '@automerge/automerge-repo'
import type { DocHandle } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { performance } from 'node:perf_hooks'
import { WebSocket } from 'ws'
import { createDocConnection } from '../../src/core/index.js'
import type { DocConnection } from '../../src/core/index.js'
import { log, row, runCase, sleep, within } from '../lib/case.js'
import { startChild } from '../lib/child.js'
import type { Child } from '../lib/child.js'
import { measureHotEcho, measureHotRelay, measurePacedLimit, relayPause } from '../lib/relayLimit.js'
import type { EditMarks, TraceEvent } from '../lib/relayTrace.js'
import { breakdown, HOPS, monotonicMs, tracedWebSocket } from '../lib/relayTrace.js'
import { median, summarize } from '../lib/stats.js'

const EDITS = 300
const WARMUP_EDITS = 20
const ECHOES = 2000
const WARMUP_ECHOES = 200
/** In-process relays and echoes of the paced limit, each (fewer: each waits 50 ms on average). */
const PACED_SAMPLES = 150

type Counter = {
  count: number
  title: string
}

await runCase('1. Document relay latency', async (rows, notes) => {
  const server = await startChild<{ repoUrl: string; echoUrl: string }>(new URL('../lib/automerge-server.ts', import.meta.url).pathname)
  const synclineServer = await startChild<{ url: string }>(new URL('../lib/syncline-server.ts', import.meta.url).pathname, { args: ['--trace-relay'] })
  try {
    const ours = await measureSynclineClients(synclineServer.ready.url.replace(/^http/, 'ws'), 'syncline server', synclineServer)
    // Measured right after our relay, so both see the machine in the same state.
    const paced = await measurePacedLimit(server.ready.echoUrl, { samples: PACED_SAMPLES, warmup: WARMUP_EDITS })
    const oursOnStock = await measureSynclineClients(server.ready.repoUrl, 'stock server')
    const stock = await measureStockRepo(server.ready.repoUrl)
    const echo = await measureHotEcho(server.ready.echoUrl, { echoes: ECHOES, warmup: WARMUP_ECHOES })
    const inProcess = measureHotRelay({ edits: EDITS, warmup: WARMUP_EDITS * 2 })
    // The goal's limit: the same pauses as the relays (see the note below for why).
    const limitP50 = paced.relay.p50 + paced.echo.p50
    const limitP99 = paced.relay.p99 + paced.echo.p99
    const hotLimitP50 = inProcess.p50 + echo.p50
    const hotLimitP99 = inProcess.p99 + echo.p99
    const stockName = 'automerge-repo 2.5.6 (stock client + server)'
    const limitName = 'limit: in-process Automerge + 2 bare ws hops, with the relays\' pauses'
    const hotLimitName = 'hot limit: the same, back to back'
    const oursOnStockName = 'syncline clients ⇄ stock automerge-repo server'
    for (const [metric, value, onStock, stockValue, limit, hotLimit] of [
      ['p50 A change → B sees it', ours.p50, oursOnStock.p50, stock.p50, limitP50, hotLimitP50],
      ['p99 A change → B sees it', ours.p99, oursOnStock.p99, stock.p99, limitP99, hotLimitP99],
    ] as const) {
      rows.push(row({
        name: 'document relay A → server → B (syncline ⇄ syncline)',
        metric,
        unit: 'ms',
        syncline: value,
        peers: { [stockName]: stockValue, [oursOnStockName]: onStock, [limitName]: limit, [hotLimitName]: hotLimit },
        limit,
        ratioTo: 'limit',
        goal: '≤ 1.5× the limit and ≤ 1/20 of stock automerge-repo',
        check: () => value <= 1.5 * limit && value <= stockValue / 20,
      }))
    }
    rows.push(row({
      name: 'document relay A → server → B (syncline ⇄ syncline)',
      metric: 'p50 vs the hot limit (reference)',
      unit: 'ms',
      syncline: ours.p50,
      peers: { [hotLimitName]: hotLimitP50 },
      ratioTo: hotLimitName,
      note: 'reference only: the limit measured back to back, as before the paced limit; the goal is checked against the paced one',
    }))
    rows.push(row({
      name: 'document relay A → server → B (syncline ⇄ syncline)',
      metric: 'p50 vs stock automerge-repo',
      unit: 'ms',
      syncline: ours.p50,
      peers: { [stockName]: stock.p50 },
      ratioTo: stockName,
      goal: '≤ 1/20 of stock automerge-repo (ratio ≤ 0.05)',
      check: ({ ratio }) => ratio !== null && ratio <= 0.05,
    }))
    rows.push(row({
      name: 'document relay A → server → B (syncline ⇄ syncline)',
      metric: 'p50 vs bare ws round trip',
      unit: 'ms',
      syncline: ours.p50,
      peers: { 'bare ws echo round trip': echo.p50 },
      ratioTo: 'bare ws echo round trip',
      goal: '≤ 3× the bare round trip (issue 6)',
      check: ({ ratio }) => ratio !== null && ratio <= 3,
    }))
    if (ours.hops) {
      const matched = ours.hops[0]!.length
      const hopMedians = ours.hops.map((samples) => median(samples))
      HOPS.forEach((hop, index) => {
        rows.push(row({
          name: 'relay breakdown: one edit A → server → B, hop by hop (syncline ⇄ syncline server)',
          metric: `${index + 1}. ${hop}`,
          unit: 'ms',
          syncline: hopMedians[index]!,
          note: `p50 of ${matched} edits`,
        }))
      })
      notes.push(
        `Relay breakdown: every frame in and out of A's, B's and the server's sockets was timestamped on the machine-wide monotonic clock (the benchmark wraps the ws sockets; the library has no hook). ${matched} of ${ours.n} edits had a complete chain. Per-hop p50s: ${hopMedians.map((value, index) => `${index + 1}: ${value.toFixed(3)}`).join(', ')} ms (sum ${hopMedians.reduce((sum, value) => sum + value, 0).toFixed(2)} ms; the p50 of sums is the end-to-end p50 above). A and B share this process; the server is a child process.`,
      )
    }
    rows.push(row({
      name: 'reference: bare ws echo round trip (loopback)',
      metric: 'p50 / p99 round trip',
      unit: 'ms',
      syncline: null,
      peers: { 'ws p50': echo.p50, 'ws p99': echo.p99 },
      note: 'reference only',
    }))
    rows.push(row({
      name: 'reference: in-process Automerge relay A → S → B',
      metric: 'p50 / p99 per edit',
      unit: 'ms',
      syncline: null,
      peers: { 'automerge p50': inProcess.p50, 'automerge p99': inProcess.p99 },
      note: 'reference only (no network)',
    }))
    rows.push(row({
      name: 'reference: the limit\'s parts with the relays\' pauses (in-process Automerge relay, bare ws echo)',
      metric: 'p50 / p99',
      unit: 'ms',
      syncline: null,
      peers: { 'automerge p50': paced.relay.p50, 'automerge p99': paced.relay.p99, 'ws p50': paced.echo.p50, 'ws p99': paced.echo.p99 },
      note: `reference only: ${PACED_SAMPLES} of each, alternating, each after a 0–100 ms pause as in the relays`,
    }))
    notes.push(
      `Why the goal's limit is paced: the relays are measured with a person's 0–100 ms pause before each edit, and after such a pause the same work runs slower on this machine than back to back (most likely cold caches and predictors, and each process waking from its wait). The in-process Automerge relay — exactly the limit's Automerge calls, no sockets — took p50 ${paced.relay.p50.toFixed(2)} ms with the pauses against ${inProcess.p50.toFixed(2)} ms back to back (${(paced.relay.p50 / inProcess.p50).toFixed(1)}×; 1.80 against 0.68 ms, 2.6×, in the run that found it), and a bare ws echo round trip ${paced.echo.p50.toFixed(3)} ms against ${echo.p50.toFixed(3)} ms (${(paced.echo.p50 / echo.p50).toFixed(1)}×). A limit measured hot would hold the relay to a speed its own Automerge calls do not reach under the same conditions, so the goal (≤ 1.5×) is checked against the paced limit (${limitP50.toFixed(2)} ms); the hot limit (${hotLimitP50.toFixed(2)} ms) stays as a reference row with its own ratio (${(ours.p50 / hotLimitP50).toFixed(2)}×). The paced parts are measured right after syncline's relay, alternating edit and echo, so all three see the machine over the same minute. The goal against stock automerge-repo is unchanged.`,
    )
    notes.push(
      `stock automerge-repo: ${EDITS} edits (after ${WARMUP_EDITS} warm-up), p50 ${stock.p50.toFixed(1)} ms, p90 ${stock.p90.toFixed(1)} ms, p99 ${stock.p99.toFixed(1)} ms; edits spaced by a random 0–100 ms pause; most of the latency is DocSynchronizer's 100 ms sync throttle.`,
      `syncline ⇄ syncline server: p50 ${ours.p50.toFixed(2)} ms, p90 ${ours.p90.toFixed(2)} ms, p99 ${ours.p99.toFixed(2)} ms; syncline clients through the stock server: p50 ${oursOnStock.p50.toFixed(1)} ms (the stock server holds each relay for its own 100 ms throttle). Same edit pattern as the stock clients.`,
      `Why the goals are not met (when they are not): the breakdown above shows where an edit's time goes. Hops 1, 3 and 5 are each peer's CPU work, nearly all Automerge's wasm (change, then getLastLocalChange and encodeSyncMessage on A; receiveSyncMessage and generateSyncMessage for B on the server; receiveSyncMessage on B), plus CBOR and a socket write; hops 2 and 4 are loopback and the receiving event loop waking up. A CPU profile (--cpu-prof of the server and of both clients over 400 relays) shows no syncline JS function above 1% of samples; the largest non-Automerge items are the socket writes themselves (writev on the server, writeBuffer in the clients, 7–9% of samples). Checked and already right: the server's ws WebSocketServer does not offer permessage-deflate (ws's default), so no frame is compressed; ws sets TCP_NODELAY on both ends; the server relays to B in the same turn it receives A's change, before acknowledging A (which waits for storage), and generates B's message first; B gets the change in the server's first message (no have/need round first). Changed: B's reply to the server now goes after its snapshot listeners (it went before); A sends a lone change the moment it is made, in a message built from the change itself when its sync state shows the server has everything before it (src/core/docs/earlySend.ts), instead of a microtask later through generateSyncMessage (same-run A/B with bench/diag/relay-hops.ts: hop 1 about 0.16 ms shorter, 0.84×). The in-process reference does the same Automerge calls without sockets, so the ratio to it is what the sockets, the two event loops and the framing cost on this machine at the time of the run.`,
    )
  } finally {
    await Promise.all([server.stop(), synclineServer.stop()])
  }
})

async function measureStockRepo(url: string) {
  log('[doc-relay] stock automerge-repo: two Repo clients through a stock server')
  const repoA = new Repo({ network: [new WebSocketClientAdapter(url)] })
  const repoB = new Repo({ network: [new WebSocketClientAdapter(url)] })
  try {
    const handleA = repoA.create<Counter>({ count: 0, title: 'relay' })
    // B can find the document once A's first sync has reached the server.
    let handleB: DocHandle<Counter> | null = null
    const deadline = performance.now() + 15_000
    while (handleB === null) {
      try {
        handleB = await within(5000, 'repoB.find', repoB.find<Counter>(handleA.url))
      } catch (error) {
        if (performance.now() > deadline) throw error
        await sleep(200)
      }
    }
    const b = handleB
    const samples: number[] = []
    for (let i = 1; i <= WARMUP_EDITS + EDITS; i++) {
      const seen = new Promise<number>((resolve) => {
        const onChange = (): void => {
          if (b.doc().count !== i) return
          b.off('change', onChange)
          resolve(performance.now())
        }
        b.on('change', onChange)
      })
      const start = performance.now()
      handleA.change((doc) => {
        doc.count = i
      })
      const end = await within(5000, `edit ${i} to reach B`, seen)
      if (i > WARMUP_EDITS) samples.push(end - start)
      // A person's pause between edits (0–100 ms), so edits land at every phase of the
      // synchronizer's throttle rather than always just after it fired.
      await relayPause()
    }
    return summarize(samples)
  } finally {
    await Promise.allSettled([repoA.shutdown(), repoB.shutdown()])
  }
}

/**
 * Two syncline document connections (A writes, B reads) through the server at `url`. With
 * `traced` (syncline's server started with `--trace-relay`), every edit is also split into
 * the hops of HOPS from the sockets' timestamps (bench/lib/relayTrace.ts).
 */
async function measureSynclineClients(url: string, label: string, traced?: Child<unknown>) {
  log(`[doc-relay] syncline clients through the ${label}`)
  const clientTrace: TraceEvent[] = []
  const open = (name: string): DocConnection => {
    const WebSocketClass = traced ? tracedWebSocket(name, clientTrace) : WebSocket
    const connection = createDocConnection({ url, WebSocket: WebSocketClass as unknown as typeof globalThis.WebSocket })
    connection.start()
    return connection
  }
  const a = open('A')
  const b = open('B')
  try {
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
    const samples: number[] = []
    const marks: EditMarks[] = []
    for (let i = 1; i <= WARMUP_EDITS + EDITS; i++) {
      if (i === WARMUP_EDITS + 1) {
        clientTrace.length = 0
        await traced?.request({ type: 'traceClear' })
      }
      const seen = new Promise<[number, number]>((resolve) => {
        const unsubscribe = storeB.subscribe(() => {
          if (storeB.getSnapshot().doc?.count !== i) return
          unsubscribe()
          resolve([performance.now(), monotonicMs()])
        })
      })
      const changeMark = monotonicMs()
      const start = performance.now()
      storeA.change((doc) => {
        doc.count = i
      })
      const [end, seenMark] = await within(5000, `edit ${i} to reach B`, seen)
      if (i > WARMUP_EDITS) {
        samples.push(end - start)
        marks.push({ change: changeMark, seen: seenMark })
      }
      await relayPause()
    }
    const hops = traced ? breakdown(marks, clientTrace, await traced.request<TraceEvent[]>({ type: 'traceTake' })) : null
    return { ...summarize(samples), hops }
  } finally {
    await Promise.allSettled([a.close(), b.close()])
  }
}
