/**
 * Case 8 — beyond one machine: two reference-server processes sharing storage and fanning out
 * through a real Redis (Debian's redis-server, started here). Measures document relay when A
 * and B use the same instance and when they use different ones, and records fan-out to
 * 2 instances × 250 WebSocket watchers. Goal (issue 7): cross-instance p50 within 2 ms of
 * same-instance p50 on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { WebSocket } from 'ws'
import { createDocConnection, createRecordStore } from '../../src/core/index.js'
import type { DocConnection, RecordStore } from '../../src/core/index.js'
import { startRedis } from '../../test/support/redis.js'
import { log, row, runCase, sleep, within } from '../lib/case.js'
import { startChild } from '../lib/child.js'
import { summarize } from '../lib/stats.js'

const EDITS = 200
const WARMUP = 20
const WATCHERS_PER_INSTANCE = 250
const WRITES = 30
const COLLECTION = 'com.example.message'

const docClient = (url: string): DocConnection => {
  const connection = createDocConnection({ url: url.replace(/^http/, 'ws'), WebSocket: WebSocket as unknown as typeof globalThis.WebSocket })
  connection.start()
  return connection
}

async function relay(writerUrl: string, readerUrl: string): Promise<ReturnType<typeof summarize>> {
  const a = docClient(writerUrl)
  const b = docClient(readerUrl)
  try {
    const storeA = a.create<{ count: number }>({ count: 0 })
    await within(10_000, 'the document to be stored', storeA.whenSaved('server'))
    const storeB = b.open<{ count: number }>(storeA.url)
    await within(10_000, 'B to load it', new Promise<void>((resolve) => {
      const check = (): void => {
        if (storeB.getSnapshot().doc === undefined) return
        unsubscribe()
        resolve()
      }
      const unsubscribe = storeB.subscribe(check)
      check()
    }))
    const samples: number[] = []
    for (let i = 1; i <= WARMUP + EDITS; i++) {
      const seen = new Promise<number>((resolve) => {
        const unsubscribe = storeB.subscribe(() => {
          if (storeB.getSnapshot().doc?.count !== i) return
          unsubscribe()
          resolve(performance.now())
        })
      })
      const start = performance.now()
      storeA.change((doc) => {
        doc.count = i
      })
      const end = await within(5000, `edit ${i}`, seen)
      if (i > WARMUP) samples.push(end - start)
      await sleep(Math.random() * 20)
    }
    return summarize(samples)
  } finally {
    await Promise.allSettled([a.close(), b.close()])
  }
}

async function fanout(writerUrl: string, urls: string[]): Promise<ReturnType<typeof summarize>> {
  const room = `fanout-${Date.now()}`
  const stores: RecordStore<{ text: string }>[] = []
  for (const base of urls) {
    for (let i = 0; i < WATCHERS_PER_INSTANCE; i++) {
      const store = createRecordStore<{ text: string }>({
        url: `/xrpc/${COLLECTION}.watchRecords?roomUri=${room}`,
        baseUrl: base,
        transport: 'ws',
        WebSocket: WebSocket as unknown as typeof globalThis.WebSocket,
      })
      store.start()
      stores.push(store)
    }
  }
  try {
    await within(60_000, 'every watcher live', (async () => {
      while (!stores.every((store) => store.getSnapshot().status === 'live')) await sleep(50)
    })())
    const samples: number[] = []
    for (let i = 0; i < WRITES; i++) {
      const rkey = `w${i}`
      let remaining = stores.length
      const all = new Promise<number>((resolve) => {
        for (const store of stores) {
          const unsubscribe = store.subscribe(() => {
            if (!store.getSnapshot().records.some((record) => record.rkey === rkey)) return
            unsubscribe()
            if (--remaining === 0) resolve(performance.now())
          })
        }
      })
      const start = performance.now()
      const response = await fetch(`${writerUrl}/xrpc/${COLLECTION}.putRecord`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ roomUri: room, rkey, value: { text: rkey }, did: 'did:example:bench' }),
      })
      await response.arrayBuffer()
      samples.push((await within(20_000, `write ${i} everywhere`, all)) - start)
      await sleep(20)
    }
    return summarize(samples)
  } finally {
    await Promise.all(stores.map((store) => store.stop()))
  }
}

await runCase('8. Several instances (Redis fan-out)', async (rows, notes) => {
  const redis = await startRedis()
  const dataDir = mkdtempSync(join(tmpdir(), 'syncline-bench-instances-'))
  const env = { BENCH_REDIS_URL: redis.url, BENCH_DATA_DIR: dataDir }
  const spawnInstance = () => startChild<{ url: string }>(new URL('../lib/instance-server.ts', import.meta.url).pathname)
  // The 'notice' design first, in its own pair of processes (which inherit this environment).
  Object.assign(process.env, env, { BENCH_DOCUMENT_FANOUT: 'notice' })
  let viaStorage: ReturnType<typeof summarize>
  {
    const [one, two] = await Promise.all([spawnInstance(), spawnInstance()])
    try {
      log('[instances] cross-instance relay, "document stored" notices')
      viaStorage = await relay(one.ready.url, two.ready.url)
    } finally {
      await Promise.all([one.stop(), two.stop()])
    }
  }
  Object.assign(process.env, { BENCH_DOCUMENT_FANOUT: 'changes' })
  const [one, two] = await Promise.all([spawnInstance(), spawnInstance()])
  try {
    log('[instances] same-instance relay')
    const same = await relay(one.ready.url, one.ready.url)
    log('[instances] cross-instance relay, change bytes')
    const cross = await relay(one.ready.url, two.ready.url)
    log(`[instances] p50 same ${same.p50.toFixed(2)} ms, cross ${cross.p50.toFixed(2)} ms (changes), ${viaStorage.p50.toFixed(2)} ms (notices)`)
    rows.push(row({
      name: 'document relay A → B across two instances (Redis + shared storage)',
      metric: 'p50 A change → B sees it',
      unit: 'ms',
      syncline: cross.p50,
      peers: { 'A and B on the same instance': same.p50, 'across, with "stored" notices instead of change bytes': viaStorage.p50 },
      ratioTo: 'A and B on the same instance',
      goal: 'within 2 ms of the same-instance p50',
      check: ({ syncline: value }) => value - same.p50 <= 2,
    }))
    rows.push(row({
      name: 'document relay A → B across two instances (Redis + shared storage)',
      metric: 'p99 A change → B sees it',
      unit: 'ms',
      syncline: cross.p99,
      peers: { 'A and B on the same instance': same.p99, 'across, with "stored" notices instead of change bytes': viaStorage.p99 },
      ratioTo: 'A and B on the same instance',
      goal: null,
    }))
    log('[instances] fan-out to 2 × 250 watchers')
    const spread = await fanout(one.ready.url, [one.ready.url, two.ready.url])
    rows.push(row({
      name: `records fan-out to 2 instances × ${WATCHERS_PER_INSTANCE} WS watchers`,
      metric: 'p50 put → last watcher has it',
      unit: 'ms',
      syncline: spread.p50,
      goal: null,
    }))
    notes.push(
      `Two \`createSyncServer\` processes sharing a file store whose document writes append (PostgreSQL when BENCH_POSTGRES_URL is set) and a loopback redis-server. Both designs of issue 7 measured: publishing the change bytes as they arrive (the default, documentFanout: 'changes'; instance two applies them at once) and publishing "document D was stored" after the write (instance two reads the document back from storage and merges it: a storage write, a Redis hop and a storage read). Same-instance p50 ${same.p50.toFixed(2)} ms; across with change bytes ${cross.p50.toFixed(2)} ms (p99 ${cross.p99.toFixed(2)} ms); across with notices ${viaStorage.p50.toFixed(2)} ms. Fan-out p99 ${spread.p99.toFixed(1)} ms.`,
    )
  } finally {
    await Promise.all([one.stop(), two.stop()])
    await redis.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
})
