import type { DocCache, RecordCache } from '../cache/types.js'
import type { Environment } from '../environment.js'
import { definedOptions } from '../definedOptions.js'
import { SyncError } from '../errors.js'
import type { BackoffOptions, SyncStatus } from '../machine.js'
import { StoreRegistry } from '../storeRegistry.js'
import type { EventTap } from '../eventTap.js'
import { createDocConnection } from './docConnection.js'
import { parseDocumentUrl } from './documentId.js'
import type { DocumentStore } from './docStore.js'
import type { DocConnection, DocStore } from './types.js'

export interface SharedDocumentsOptions {
  url: string | undefined
  token: string | (() => Promise<string>) | undefined
  cache: RecordCache | undefined
  reconnect: boolean | BackoffOptions | undefined
  /** See `DocConnectionOptions.heartbeatMs`; optional so older callers keep compiling. */
  heartbeatMs?: number | undefined
  /** For the documents ticket request; optional so older callers keep compiling. @default globalThis.fetch */
  fetch?: typeof fetch | undefined
  WebSocket: typeof WebSocket | undefined
  environment: Environment
  onIgnoredError: ((error: unknown) => void) | undefined
  releaseDelayMs: number
  /** Called whenever a document's or the connection's state changes. */
  onChange: () => void
  /** The client's event stream; optional so older callers keep compiling. */
  tap?: EventTap | undefined
}

export interface DocumentsSummary {
  /** Documents with local edits the server has not acknowledged. */
  readonly pending: number
  readonly savedLocal: boolean
}

/**
 * One document connection and one store per document for a `SyncClient`, shared by every
 * hook that reads the document. A store is opened by its first reader (possibly during a
 * render) and closed `releaseDelayMs` after its last — but never while it holds edits the
 * server has not acknowledged: those keep syncing after the component that made them is gone.
 * The connection runs while any document is retained or still has such edits.
 */
export class SharedDocuments {
  readonly #options: SharedDocumentsOptions
  readonly #stores: StoreRegistry<DocStore<unknown>>
  readonly #unlisten = new Map<DocStore<unknown>, () => void>()
  #connection: DocConnection | null = null
  #unlistenConnection: (() => void) | null = null
  #running = false
  /** A connection close in progress: starting again must wait for it, or it would stop the new start. */
  #closing: Promise<void> | null = null

