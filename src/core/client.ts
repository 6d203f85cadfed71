import type { DocCache, RecordCache } from './cache/types.js'
import type { DocConnection, DocStore } from './docs/types.js'
import type { Environment } from './environment.js'
import { defaultEnvironment } from './environment.js'
import { SyncError } from './errors.js'
import type { BackoffOptions, SyncStatus } from './machine.js'
import type { WatchRecordStore } from './records/recordStore.js'
import { createRecordStore } from './records/recordStore.js'
import type { DocSupport } from './docs/docSupport.js'
import type { SharedDocuments } from './docs/sharedDocuments.js'
import { CredentialWatch } from './credentialWatch.js'
import { Listeners } from './subscribable.js'
import { collectionFromWatchUrl } from '../wire/watchRecords.js'

export interface SyncClientOptions {
  /** The automerge-repo sync server for documents (`ws://…` or `wss://…`). Needed only for documents. */
  url?: string | undefined
  /** Base for relative watchRecords URLs. @default location.origin in browsers */
  recordsBaseUrl?: string | undefined
  /**
   * A bearer token, or a function returning a fresh one, called on every (re)connect: it mints
   * watch tickets for records and a documents ticket for the document socket (`?token=` only
   * for servers that mint none).
   */
  token?: string | (() => Promise<string>) | undefined
  /** Both built-in caches keep records and documents; a records-only cache leaves documents uncached. */
  cache?: RecordCache | (RecordCache & DocCache) | undefined
  reconnect?: boolean | BackoffOptions | undefined
  /**
   * Silence after which a connection counts as dead and is reconnected, for record watches
   * and the document socket alike (see `RecordStoreOptions.heartbeatMs` and
   * `DocConnectionOptions.heartbeatMs` for what each transport can detect). @default 45000
   */
  heartbeatMs?: number | undefined
  /**
   * How long a store with no subscribers keeps its connection. Long enough for React
   * StrictMode's unmount/remount and quick route changes to reuse the same stream.
   * @default 1000
   */
  releaseDelayMs?: number | undefined
  /**
   * While a connection is refused as `unauthorized`, how often to ask `token` whether a new
   * token is available (also asked when the device comes back online or to the tab); a new
   * one reconnects by itself. Call `reauthenticate()` to retry at once. @default 10000
   */
  credentialCheckMs?: number | undefined
  fetch?: typeof fetch | undefined
  WebSocket?: typeof WebSocket | undefined
  /** Origins besides the endpoint's own that a records WebSocket may use (see RecordStoreOptions). @default [] */
  allowedSocketOrigins?: readonly string[] | undefined
  environment?: Environment | undefined
  onIgnoredError?: ((error: unknown) => void) | undefined
}

export interface RecordStoreRequest {
  transport?: 'sse' | 'ws' | undefined
}

export interface SyncStatusSummary {
  /** Record writes and documents with edits that the server has not confirmed yet. */
  readonly pending: number
  /** Everything received so far is in the local cache. */
  readonly savedLocal: boolean
  /** Every local write (records and documents) is confirmed by the server. */
  readonly savedServer: boolean
}

interface Entry {
  store: WatchRecordStore<unknown>
  refs: number
  releaseTimer: unknown
  unlisten: (() => void) | null
}

/** When several stores disagree, the status that most needs a person's attention wins. */
const STATUS_PRIORITY: readonly SyncStatus[] = ['reconnecting', 'connecting', 'snapshot', 'live', 'closed', 'idle']

/**
 * The registry behind `<SyncProvider>`: one store per (transport, URL), shared by every
 * hook that asks for it, started by its first user and stopped a short delay after its last.
 * It also folds every store's state into the summaries `useSyncStatus` and
 * `useConnectionStatus` show.
 */
export class SyncClient {
  readonly options: SyncClientOptions
  #entries = new Map<string, Entry>()
  #listeners = new Listeners()
  #env: Environment
  #summary: SyncStatusSummary = { pending: 0, savedLocal: true, savedServer: true }
  #status: SyncStatus = 'idle'
  /** Made by the first document hook, from the support it passes in. */
  #documents: SharedDocuments | null = null
  #credentials: CredentialWatch | null

