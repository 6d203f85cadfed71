import { WebSocket } from 'ws'
import { createMemoryCache } from '../../src/core/cache/memoryCache.js'
import type { DocCache } from '../../src/core/cache/types.js'
import type { SyncClient } from '../../src/core/client.js'
import { createSyncClient } from '../../src/core/client.js'
import { createDocConnection } from '../../src/core/docs/docConnection.js'
import type { DocConnection, DocStore } from '../../src/core/docs/types.js'
import type { SyncStatus } from '../../src/core/machine.js'
import { createRecordStore } from '../../src/core/records/recordStore.js'
import type { WatchRecordStore } from '../../src/core/records/recordStore.js'
import type { FaultProxy } from './faultProxy.js'
import type { Trace } from './trace.js'
import { TRACING, tracingWebSocket } from './trace.js'

export const COLLECTION = 'com.example.soak'
/** Large enough that a watch's snapshot holds a whole room (the server's default page is 100). */
export const WATCH_LIMIT = 1000
const NodeWebSocket = WebSocket as unknown as typeof globalThis.WebSocket
/** Small delays, so that a healed client is back well within the 10 s the invariant allows. */
const RECONNECT = { initialDelayMs: 50, maxDelayMs: 1000 }

export const watchUrl = (room: string): string => `/xrpc/${COLLECTION}.watchRecords?roomUri=${encodeURIComponent(room)}&limit=${WATCH_LIMIT}`

/** Counts how often a connection reached `live`, and how often it left `live` while its proxy stalled. */
class StatusLog {
  sessions = 0
  stallsDetected = 0
  constructor(private readonly stalled: () => boolean) {}
  watch(read: () => SyncStatus, subscribe: (listener: () => void) => () => void): () => void {
    let last: SyncStatus = read()
    return subscribe(() => {
      const status = read()
      if (status === last) return
      if (status === 'live') this.sessions++
      if (last === 'live' && this.stalled()) this.stallsDetected++
      last = status
    })
  }
}

export interface SoakClientBase {
  readonly name: string
  readonly world: string
  readonly proxy: FaultProxy
  readonly did: string
  stalled: boolean
  readonly log: StatusLog
  statuses(): SyncStatus[]
  /** Status and last error of each connection, for failure messages. */
  describe(): string
  close(): Promise<void>
}

const describeConnection = ({ status, error }: { status: SyncStatus; error: { code: string; message: string } | null }): string =>
  error === null ? status : `${status} (${error.code}: ${error.message})`

export type RecordClientKind = 'sse-store' | 'ws-store' | 'sse-client' | 'ws-client'

/** Watches every room of its world, over SSE or WebSocket, straight or through a `SyncClient`. */
export class RecordClient implements SoakClientBase {
  readonly log: StatusLog
  stalled = false
  readonly #stores = new Map<string, WatchRecordStore<{ text: string }>>()
  readonly #unsubscribe: Array<() => void> = []
  readonly #syncClient: SyncClient | null
  readonly #onIgnoredError: (error: unknown) => void

  constructor(
    readonly name: string,
    readonly world: string,
    readonly kind: RecordClientKind,
    readonly proxy: FaultProxy,
    readonly did: string,
    onIgnoredError: (error: unknown) => void,
  ) {
    this.log = new StatusLog(() => this.stalled)
    this.#syncClient = kind.endsWith('-client') ? createSyncClient({ recordsBaseUrl: proxy.url, reconnect: RECONNECT, WebSocket: NodeWebSocket, onIgnoredError }) : null
    this.#onIgnoredError = onIgnoredError
  }

