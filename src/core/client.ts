import type { ClearLocalDataOptions, RecordStoreRequest, SyncClientOptions, SyncStatusSummary } from './clientOptions.js'
import type { ClearableCache } from './cache/clearableCache.js'
import { createClearableCache } from './cache/clearableCache.js'
import type { DocCache, RecordCache } from './cache/types.js'
import type { DocConnection, DocStore } from './docs/types.js'
import type { Environment } from './environment.js'
import { defaultEnvironment } from './environment.js'
import { SyncError } from './errors.js'
import type { SyncStatus } from './machine.js'
import type { WatchRecordStore } from './records/recordStore.js'
import type { RecordSupport } from './records/recordSupport.js'
import { watchRecordSupport } from './records/recordSupport.js'
import type { DocSupport } from './docs/docSupport.js'
import type { SharedDocuments } from './docs/sharedDocuments.js'
import type { CredentialWatch } from './credentialWatch.js'
import { LazyModule } from './lazyModule.js'
import { StoreRegistry } from './storeRegistry.js'
import { Listeners } from './subscribable.js'
import type { EventTap } from './eventTap.js'
import type { SyncEventListener, SyncEventListenerOptions } from './syncEvents.js'

export type { ClearLocalDataOptions, RecordStoreRequest, SyncClientOptions, SyncStatusSummary } from './clientOptions.js'

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
  readonly #records: StoreRegistry<WatchRecordStore<unknown>>
  /** Record stores retained since they were made, and running: their status counts. */
  readonly #running = new Map<WatchRecordStore<unknown>, () => void>()
  /** Every record store made here and its key: one released while a hook still holds it comes back on `retain`. */
  readonly #recordKeys = new WeakMap<WatchRecordStore<unknown>, string>()
  #listeners = new Listeners()
  /** What every store and connection made here reports to; `emit` is null while nobody listens. */
  readonly #tap: EventTap = { emit: null }
  #env: Environment
  #summary: SyncStatusSummary = { pending: 0, savedLocal: true, savedServer: true }
  #status: SyncStatus = 'idle'
  /** Made by the first document hook, from the support it passes in. */
  #documents: SharedDocuments | null = null
  /**
   * With a `token`: loaded by the first token read, which a connect makes (after first paint),
   * as most of it only matters once a connection is parked on `unauthorized`.
   */
  #credentials: LazyModule<CredentialWatch> | null
  /** What connections read the token through (undefined without a `token`). */
  #readToken: (() => Promise<string>) | undefined
  /** What stores see of `options.cache`: `clearLocalData()` cuts the old stores off from it. */
  readonly #cache: ClearableCache<RecordCache | (RecordCache & DocCache)> | null
  /** Record stores `clearLocalData()` closed: a component still holding one must not restart it. */
  readonly #forgotten = new WeakSet<WatchRecordStore<unknown>>()
  /** Clears under way (ours or another tab's): `close()` waits for them. */
  #forgetting: Promise<void> = Promise.resolve()
  /** How record stores are made: given by `createSyncClient`, or by the first record hook. */
  #recordSupport: RecordSupport | null

  /**
   * `recordSupport` is null for a client that gets it from its first record hook (the one
   * `<SyncProvider>` makes), so that an app using only documents bundles no record code.
   */
  constructor(options: SyncClientOptions = {}, recordSupport: RecordSupport | null = null) {
    this.options = options
    this.#recordSupport = recordSupport
    this.#cache =
      options.cache === undefined
        ? null
        : // Another tab cleared the cache: what this client shows belonged to the user who left.
          createClearableCache(options.cache, () => void this.#forgetStores(false).catch((error: unknown) => options.onIgnoredError?.(error)))
    this.#env = options.environment ?? defaultEnvironment
    const { token } = options
    const credentials = (this.#credentials =
      token === undefined
        ? null
        : new LazyModule(() =>
            import('./credentialWatch.js').then(
              ({ CredentialWatch }) => new CredentialWatch(token, this.#env, options.credentialCheckMs ?? 10_000, () => this.reauthenticate()),
            ),
          ))
    this.#readToken = credentials ? () => credentials.load().then((watch) => watch.read()) : undefined
    this.#records = new StoreRegistry<WatchRecordStore<unknown>>({
      environment: this.#env,
      releaseDelayMs: options.releaseDelayMs ?? 1000,
      onActive: (store) => {
        this.#running.set(store, store.subscribe(() => this.#recompute()))
        store.start()
        this.#recompute()
      },
      // A write the server has not confirmed (an outbox entry or an optimistic one) keeps its
      // store running, so it can still be sent and confirmed and the sync summary (and the
      // unsaved-changes guard) keeps counting it: a released list must not make it look saved.
      unfinished: (store) => (store.getSaveState().pending > 0 ? nextChange(store) : null),
      onRelease: (store, _key, wasActive) => {
        this.#running.get(store)?.()
        this.#running.delete(store)
        if (wasActive) void store.stop().then(() => this.#recompute())
        else this.#recompute()
      },
    })
  }

  #documentsFrom(support: DocSupport): SharedDocuments {
    const { options } = this
    this.#cache?.listen()
    this.#documents ??= support.createDocuments({
      url: options.url,
      token: this.#readToken,
      cache: this.#cache?.cache,
      reconnect: options.reconnect,
      heartbeatMs: options.heartbeatMs,
      fetch: options.fetch,
      WebSocket: options.WebSocket,
      environment: this.#env,
      onIgnoredError: options.onIgnoredError,
      releaseDelayMs: options.releaseDelayMs ?? 1000,
      onChange: () => this.#recompute(),
      tap: this.#tap,
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

  /**
   * The shared store for this watch URL; creating it opens nothing until `retain`. A store
   * nobody retains is stopped and forgotten `releaseDelayMs` later (the next call makes a
   * new one). `support` is for clients made without it (the record hooks pass it themselves).
   * @throws SyncError `'bad-input'` on a client made without record support, before any was passed.
   */
  getRecordStore<V = Record<string, unknown>>(url: string, request: RecordStoreRequest<V> = {}, support?: RecordSupport): WatchRecordStore<V> {
    this.#recordSupport ??= support ?? null
    const records = this.#recordSupport
    if (records === null) {
      throw new SyncError(
        'bad-input',
        'This SyncClient was made without record support' +
          // The fix is for development builds (see react/context.ts); production logs keep the meaning.
          (typeof process !== 'undefined' && process.env.NODE_ENV !== 'production' ? ': make it with createSyncClient(), or pass watchRecordSupport to getRecordStore' : ''),
      )
    }
    const key = records.keyOf(url, request as RecordStoreRequest<unknown>)
    let store = this.#records.get(key)
    if (!store) {
      this.#cache?.listen()
      store = records.createStore(url, request as RecordStoreRequest<unknown>, {
        options: this.options,
        cache: this.#cache?.cache,
        readToken: this.#readToken,
        environment: this.#env,
        tap: this.#tap,
      })
      this.#records.add(key, store)
      this.#recordKeys.set(store, key)
      // Whoever asks for a store is about to show it: its first paint should not wait for
      // the retain (with React, an effect after the first commit) to begin reading the cache.
      store.preloadCache()
    }
    return store as WatchRecordStore<V>
  }

  /** Counts a user of `store`; the returned function releases it (idempotent). */
  retain<V>(store: WatchRecordStore<V> | DocStore<V>): () => void {
    if (this.#documents?.owns(store)) return this.#documents.retain(store as DocStore<unknown>)
    const records = store as WatchRecordStore<unknown>
    if (this.#forgotten.has(records)) return () => {}
    const key = this.#recordKeys.get(records)
    // Released and forgotten, but its key is free: a hidden component showing again may still hold it.
    if (key !== undefined && !this.#records.has(records) && this.#records.get(key) === undefined) this.#records.add(key, records)
    return this.#records.retain(records)
  }

  subscribe = (listener: () => void): (() => void) => this.#listeners.subscribe(listener)

  /**
   * Calls `listener` with every state-machine transition, frame, store open/close and outbox
   * change (see `SyncEvent`); returns the unsubscribe function. Frame bodies only with
   * `{ bodies: true }`. Nothing is built while nobody listens.
   */
  onEvent(listener: SyncEventListener, options: SyncEventListenerOptions = {}): () => void {
    const tap = this.#tap
    const listening = { on: true }
    // The code that builds events loads now; what happens meanwhile is queued and delivered first.
    tap.queued ??= []
    tap.emit ??= (...call) => void tap.queued?.push([Date.now(), call])
    const stop = import('./syncEvents.js').then(
      (events) => events.listen(tap, listener, options, listening),
      (error: unknown) => {
        // Nothing will take the queue: stop filling it.
        tap.queued = undefined
        this.options.onIgnoredError?.(error)
        return () => {}
      },
    )
    return () => {
      listening.on = false
      void stop.then((off) => off())
    }
  }

  /** Every record store and open document store this client holds (devtools). */
  inspectStores(): { records: WatchRecordStore<unknown>[]; documents: DocStore<unknown>[] } {
    return { records: this.#records.values(), documents: this.#documents?.stores() ?? [] }
  }

  getSyncStatus = (): SyncStatusSummary => this.#summary

  /** The connection status across active stores (the most urgent one). */
  getConnectionStatus = (): SyncStatus => this.#status

  /**
   * Reconnects every stream and socket the server refused as `unauthorized`, asking `token`
   * again. Happens by itself once `token` yields a different token; call it after a sign-in
   * to skip the wait.
   */
  reauthenticate(): void {
    for (const store of this.#running.keys()) {
      if (isParkedUnauthorized(store.getSnapshot())) store.start()
    }
    this.#documents?.restartIfParked()
  }

  /**
   * Logging out: closes every record store, every document and the document connection, then
   * deletes everything syncline keeps on this device (records, documents, unsent writes) and
   * tells other tabs on the same cache to drop what they show. The client stays usable: stores
   * asked for from now on start on the empty cache.
   * @throws SyncError `'unsaved'` while record writes or document edits are not confirmed by
   * the server (a write the server refused counts until it is retried or discarded), unless
   * `discardUnsent`; nothing is closed then.
   */
  async clearLocalData(options: ClearLocalDataOptions = {}): Promise<void> {
    // No await before the stores are closed: a write that lands later throws instead of
    // being deleted unsent, and the check sees everything written so far.
    this.#recompute()
    // A write the server refused is unsent too: its text lives only here until retry or discard.
    const unsent = this.#summary.pending + this.#records.values().reduce((n, store) => n + countRefused(store), 0)
    if (unsent > 0 && options.discardUnsent !== true) {
      throw new SyncError('unsaved', `${unsent} unsent write(s): wait, retry or discard them, or pass { discardUnsent: true }`)
    }
    await this.#forgetStores(true)
  }

  /** Closes every store now, unsent work or not, and empties the cache (unless another tab just did). */
  #forgetStores(clearCache: boolean): Promise<void> {
    const records = this.#records.clear()
    for (const unlisten of this.#running.values()) unlisten()
    this.#running.clear()
    const documents = this.#documents
    this.#documents = null
    for (const store of records) this.#forgotten.add(store)
    const closed = Promise.all([...records.map((store) => store.closeAndForget()), documents?.discard()])
    this.#recompute()
    const forgetting = this.#cache?.retire(closed, clearCache) ?? closed.then(() => {})
    this.#forgetting = Promise.all([this.#forgetting, forgetting.catch(() => {})]).then(() => {})
    return forgetting
  }

  /** Stops every store, flushing caches (and waits for a clear under way); the client can be used again afterwards. */
  async close(): Promise<void> {
    const stores = this.#records.clear()
    this.#cache?.stopListening()
    this.#credentials?.loaded?.dispose()
    for (const unlisten of this.#running.values()) unlisten()
    this.#running.clear()
    await Promise.all([...stores.map((store) => store.stop()), this.#documents?.close(), this.#forgetting])
    this.#recompute()
  }

  #setParked(parked: boolean): void {
    const credentials = this.#credentials
    if (credentials?.loaded) credentials.loaded.setParked(parked)
    // Parked before any token was read (connecting reads it, so hardly ever): watch once loaded.
    else if (parked) void credentials?.load().then(() => this.#recompute(), () => {})
  }

  #recompute(): void {
    let pending = 0
    let savedLocal = true
    let statusRank = STATUS_PRIORITY.length - 1
    let parked = this.#documents?.isParkedUnauthorized() ?? false
    for (const store of this.#records.values()) {
      const save = store.getSaveState()
      pending += save.pending
      savedLocal &&= save.savedLocal
      if (!this.#running.has(store)) continue
      const snapshot = store.getSnapshot()
      statusRank = Math.min(statusRank, STATUS_PRIORITY.indexOf(snapshot.status))
      parked ||= isParkedUnauthorized(snapshot)
    }
    this.#setParked(parked)
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
}

/** Settles at the store's next change: a pending write may have been confirmed or failed. */
function nextChange(store: { subscribe(listener: () => void): () => void }): Promise<void> {
  return new Promise((resolve) => {
    const unsubscribe = store.subscribe(() => {
      unsubscribe()
      resolve()
    })
  })
}

function countRefused(store: WatchRecordStore<unknown>): number {
  return store.getSnapshot().records.filter((record) => record.optimistic === 'failed').length
}

function isParkedUnauthorized(snapshot: { status: SyncStatus; error: SyncError | null }): boolean {
  return snapshot.status === 'closed' && snapshot.error?.code === 'unauthorized'
}

/** A client that makes record stores as well as documents (`watchRecordSupport`). */
export function createSyncClient(options?: SyncClientOptions): SyncClient {
  return new SyncClient(options, watchRecordSupport)
}
