/**
 * Record watchers, and optionally the put generator, in their own process (case 11).
 * Requests:
 *  - open {base, room, n, transport}: n syncline record stores (SSE or WS), all `live`
 *  - run {base, room, rate, seconds, drainMs, puts}: for `seconds + drainMs`, notes when each
 *    watcher first holds each put; with `puts`, this process also sends `rate` putRecords a
 *    second (without waiting for one to finish before the next is due). Answers, per put,
 *    how many watchers here hold it and when the last of them got it.
 *  - close
 *
 * A put's value carries its scheduled time as Unix milliseconds (performance.timeOrigin +
 * performance.now(), the same system clock in every process of this machine), so watchers in
 * another process time it against the same clock; the server never reports a time. The puts
 * overwrite a few rkeys in turn, so the room stays small and a watcher that gets a later
 * value of an rkey has every earlier put to it as well.
 */
import { performance } from 'node:perf_hooks'
import { WebSocket } from 'ws'
import { createRecordStore } from '../../src/core/index.js'
import type { RecordStore } from '../../src/core/index.js'
import { sleep, within } from './case.js'
import { serveParent } from './child.js'

export const LOAD_COLLECTION = 'com.example.message'
export const LOAD_KEYS = 16
const DID = 'did:example:bench'
const BATCH = 50

interface LoadValue {
  text: string
  seq?: number
  sentAt?: number
}

const epochNow = (): number => performance.timeOrigin + performance.now()

const stores: RecordStore<LoadValue>[] = []
/** Per put seq: watchers here that hold it, and when the last of them got it (Unix ms). */
let arrivals = new Map<number, { count: number; last: number }>()

function arrived(seq: number, now: number): void {
  const entry = arrivals.get(seq)
  if (entry === undefined) arrivals.set(seq, { count: 1, last: now })
  else {
    entry.count++
    entry.last = now
  }
}

function watch(store: RecordStore<LoadValue>): Promise<void> {
  // The highest seq seen per rkey slot; every put to that slot up to it has arrived.
  const lastSeen = Array.from({ length: LOAD_KEYS }, (_, slot) => slot - LOAD_KEYS)
  return new Promise((resolve) => {
    store.subscribe(() => {
      const snapshot = store.getSnapshot()
      if (snapshot.status === 'live') resolve()
      const now = epochNow()
      for (const record of snapshot.records) {
        const seq = record.value.seq
        if (seq === undefined) continue
        const slot = seq % LOAD_KEYS
        for (let earlier = lastSeen[slot]! + LOAD_KEYS; earlier <= seq; earlier += LOAD_KEYS) arrived(earlier, now)
        if (seq > lastSeen[slot]!) lastSeen[slot] = seq
      }
    })
  })
}

async function put(base: string, room: string, seq: number, sentAt: number): Promise<boolean> {
  try {
    const response = await fetch(`${base}/xrpc/${LOAD_COLLECTION}.putRecord`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ roomUri: room, rkey: `load${seq % LOAD_KEYS}`, value: { text: `capacity ${'x'.repeat(100)}`, seq, sentAt }, did: DID }),
    })
    await response.arrayBuffer()
    return response.ok
  } catch {
    return false
  }
}

let nextSeq = 0

serveParent({ pid: process.pid }, {
  async open(message) {
    const { base, room, n, transport } = message as unknown as { base: string; room: string; n: number; transport: 'sse' | 'ws' }
    for (let start = 0; start < n; start += BATCH) {
      const live: Promise<void>[] = []
      for (let i = start; i < Math.min(n, start + BATCH); i++) {
        const store = createRecordStore<LoadValue>({
          url: `/xrpc/${LOAD_COLLECTION}.watchRecords?roomUri=${encodeURIComponent(room)}`,
          baseUrl: base,
          transport,
          fetch: globalThis.fetch,
          WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
          reconnect: { initialDelayMs: 500, maxDelayMs: 2000 },
        })
        stores.push(store)
        live.push(watch(store))
        store.start()
      }
      await within(60_000, `${transport} watchers ${start}..${start + BATCH} going live`, Promise.all(live))
    }
    return stores.length
  },
  async run(message) {
    const { base, room, rate, seconds, drainMs, puts, firstSeq } = message as unknown as { base: string; room: string; rate: number; seconds: number; drainMs: number; puts: boolean; firstSeq: number }
    arrivals = new Map()
    const sent: Array<{ seq: number; sentAt: number }> = []
    const writes: Promise<boolean>[] = []
    const begin = epochNow() + 20
    const end = begin + seconds * 1000
    if (puts) {
      nextSeq = Math.max(nextSeq, firstSeq)
      const interval = 1000 / rate
      let due = begin
      while (due < end) {
        const wait = due - epochNow()
        if (wait > 1) await sleep(wait)
        // Late puts keep their scheduled time: a generator that falls behind counts against the result.
        while (due <= epochNow() && due < end) {
          const seq = nextSeq++
          sent.push({ seq, sentAt: due })
          writes.push(put(base, room, seq, due))
          due += interval
        }
      }
    } else {
      await sleep(Math.max(0, end - epochNow()))
    }
    await sleep(drainMs)
    const failed = (await Promise.all(writes)).filter((ok) => !ok).length
    return { sent, failed, arrivals: [...arrivals].map(([seq, { count, last }]) => ({ seq, count, last })) }
  },
  async close() {
    await Promise.all(stores.splice(0).map((store) => store.stop()))
    return true
  },
})
