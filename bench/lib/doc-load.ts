/**
 * A document load generator in its own process (case 10): `docs` documents × `peers` editors
 * each, every editor its own client (a syncline DocConnection, or a stock automerge-repo Repo
 * with one WebSocketClientAdapter), all against one server in another process. Requests:
 *  - open {impl, url, docs, peers, label}: creates the documents (peer 0) and opens them on
 *    the other peers; answers once every peer holds its document
 *  - run {ratePerPeer, seconds, drainMs}: every editor edits at `ratePerPeer` edits/s for
 *    `seconds`, then waits up to `drainMs` for the last edits; answers the relay latencies
 *  - close
 *
 * The clock is this process's: an edit's time is when it was scheduled (so a generator that
 * falls behind counts its lateness against the relay), and it arrives when the LAST other
 * editor of its document sees it in a change notification. Writer and readers share this
 * process, so one clock times both ends; the server never reports a time.
 */
import { Repo } from '@automerge/automerge-repo'
import type { AutomergeUrl, DocHandle } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { performance } from 'node:perf_hooks'
import { WebSocket } from 'ws'
import { createDocConnection } from '../../src/core/index.js'
import type { DocConnection, DocStore } from '../../src/core/index.js'
import { sleep, within } from './case.js'
import { serveParent } from './child.js'

/** Each editor writes only its own key: `seq.p3` is how many edits editor 3 has made. */
type LoadDoc = { seq: Record<string, number> }

interface Editor {
  edit(seq: number): void
  close(): Promise<void>
}

interface Edit {
  start: number
  remaining: number
  measured: boolean
  /** Called once every other editor has seen it (the closed-loop mode waits for it). */
  delivered?: () => void
}

let editors: Editor[][] = []
let peersPerDoc = 0
/** Edits in flight, by `${doc}:${writer}:${seq}`. */
const inFlight = new Map<string, Edit>()
const written: number[][] = []
/** `seen[doc][reader][writer]`: the last seq of `writer` that `reader` has seen. */
const seen: number[][][] = []
let samples: number[] = []
let lastArrival = 0

const key = (peer: number): string => `p${peer}`

function observe(doc: number, reader: number, state: LoadDoc | undefined): void {
  if (state === undefined) return
  const now = performance.now()
  for (let writer = 0; writer < peersPerDoc; writer++) {
    if (writer === reader) continue
    const latest = state.seq[key(writer)] ?? 0
    const row = seen[doc]![reader]!
    for (let seq = row[writer]! + 1; seq <= latest; seq++) {
      const id = `${doc}:${writer}:${seq}`
      const edit = inFlight.get(id)
      if (edit === undefined) continue
      if (--edit.remaining === 0) {
        inFlight.delete(id)
        if (edit.measured) samples.push(now - edit.start)
        lastArrival = now
        edit.delivered?.()
      }
    }
    if (latest > row[writer]!) row[writer] = latest
  }
}

async function openSyncline(url: string, docs: number, peers: number): Promise<Editor[][]> {
  const connect = (): DocConnection => {
    const connection = createDocConnection({ url, WebSocket: WebSocket as unknown as typeof globalThis.WebSocket })
    connection.start()
    return connection
  }
  const initial: LoadDoc = { seq: Object.fromEntries(Array.from({ length: peers }, (_, peer) => [key(peer), 0])) }
  return Promise.all(Array.from({ length: docs }, async (_, doc) => {
    const connections = Array.from({ length: peers }, connect)
    const first = connections[0]!.create<LoadDoc>(initial)
    await within(30_000, 'a document reaching the server', first.whenSaved('server'))
    const stores: DocStore<LoadDoc>[] = [first, ...connections.slice(1).map((connection) => connection.open<LoadDoc>(first.url))]
    await Promise.all(stores.map((store, peer) => within(30_000, 'a peer loading its document', new Promise<void>((resolve) => {
      const check = (): void => {
        const state = store.getSnapshot().doc
        if (state === undefined) return
        observe(doc, peer, state)
        resolve()
      }
      store.subscribe(check)
      check()
    }))))
    return stores.map((store, peer) => ({
      edit(seq: number) {
        store.change((state) => {
          state.seq[key(peer)] = seq
        })
      },
      close: () => connections[peer]!.close(),
    }))
  }))
}

