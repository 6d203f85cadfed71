/**
 * syncline's reference server (memory storage) in its own process, so its CPU and heap are
 * measured apart from the clients'. Requests from the parent:
 *  - heap: garbage-collects (with --expose-gc) and returns process.memoryUsage()
 *  - put: one putRecord through HTTP from this process (keeps the writer's work off the
 *         measured client process)
 *  - putMany: many putRecords, a few at a time
 *  - createRows / editRow: a syncline document client in this process (the writer) makes a
 *    document of rows on the server, then edits one row
 *  - burst: the writer makes `n` small changes to a document, each in its own task
 *  - cpu: process.cpuUsage() (user + system microseconds so far)
 *  - backlog: the writer makes `n` small changes in one task, so they reach the server in one
 *    sync message and its other peers as a backlog (`--max-sync-message-bytes=N` sets the
 *    server's bound on the messages that carry it)
 *  - traceTake / traceClear: with `--trace-relay`, every server socket's frames are logged
 *    (bench/lib/relayTrace.ts); these hand the log over or drop it
 * With `--file-storage <dir>` the server stores in fileStorage(dir) (its defaults) instead of memory.
 */
import { WebSocket } from 'ws'
import { createDocConnection } from '../../src/core/index.js'
import type { DocConnection, DocStore } from '../../src/core/index.js'
import { failStart, serveParent } from './child.js'
import { traceServerSockets } from './relayTrace.js'

const trace = process.argv.includes('--trace-relay') ? traceServerSockets() : null

// Loaded by path so the benchmarks still run (and say why these cases cannot) while the
// server is missing; BENCH_SERVER_MODULE may point at another build of it.
const serverModule = process.env.BENCH_SERVER_MODULE ?? new URL('../../src/server/index.ts', import.meta.url).href
const { createSyncServer, fileStorage, memoryStorage } = (await import(serverModule).catch((error: unknown) =>
  failStart(new Error(`syncline's reference server could not be loaded from ${serverModule.replace(/^file:\/\//, '')}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`)),
)) as {
  createSyncServer(options: { port: number; storage: unknown; limits?: { maxSyncMessageBytes?: number } }): { url: string; start(): Promise<void>; close(): Promise<void> }
  memoryStorage(): unknown
  fileStorage(dir: string): unknown
}

interface Put {
  collection: string
  roomUri: string
  rkey?: string
  value: unknown
  did?: string
}

const fileStorageDir = process.argv.includes('--file-storage') ? process.argv[process.argv.indexOf('--file-storage') + 1] : undefined
const maxSyncMessageBytes = process.argv.find((arg) => arg.startsWith('--max-sync-message-bytes='))?.split('=')[1]
const server = createSyncServer({
  port: 0,
  storage: fileStorageDir === undefined ? memoryStorage() : fileStorage(fileStorageDir),
  ...(maxSyncMessageBytes !== undefined && { limits: { maxSyncMessageBytes: Number(maxSyncMessageBytes) } }),
})
await server.start()
const base = server.url

async function put({ collection, roomUri, rkey, value, did }: Put): Promise<unknown> {
  const response = await fetch(`${base}/xrpc/${collection}.putRecord`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ roomUri, rkey, value, did: did ?? 'did:example:bench' }),
  })
  if (!response.ok) throw new Error(`putRecord answered ${response.status}: ${await response.text()}`)
  return response.json()
}

type RowsDoc = { rows: Record<string, { text: string }> }
let writer: DocConnection | null = null
const writerDocs = new Map<string, DocStore<RowsDoc>>()

function docWriter(): DocConnection {
  if (writer === null) {
    writer = createDocConnection({ url: base.replace(/^http/, 'ws'), WebSocket: WebSocket as unknown as typeof globalThis.WebSocket })
    writer.start()
  }
  return writer
}

process.on('SIGTERM', () => {
  void server.close().finally(() => process.exit(0))
  setTimeout(() => process.exit(0), 2000).unref()
})

serveParent({ url: base }, {
  heap() {
    const gc = (globalThis as { gc?: () => void }).gc
    for (let i = 0; i < 3; i++) gc?.()
    const usage = process.memoryUsage()
    return { heapUsed: usage.heapUsed, rss: usage.rss, external: usage.external, arrayBuffers: usage.arrayBuffers, gc: gc !== undefined }
  },
  put: (message) => put(message as unknown as Put),
  cpu: () => process.cpuUsage(),
  traceTake: () => trace?.take() ?? [],
  traceClear: () => trace?.clear(),
  async createRows(message) {
    const { n } = message as unknown as { n: number }
    const rows: RowsDoc['rows'] = {}
    for (let i = 0; i < n; i++) rows[`row-${i.toString().padStart(4, '0')}`] = { text: `row ${i} v0` }
    const store = docWriter().create<RowsDoc>({ rows })
    await store.whenSaved('server')
    writerDocs.set(store.url, store)
    return store.url
  },
  async burst(message) {
    const { url, n } = message as unknown as { url: string; n: number }
    const store = writerDocs.get(url) as unknown as DocStore<{ rows: Record<string, { text: string }>; count?: number }> | undefined
    if (!store) throw new Error(`no document ${url} made here`)
    for (let i = 1; i <= n; i++) {
      store.change((doc) => {
        doc.count = i
      })
      await new Promise((resolve) => setImmediate(resolve))
    }
    await store.whenSaved('server')
    return n
  },
  async backlog(message) {
    const { url, n, from } = message as unknown as { url: string; n: number; from: number }
    const store = writerDocs.get(url) as unknown as DocStore<{ count?: number }> | undefined
    if (!store) throw new Error(`no document ${url} made here`)
    for (let i = from + 1; i <= from + n; i++) {
      store.change((doc) => {
        doc.count = i
      })
    }
    await store.whenSaved('server')
    return n
  },
  async editRow(message) {
    const { url, key, text } = message as unknown as { url: string; key: string; text: string }
    const store = writerDocs.get(url)
    if (!store) throw new Error(`no document ${url} made here`)
    store.change((doc) => {
      doc.rows[key]!.text = text
    })
    return true
  },
  async putMany(message) {
    const { puts, concurrency = 8 } = message as unknown as { puts: Put[]; concurrency?: number }
    let next = 0
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < puts.length) await put(puts[next++]!)
      }),
    )
    return puts.length
  },
})