  constructor(options: SyncClientOptions = {}) {
    this.options = options
    this.#env = options.environment ?? defaultEnvironment
    this.#credentials =
      options.token === undefined ? null : new CredentialWatch(options.token, this.#env, options.credentialCheckMs ?? 10_000, () => this.reauthenticate())
  }

  #documentsFrom(support: DocSupport): SharedDocuments {
    const { options } = this
    this.#documents ??= support.createDocuments({
      url: options.url,
      token: this.#credentials?.read,
      cache: options.cache,
      reconnect: options.reconnect,
      heartbeatMs: options.heartbeatMs,
      WebSocket: options.WebSocket,
      environment: this.#env,
      onIgnoredError: options.onIgnoredError,
      releaseDelayMs: options.releaseDelayMs ?? 1000,
      onChange: () => this.#recompute(),
    })
    return this.#documents
  }

  /**
   * The shared store for a document (`automerge:<id>` or a bare id), opened by the first
   * caller. It closes itself `releaseDelayMs` later unless someone `retain`s it, and not
   * before the server has the edits made in it.
   * `support` is `automergeDocSupport` from `syncline/core` (the hooks pass it themselves).
   * @throws SyncError `'bad-input'` for a malformed id, or when the client has no `url`.
   */
  getDocStore<T>(idOrUrl: string, support: DocSupport): DocStore<T> {
    return this.#documentsFrom(support).get<T>(idOrUrl)
  }

  /** Creates a document with a fresh id; it reaches the server even if nothing renders it. */
  createDoc<T>(initial: T | undefined, support: DocSupport): DocStore<T> {
    return this.#documentsFrom(support).create<T>(initial)
  }

  /** Whether `store` is still open here: a store closes once unused, and `getDocStore` then opens a new one. */
  isDocStoreOpen(store: DocStore<unknown>): boolean {
    return this.#documents?.owns(store) ?? false
  }

  /** The document connection, once a document has been opened (for `broadcast`-style extras and tests). */
  get docConnection(): DocConnection | null {
    return this.#documents?.connection ?? null
  }

  /** The shared store for this watch URL; creating it opens nothing until `retain`. */
  getRecordStore<V = Record<string, unknown>>(url: string, request: RecordStoreRequest = {}): WatchRecordStore<V> {
    const transport = request.transport ?? 'sse'
    const key = `${transport} ${url}`
    let entry = this.#entries.get(key)
    if (!entry) {
      const { cache, reconnect, heartbeatMs, fetch, WebSocket, onIgnoredError, recordsBaseUrl, allowedSocketOrigins } = this.options
      const credentials = this.#credentials
      const store = createRecordStore<unknown>(
        {
          url,
          transport,
          ...(recordsBaseUrl !== undefined && { baseUrl: recordsBaseUrl }),
          ...(cache !== undefined && { cache }),
          ...(reconnect !== undefined && { reconnect }),
          ...(heartbeatMs !== undefined && { heartbeatMs }),
          ...(fetch !== undefined && { fetch }),
          ...(WebSocket !== undefined && { WebSocket }),
          ...(allowedSocketOrigins !== undefined && { allowedSocketOrigins }),
          ...(onIgnoredError !== undefined && { onIgnoredError }),
          ...(credentials !== null && { mintTicket: () => this.#mintTicket(url, credentials.read) }),
        },
        { environment: this.#env },
      )
      entry = { store, refs: 0, releaseTimer: null, unlisten: null }
      this.#entries.set(key, entry)
    }
    return entry.store as WatchRecordStore<V>
  }

  /** Counts a user of `store`; the returned function releases it (idempotent). */
  retain<V>(store: WatchRecordStore<V> | DocStore<V>): () => void {
    if (this.#documents?.owns(store)) return this.#documents.retain(store as DocStore<unknown>)
    const entry = [...this.#entries.values()].find((candidate) => candidate.store === (store as unknown))
    return this.#retainRecords(entry)
  }

  #retainRecords(entry: Entry | undefined): () => void {
    if (!entry) throw new SyncError('bad-input', 'This store does not belong to this SyncClient')
    entry.refs++
    if (entry.releaseTimer !== null) {
      this.#env.clearTimeout(entry.releaseTimer)
      entry.releaseTimer = null
    }
    const { store } = entry
    if (entry.unlisten === null) {
      entry.unlisten = store.subscribe(() => this.#recompute())
      store.start()
      this.#recompute()
    }
    let released = false
    return () => {
      if (released) return
      released = true
      entry.refs--
      if (entry.refs > 0) return
      entry.releaseTimer = this.#env.setTimeout(() => {
        entry.releaseTimer = null
        if (entry.refs > 0) return
        entry.unlisten?.()
        entry.unlisten = null
        void store.stop().then(() => this.#recompute())
      }, this.options.releaseDelayMs ?? 1000)
    }
  }

  subscribe = (listener: () => void): (() => void) => this.#listeners.subscribe(listener)

  getSyncStatus = (): SyncStatusSummary => this.#summary

  /** The connection status across active stores (the most urgent one). */
  getConnectionStatus = (): SyncStatus => this.#status

  /**
   * Reconnects every stream and socket the server refused as `unauthorized`, asking `token`
   * again. Happens by itself once `token` yields a different token; call it after a sign-in
   * to skip the wait.
   */
  reauthenticate(): void {
    for (const { store, unlisten } of this.#entries.values()) {
      if (unlisten !== null && isParkedUnauthorized(store.getSnapshot())) store.start()
    }
    this.#documents?.restartIfParked()
  }

  /** Stops every store, flushing caches; the client can be used again afterwards. */
  async close(): Promise<void> {
    const entries = [...this.#entries.values()]
    this.#entries.clear()
    this.#credentials?.dispose()
    for (const entry of entries) {
      if (entry.releaseTimer !== null) this.#env.clearTimeout(entry.releaseTimer)
      entry.unlisten?.()
    }
    await Promise.all([...entries.map((entry) => entry.store.stop()), this.#documents?.close()])
    this.#recompute()
  }

  #recompute(): void {
    let pending = 0
    let savedLocal = true
    let statusRank = STATUS_PRIORITY.length - 1
    let parked = this.#documents?.isParkedUnauthorized() ?? false
    for (const { store, unlisten } of this.#entries.values()) {
      const save = store.getSaveState()
      pending += save.pending
      savedLocal &&= save.savedLocal
      if (unlisten === null) continue
      const snapshot = store.getSnapshot()
      statusRank = Math.min(statusRank, STATUS_PRIORITY.indexOf(snapshot.status))
      parked ||= isParkedUnauthorized(snapshot)
    }
    this.#credentials?.setParked(parked)
    const documents = this.#documents?.summarize() ?? { pending: 0, savedLocal: true }
    pending += documents.pending
    savedLocal &&= documents.savedLocal
    const documentStatus = this.#documents?.status() ?? null
    if (documentStatus !== null) statusRank = Math.min(statusRank, STATUS_PRIORITY.indexOf(documentStatus))
    const status = STATUS_PRIORITY[statusRank] ?? 'idle'
    const summary = this.#summary
    const changed = summary.pending !== pending || summary.savedLocal !== savedLocal || status !== this.#status
    if (!changed) return
    this.#summary = { pending, savedLocal, savedServer: pending === 0 }
    this.#status = status
    this.#listeners.notify()
  }

  async #mintTicket(watchUrl: string, readToken: () => Promise<string>): Promise<string> {
    const bearer = await readToken()
    const base = this.options.recordsBaseUrl ?? (typeof location === 'undefined' ? undefined : location.origin)
    const endpoint = new URL(watchUrl, base)
    const collection = collectionFromWatchUrl(endpoint) ?? ''
    const roomUri = endpoint.searchParams.get('roomUri') ?? ''
    const fetchImpl = this.options.fetch ?? globalThis.fetch.bind(globalThis)
    const response = await fetchImpl(new URL('/xrpc/realtime.ticket', endpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ collection, roomUri }),
    })
    if (response.status === 401) throw new SyncError('unauthorized', 'The server refused the token', { status: 401 })
    if (response.status === 403) throw new SyncError('forbidden', 'Not allowed to watch this collection', { status: 403 })
    if (!response.ok) throw new SyncError('network', `Minting a ticket failed with HTTP ${response.status}`, { status: response.status })
    const body = (await response.json()) as { ticket?: unknown }
    if (typeof body.ticket !== 'string') throw new SyncError('protocol', 'The ticket endpoint answered without a ticket')
    return body.ticket
  }
}

function isParkedUnauthorized(snapshot: { status: SyncStatus; error: SyncError | null }): boolean {
  return snapshot.status === 'closed' && snapshot.error?.code === 'unauthorized'
}

export function createSyncClient(options?: SyncClientOptions): SyncClient {
  return new SyncClient(options)
}