  watch(room: string): void {
    if (this.#stores.has(room)) return
    const transport = this.kind.startsWith('ws') ? 'ws' : 'sse'
    let store: WatchRecordStore<{ text: string }>
    if (this.#syncClient !== null) {
      store = this.#syncClient.getRecordStore<{ text: string }>(watchUrl(room), { transport })
      this.#unsubscribe.push(this.log.watch(() => store.getSnapshot().status, store.subscribe))
      this.#syncClient.retain(store)
    } else {
      store = createRecordStore<{ text: string }>({ url: watchUrl(room), baseUrl: this.proxy.url, transport, reconnect: RECONNECT, WebSocket: NodeWebSocket, onIgnoredError: this.#onIgnoredError })
      this.#unsubscribe.push(this.log.watch(() => store.getSnapshot().status, store.subscribe))
      store.start()
    }
    this.#stores.set(room, store)
  }

  /** `did/rkey` → text of every record this client shows for `room`. */
  recordsOf(room: string): Map<string, string> {
    const shown = new Map<string, string>()
    for (const record of this.#stores.get(room)?.getSnapshot().records ?? []) shown.set(`${record.did}/${record.rkey}`, record.value.text)
    return shown
  }

  statuses(): SyncStatus[] {
    return [...this.#stores.values()].map((store) => store.getSnapshot().status)
  }

  describe(): string {
    return [...this.#stores.values()].map((store) => describeConnection(store.getSnapshot())).join('/')
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe) unsubscribe()
    if (this.#syncClient !== null) await this.#syncClient.close()
    else await Promise.all([...this.#stores.values()].map((store) => store.stop()))
  }
}

export interface SoakDoc {
  e: Record<string, true>
}

/**
 * One document connection with a memory cache that outlives it: `reload()` closes the
 * connection (in the middle of an edit, if one is under way) and opens a new one on the
 * same cache, as a page reload with IndexedDB would.
 */
export class DocClient implements SoakClientBase {
  readonly log: StatusLog
  stalled = false
  readonly cache: DocCache = createMemoryCache()
  /** Last frames per document id, with SOAK_TRACE=1. */
  readonly trace: Trace = new Map()
  connection: DocConnection
  readonly open = new Map<string, DocStore<SoakDoc>>()
  /** While `reload()` runs, nothing else may use the connection. */
  reloading = false
  #unsubscribe: () => void

  constructor(
    readonly name: string,
    readonly world: string,
    readonly proxy: FaultProxy,
    readonly did: string,
    private readonly onIgnoredError: (error: unknown) => void,
  ) {
    this.log = new StatusLog(() => this.stalled)
    this.connection = this.#connect()
    this.#unsubscribe = this.#watch()
  }

  #connect(): DocConnection {
    const connection = createDocConnection({
      url: this.proxy.url.replace('http', 'ws'),
      cache: this.cache,
      WebSocket: TRACING ? tracingWebSocket(this.trace) : NodeWebSocket,
      reconnect: RECONNECT,
      closeTimeoutMs: 2000,
      onIgnoredError: this.onIgnoredError,
    })
    connection.start()
    return connection
  }

  #watch(): () => void {
    const connection = this.connection
    return this.log.watch(() => connection.getSnapshot().status, connection.subscribe)
  }

  openDoc(url: string): DocStore<SoakDoc> {
    let store = this.open.get(url)
    if (!store) {
      store = this.connection.open<SoakDoc>(url)
      this.open.set(url, store)
    }
    return store
  }

  closeDoc(url: string): void {
    this.open.get(url)?.close()
    this.open.delete(url)
  }

  /** Closes the connection now, then reconnects on the same cache with the same documents open. */
  async reload(): Promise<void> {
    const urls = [...this.open.keys()]
    this.reloading = true
    this.#unsubscribe()
    try {
      await this.connection.close()
    } finally {
      this.open.clear()
      this.connection = this.#connect()
      this.#unsubscribe = this.#watch()
      for (const url of urls) this.openDoc(url)
      this.reloading = false
    }
  }

  statuses(): SyncStatus[] {
    return [this.connection.getSnapshot().status]
  }

  describe(): string {
    return describeConnection(this.connection.getSnapshot())
  }

  async close(): Promise<void> {
    this.#unsubscribe()
    await this.connection.close()
  }
}
