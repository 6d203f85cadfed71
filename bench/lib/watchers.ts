/**
 * A swarm of idle watchers in its own process (case 7), so the server's heap is measured
 * alone. Requests:
 *  - open {base, room, n}: n syncline record stores over WebSocket (mode=ws), all `live`
 *  - openBare {wsUrl, n}: n plain `ws` sockets
 *  - write {base, room, rkey} / writeBare {url, rkey}: one put; answers the time until every
 *    watcher has it (the POST is sent from here, so one clock times it)
 *  - close
 */
import { performance } from 'node:perf_hooks'
import { WebSocket } from 'ws'
import { createRecordStore } from '../../src/core/index.js'
import type { RecordStore } from '../../src/core/index.js'
import { within } from './case.js'
import { serveParent } from './child.js'

const COLLECTION = 'com.example.message'
const DID = 'did:example:bench'
const BATCH = 50

const stores: RecordStore<{ text: string }>[] = []
const sockets: WebSocket[] = []
let expected: string | null = null
let seen = 0
let total = 0
let onAll: (() => void) | null = null

function arrived(): void {
  if (++seen === total) onAll?.()
}

function waitAll(n: number, rkey: string): Promise<void> {
  expected = rkey
  seen = 0
  total = n
  return new Promise((resolve) => {
    onAll = resolve
  })
}

async function post(url: string, body: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  if (!response.ok) throw new Error(`${url} answered ${response.status}`)
  await response.arrayBuffer()
}

serveParent({ pid: process.pid }, {
  async open(message) {
    const { base, room, n } = message as unknown as { base: string; room: string; n: number }
    for (let start = 0; start < n; start += BATCH) {
      const live: Promise<void>[] = []
      for (let i = start; i < Math.min(n, start + BATCH); i++) {
        const store = createRecordStore<{ text: string }>({
          url: `/xrpc/${COLLECTION}.watchRecords?roomUri=${encodeURIComponent(room)}`,
          baseUrl: base,
          transport: 'ws',
          WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
          reconnect: { initialDelayMs: 500, maxDelayMs: 2000 },
        })
        stores.push(store)
        let last: string | null = null
        live.push(new Promise((resolve) => {
          store.subscribe(() => {
            const snapshot = store.getSnapshot()
            if (snapshot.status === 'live') resolve()
            if (expected !== null && last !== expected && snapshot.records.some((record) => record.rkey === expected)) {
              last = expected
              arrived()
            }
          })
        }))
        store.start()
      }
      await within(60_000, `watchers ${start}..${start + BATCH} going live`, Promise.all(live))
    }
    return stores.length
  },
  async openBare(message) {
    const { wsUrl, n } = message as unknown as { wsUrl: string; n: number }
    for (let start = 0; start < n; start += BATCH) {
      const open: Promise<void>[] = []
      for (let i = start; i < Math.min(n, start + BATCH); i++) {
        const socket = new WebSocket(wsUrl)
        sockets.push(socket)
        let last: string | null = null
        socket.on('message', (data) => {
          const rkey = (JSON.parse(String(data)) as { data: { record: { rkey: string } } }).data.record.rkey
          if (rkey === expected && last !== rkey) {
            last = rkey
            arrived()
          }
        })
        open.push(new Promise((resolve, reject) => {
          socket.once('open', () => resolve())
          socket.once('error', reject)
        }))
      }
      await within(60_000, 'bare sockets opening', Promise.all(open))
    }
    return sockets.length
  },
  async write(message) {
    const { base, room, rkey } = message as unknown as { base: string; room: string; rkey: string }
    const all = waitAll(stores.length, rkey)
    const start = performance.now()
    await post(`${base}/xrpc/${COLLECTION}.putRecord`, JSON.stringify({ roomUri: room, rkey, value: { text: `capacity ${rkey} ${'x'.repeat(100)}` }, did: DID }))
    await within(30_000, `write reaching ${stores.length} watchers`, all)
    return performance.now() - start
  },
  async writeBare(message) {
    const { url, rkey } = message as unknown as { url: string; rkey: string }
    const all = waitAll(sockets.length, rkey)
    const now = Date.now() * 1000
    const frame = JSON.stringify({
      kind: 'record.created',
      data: { record: { uri: `at://${DID}/${COLLECTION}/${rkey}`, did: DID, rkey, collection: COLLECTION, cid: 'bafyreigh2akiscaildcqabsyg3dfr6chu3fgpregiymsck7e7aqa4s52zy', value: { text: `capacity ${rkey} ${'x'.repeat(100)}` }, time_us: now, indexed_at: now } },
    })
    const start = performance.now()
    await post(url, frame)
    await within(30_000, `bare write reaching ${sockets.length} sockets`, all)
    return performance.now() - start
  },
  async close() {
    await Promise.all(stores.splice(0).map((store) => store.stop()))
    for (const socket of sockets.splice(0)) socket.terminate()
    return true
  },
})