async function openStock(url: string, docs: number, peers: number): Promise<Editor[][]> {
  const initial: LoadDoc = { seq: Object.fromEntries(Array.from({ length: peers }, (_, peer) => [key(peer), 0])) }
  return Promise.all(Array.from({ length: docs }, async (_, doc) => {
    const repos = Array.from({ length: peers }, () => new Repo({ network: [new WebSocketClientAdapter(url)] }))
    const first = repos[0]!.create<LoadDoc>(initial)
    const handles: DocHandle<LoadDoc>[] = [first]
    for (const repo of repos.slice(1)) {
      // Found once peer 0's first sync has reached the server.
      const deadline = performance.now() + 30_000
      for (;;) {
        try {
          handles.push(await within(5000, 'repo.find', repo.find<LoadDoc>(first.url as AutomergeUrl)))
          break
        } catch (error) {
          if (performance.now() > deadline) throw error
          await sleep(200)
        }
      }
    }
    handles.forEach((handle, peer) => {
      handle.on('change', ({ doc: state }) => observe(doc, peer, state))
      observe(doc, peer, handle.doc())
    })
    return handles.map((handle, peer) => ({
      edit(seq: number) {
        handle.change((state) => {
          state.seq[key(peer)] = seq
        })
      },
      close: () => repos[peer]!.shutdown(),
    }))
  }))
}

async function run(ratePerPeer: number, seconds: number, drainMs: number) {
  samples = []
  const interval = 1000 / ratePerPeer
  const begin = performance.now() + 20
  const end = begin + seconds * 1000
  // Each editor starts at its own phase, so the edits spread evenly over time.
  const next = editors.map((doc) => doc.map(() => begin + Math.random() * interval))
  let offered = 0
  let maxLateMs = 0
  const cpuBefore = process.cpuUsage()
  const wallBefore = performance.now()
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now()
      for (let doc = 0; doc < editors.length; doc++) {
        for (let peer = 0; peer < peersPerDoc; peer++) {
          while (next[doc]![peer]! <= now && next[doc]![peer]! < end) {
            const scheduled = next[doc]![peer]!
            next[doc]![peer] = scheduled + interval
            maxLateMs = Math.max(maxLateMs, now - scheduled)
            const seq = ++written[doc]![peer]!
            inFlight.set(`${doc}:${peer}:${seq}`, { start: scheduled, remaining: peersPerDoc - 1, measured: true })
            offered++
            editors[doc]![peer]!.edit(seq)
          }
        }
      }
      if (now >= end) resolve()
      else setTimeout(tick, 1)
    }
    setTimeout(tick, Math.max(0, begin - performance.now()))
  })
  const drainUntil = performance.now() + drainMs
  while (inFlight.size > 0 && performance.now() < drainUntil) await sleep(10)
  const cpu = process.cpuUsage(cpuBefore)
  const wallMs = performance.now() - wallBefore
  const undelivered = inFlight.size
  // What did not arrive in time must not count in the next step.
  for (const edit of inFlight.values()) edit.measured = false
  return { samples, offered, undelivered, maxLateMs, cpuMs: (cpu.user + cpu.system) / 1000, wallMs, lastArrival }
}

/**
 * Closed loop, for comparing servers' CPU per edit on a busy machine: on every document in
 * parallel, `edits` edits one after the other (the writers take turns), each made once the
 * previous one has reached every other editor. The server sees the message pattern of a low
 * edit rate whatever the machine's load, so its CPU per edit compares across runs.
 */
async function closedLoop(edits: number) {
  const cpuBefore = process.cpuUsage()
  const wallBefore = performance.now()
  await Promise.all(editors.map(async (doc, docIndex) => {
    for (let i = 0; i < edits; i++) {
      const peer = i % peersPerDoc
      const seq = ++written[docIndex]![peer]!
      await within(30_000, 'a closed-loop edit reaching every editor', new Promise<void>((resolve) => {
        inFlight.set(`${docIndex}:${peer}:${seq}`, { start: performance.now(), remaining: peersPerDoc - 1, measured: false, delivered: resolve })
        doc[peer]!.edit(seq)
      }))
    }
  }))
  const cpu = process.cpuUsage(cpuBefore)
  return { offered: edits * editors.length, cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - wallBefore }
}

serveParent({ pid: process.pid }, {
  closed(message) {
    return closedLoop((message as unknown as { edits: number }).edits)
  },
  async open(message) {
    const { impl, url, docs, peers } = message as unknown as { impl: 'syncline' | 'stock'; url: string; docs: number; peers: number }
    peersPerDoc = peers
    for (let doc = 0; doc < docs; doc++) {
      written.push(Array.from({ length: peers }, () => 0))
      seen.push(Array.from({ length: peers }, () => Array.from({ length: peers }, () => 0)))
    }
    editors = await (impl === 'syncline' ? openSyncline(url, docs, peers) : openStock(url, docs, peers))
    return editors.length * peers
  },
  run(message) {
    const { ratePerPeer, seconds, drainMs } = message as unknown as { ratePerPeer: number; seconds: number; drainMs: number }
    return run(ratePerPeer, seconds, drainMs)
  },
  async close() {
    await Promise.allSettled(editors.flat().map((editor) => editor.close()))
    editors = []
    return true
  },
})