  constructor(options: SharedDocumentsOptions) {
    this.#options = options
    this.#stores = new StoreRegistry<DocStore<unknown>>({
      environment: options.environment,
      releaseDelayMs: options.releaseDelayMs,
      unfinished: (store) => this.#unfinished(store),
      onRelease: (store) => this.#close(store),
    })
  }

  /** The store for a document; opened now if no one has it open. */
  get<T>(idOrUrl: string): DocStore<T> {
    const { documentId } = parseDocumentUrl(idOrUrl)
    const existing = this.#stores.get(documentId)
    if (existing) return existing as DocStore<T>
    return this.#register(this.#openConnection().open<unknown>(documentId)) as DocStore<T>
  }

  /** A new document; it syncs to the server even if nothing ever renders it. */
  create<T>(initial: T | undefined): DocStore<T> {
    const store = this.#register(this.#openConnection().create<unknown>(initial))
    this.#run()
    return store as DocStore<T>
  }

  stores(): DocStore<unknown>[] {
    return this.#stores.values()
  }

  owns(store: unknown): boolean {
    return this.#stores.has(store)
  }

  /** Counts a reader of `store`; the returned function releases it (idempotent). */
  retain(store: DocStore<unknown>): () => void {
    const release = this.#stores.retain(store)
    this.#run()
    return release
  }

  /** The connection's status while it runs; `null` when documents are not in use. */
  status(): SyncStatus | null {
    return this.#running && this.#connection !== null ? this.#connection.getSnapshot().status : null
  }

  /** The running connection was refused (`unauthorized`) and waits for a new token. */
  isParkedUnauthorized(): boolean {
    const snapshot = this.#running ? this.#connection?.getSnapshot() : undefined
    return snapshot?.status === 'closed' && snapshot.error?.code === 'unauthorized'
  }

  /** Connects again after a refusal, asking the token source anew. */
  restartIfParked(): void {
    if (this.isParkedUnauthorized()) this.#connection!.start()
  }

  get connection(): DocConnection | null {
    return this.#connection
  }

  summarize(): DocumentsSummary {
    let pending = 0
    let savedLocal = true
    const cached = this.#docCache() !== undefined
    for (const store of this.#stores.values()) {
      const { saved, status } = store.getSnapshot()
      if (!saved.server) pending++
      // Without a cache nothing is ever saved locally, so edits are at risk until the server has them.
      const unsavedLocally = cached ? !saved.local && (status === 'ready' || !saved.server) : !saved.server
      if (unsavedLocally) savedLocal = false
    }
    return { pending, savedLocal }
  }

  /** Closes every store and the connection; unsent edits go out first (or stay in the cache). */
  close(): Promise<void> {
    return this.#closeAll(false)
  }

  /**
   * Closes every store at once, unsent edits or not (`clearLocalData()`): from this call on,
   * their `change()` throws. Then the connection, which has nothing left to wait for.
   */
  discard(): Promise<void> {
    return this.#closeAll(true)
  }

  async #closeAll(storesFirst: boolean): Promise<void> {
    const stores = this.#stores.clear()
    if (storesFirst) for (const store of stores) forget(store)
    const connection = this.#connection
    this.#connection = null
    this.#running = false
    this.#unlistenConnection?.()
    this.#unlistenConnection = null
    for (const unlisten of this.#unlisten.values()) unlisten()
    this.#unlisten.clear()
    // The connection flushes while the stores are still open, then the stores write their caches.
    await this.#closing
    await connection?.close()
    if (!storesFirst) for (const store of stores) store.close()
  }

  #openConnection(): DocConnection {
    if (this.#connection !== null) return this.#connection
    const { url, token, reconnect, heartbeatMs, fetch, WebSocket, environment, onIgnoredError, tap } = this.#options
    if (url === undefined) {
      throw new SyncError('bad-input', 'Documents need a sync server: pass <SyncProvider url="ws://…"> (or createSyncClient({ url }))')
    }
    const cache = this.#docCache()
    const connection = createDocConnection({ url, environment, ...definedOptions({ token, cache, reconnect, heartbeatMs, fetch, WebSocket, onIgnoredError, tap }) })
    this.#connection = connection
    this.#unlistenConnection = connection.subscribe(this.#options.onChange)
    return connection
  }

  #register(store: DocStore<unknown>): DocStore<unknown> {
    this.#unlisten.set(store, store.subscribe(this.#options.onChange))
    // Opened during a render that React may throw away: without a reader it closes itself.
    this.#stores.add(store.documentId, store)
    this.#options.tap?.emit?.('store', 'open', 'documents', store.documentId)
    this.#options.onChange()
    return store
  }

  #run(): void {
    const connection = this.#connection
    if (this.#running || connection === null) return
    this.#running = true
    if (this.#closing === null) connection.start()
    else void this.#closing.then(() => this.#running && this.#connection === connection && connection.start())
    this.#options.onChange()
  }

  #stop(): void {
    const connection = this.#connection
    if (!this.#running || connection === null) return
    this.#running = false
    const closing = connection
      .close()
      .catch((error: unknown) => this.#options.onIgnoredError?.(error))
      .finally(() => {
        if (this.#closing === closing) this.#closing = null
      })
    this.#closing = closing
  }

  /** Closing now would leave these edits in the cache until someone opens the document again. */
  #unfinished(store: DocStore<unknown>): Promise<unknown> | null {
    const { saved, status } = store.getSnapshot()
    if (saved.server || status === 'unavailable') return null
    this.#run()
    return store.whenSaved('server')
  }

  #close(store: DocStore<unknown>): void {
    this.#unlisten.get(store)?.()
    this.#unlisten.delete(store)
    store.close()
    this.#options.tap?.emit?.('store', 'close', 'documents', store.documentId)
    if (this.#stores.size === 0) this.#stop()
    this.#options.onChange()
  }

  #docCache(): DocCache | undefined {
    const cache = this.#options.cache
    return cache !== undefined && isDocCache(cache) ? cache : undefined
  }
}

function isDocCache(cache: RecordCache | (RecordCache & DocCache)): cache is RecordCache & DocCache {
  return typeof (cache as Partial<DocCache>).loadDoc === 'function' && typeof (cache as Partial<DocCache>).saveDocChunk === 'function'
}

/** Closes `store` and blanks what it shows (the connection this class makes hands out `DocumentStore`s). */
function forget(store: DocStore<unknown>): void {
  const { forget } = store as Partial<DocumentStore<unknown>>
  if (forget) forget.call(store)
  else store.close()
}
