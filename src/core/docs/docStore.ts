import type { WaitOptions } from '../boundedWait.js'
import { clearedError } from '../cache/clearableCache.js'
import type { DocCacheChunk } from '../cache/types.js'
import { SyncError, toSyncError } from '../errors.js'
import { Listeners } from '../subscribable.js'
import type { Doc, Heads } from './automerge.js'
import type { DocContext, DocEngine, DocLink } from './docLink.js'
import type { KeptSyncState } from './sessionPort.js'
import type { DocOrigin } from './docLoad.js'
import type { DocPersister } from './docPersister.js'
import type { DocState } from './docSnapshot.js'
import { docStatus, nextSnapshot } from './docSnapshot.js'
import { toDocumentUrl } from './documentId.js'
import type { DocSynchronizer } from './docSynchronizer.js'
import { checkEphemeral, EphemeralInbox } from './ephemeral.js'
import { LazyModule } from '../lazyModule.js'
import type { SaveWaiters } from './saveWaiters.js'
import type { DocSnapshot, DocStore, EphemeralMeta } from './types.js'

/**
 * One Automerge document, as automerge-repo's `DocHandle`: the document, its cache, and the
 * snapshot React reads. Its sync with the server is a `DocSynchronizer`; when it closes is
 * decided by the connection's `StoreRegistry` (one `close()` per `open()`).
 *
 * Life of a store: `loading` until Automerge and the cached chunks are in memory (`ready`
 * at once if the cache had the document), then a sync round per server session. A document
 * that is empty here is fetched with `request` and never `sync`ed; if the server does not
 * have it either, the store is `unavailable` but stays subscribed, and turns `ready` when
 * the server sends the document later.
 */
export class DocumentStore<T> implements DocStore<T> {
  readonly documentId: string
  readonly url: string
  readonly #link: DocLink
  readonly #context: DocContext
  readonly #listeners = new Listeners()
  /** Automerge and the document code (docEngine.ts); null until they have loaded. */
  #engine: DocEngine | null = null
  /** The working document; null until loaded. May be empty (no heads) while fetching. */
  #doc: Doc<T> | null = null
  #heads: Heads = []
  /** The document as published in snapshots: replaced only when the heads change. */
  #published: Doc<T> | undefined = undefined
  #unavailable = false
  #savedServer: boolean
  #error: SyncError | null = null
  #persister: DocPersister | null = null
  /** Changes made to a created document before Automerge had loaded. */
  #queuedChanges: Array<(doc: T) => void> | null
  /** Chunks other writers stored while this store was still loading. */
  #foreignBeforeLoad: DocCacheChunk[] = []
  #closed = false
  #forgotten = false
  /** Made by the first `whenSaved()` that has to wait: most pages never call it. */
  #waiters: SaveWaiters | null = null
  /** Presence and other ephemeral messages from peers; the connection routes them here. */
  readonly ephemeral: EphemeralInbox
  #snapshot: DocSnapshot<T>
  /** The document's sync with the server, made once its code has loaded (with Automerge). */
  #sync: DocSynchronizer<T> | null = null
  /** Server messages that came before the synchronizer (none should: the socket waits for the same code). */
  #early: Array<(sync: DocSynchronizer<T>) => void> = []
  /** Resolves once the document is in memory (or loading has failed). */
  readonly loaded: Promise<void>

  constructor(link: DocLink, documentId: string, origin: DocOrigin, kept?: KeptSyncState) {
    this.#link = link
    this.#context = link.context
    this.documentId = documentId
    this.url = toDocumentUrl(documentId)
    this.ephemeral = new EphemeralInbox({
      ownPeerId: link.context.peerId,
      label: this.url,
      problem: (error) => link.report({ type: 'problem', error }),
      ignored: (error) => link.context.ignored(error),
    })
    const created = origin.kind === 'create'
    this.#queuedChanges = created ? [] : null
    // A created document has changes nobody else has yet.
    this.#savedServer = !created
    this.#snapshot = { doc: undefined, status: 'loading', saved: { local: false, server: this.#savedServer }, error: null }
    const engine = link.context.engineIfLoaded()
    if (engine !== null) this.#arrived(engine)
    if (created && engine !== null) {
      // Automerge is here already: the document exists at once (and a bad initial value
      // throws to the caller of create()).
      this.#doc = engine.createDoc<T>(engine.A, origin.initial)
      this.#sync!.start(engine.A)
      this.#setLoaded(this.#doc)
      this.#queuedChanges = null
      this.#snapshot = nextSnapshot(this.#snapshot, this.#state())
    }
    this.loaded = this.#load(origin, kept).catch((error: unknown) => this.#failed(toSyncError(error, 'unavailable')))
  }

  getSnapshot = (): DocSnapshot<T> => this.#snapshot

  subscribe = (listener: () => void): (() => void) => this.#listeners.subscribe(listener)

  /** The document's sync with the server; null until the document code has loaded. */
  get sync(): DocSynchronizer<T> | null {
    return this.#sync
  }

  /** Hands a server message to the synchronizer, now or once it exists. */
  toSync(deliver: (sync: DocSynchronizer<T>) => void): void {
    if (this.#sync) deliver(this.#sync)
    else this.#early.push(deliver)
  }

  change(fn: (doc: T) => void): void {
    if (this.#closed) throw new SyncError('bad-input', `The store for ${this.url} is closed; open the document again to change it`)
    const engine = this.#engine
    const doc = this.#doc
    if (engine === null || doc === null) {
      if (this.#queuedChanges) {
        this.#queuedChanges.push(fn)
        return
      }
      throw new SyncError('bad-input', `${this.url} is still loading; wait for status 'ready' before calling change()`)
    }
    if (this.#heads.length === 0) {
      throw new SyncError('bad-input', `${this.url} is ${docStatus(this.#state())}: there is no document to change yet`)
    }
    const previous = this.#heads
    if (!this.#setDoc(engine.A.change(doc, fn))) return
    this.#savedServer = false
    // Sent (when it can go at once) before the listeners run: they may take a while to render.
    this.#sync!.changed(this.#doc!, previous, this.#heads)
    this.#update()
  }

  whenSaved(where: 'local' | 'server' = 'server', options: WaitOptions = {}): Promise<void> {
    if (this.#snapshot.saved[where]) return Promise.resolve()
    if (where === 'local' && !this.#context.cache) {
      return Promise.reject(new SyncError('unavailable', `whenSaved('local') needs a cache: pass one to createDocConnection (${this.url})`))
    }
    return saveWaitersCode.load().then(
      ({ SaveWaiters, closedBeforeSaved }) => {
        // Checked again: the store may have saved, or closed, while the code loaded.
        if (this.#snapshot.saved[where]) return
        if (this.#closed) throw closedBeforeSaved(this.url, where)
        const wait = (this.#waiters ??= new SaveWaiters(this.url)).wait(where, options)
        this.#settleWaiters()
        return wait
      },
      (error: unknown) => {
        throw toSyncError(error, 'network')
      },
    )
  }

  /**
   * Sends `message` to the document's other peers. It must be what CBOR carries unchanged:
   * plain objects, arrays, strings, numbers, booleans, null, undefined and Uint8Array.
   * @throws SyncError `'bad-input'` for a Map, Set, Date (they would arrive as `{}`) or a function.
   * @returns false when closed or not connected (the message is dropped).
   */
  broadcast(message: unknown): boolean {
    if (this.#closed) return false
    checkEphemeral(message, this.url)
    return this.#link.session()?.send({ type: 'ephemeral', documentId: this.documentId, value: message }) ?? false
  }

  onEphemeral(listener: (message: unknown, meta: EphemeralMeta) => void): () => void {
    return this.ephemeral.listen(listener)
  }

  /** One `close()` per `open()`: the connection shuts the store down at the last one. */
  close(): void {
    if (!this.#closed) this.#link.report({ type: 'release', store: this as DocumentStore<unknown> })
  }

  /** Closes now and shows nothing of the document any more (`clearLocalData()`: the user left). */
  forget(): void {
    this.close()
    this.#forgotten = true
    this.#snapshot = { doc: undefined, status: 'unavailable', saved: this.#snapshot.saved, error: clearedError() }
    this.#listeners.notify()
  }

  // ---- used by the connection ----

  /** Closes the store for good: the connection's registry found nobody holds it any more. */
  shutdown(): void {
    if (this.#closed) return
    // Changes still waiting for the end of the task go out first (and to the cache, below).
    this.#sync?.stop()
    this.#closed = true
    this.#closePersister()
    this.#settleWaiters()
  }

  /** The chunks the cache holds for this document as far as this tab knows (devtools); undefined without a cache. */
  get cacheChunks(): number | undefined {
    return this.#persister?.chunkCount
  }

  get isClosed(): boolean {
    return this.#closed
  }

  /** Local changes the server has not acknowledged yet. */
  get hasUnsentChanges(): boolean {
    return !this.#savedServer
  }

  /** Everything this store has scheduled for the cache is written. */
  async flushCache(): Promise<void> {
    await this.loaded
    await this.#persister?.flush()
  }

  // ---- internals ----

  /** `kept`: what an earlier store of this document (closed since) shared with the server. */
  async #load(origin: DocOrigin, kept: KeptSyncState | undefined): Promise<void> {
    let engine: DocEngine
    try {
      engine = await this.#context.engine()
    } catch (error) {
      const failure = toSyncError(error, 'unavailable')
      this.#failed(failure)
      // Automerge missing does not install itself; a chunk that failed to arrive is fetched
      // again by the connection's next attempt, and loading goes on from there.
      if (failure.code !== 'network') return
      engine = await this.#context.engineArrived()
      if (this.#error === failure) this.#error = null
    }
    if (this.#engine === null) this.#arrived(engine)
    const { A } = engine
    let doc = engine.startingDoc<T>(A, origin, this.#doc, this.#queuedChanges ?? [], this.#context.ignored)
    this.#queuedChanges = null
    const cache = this.#context.cache
    if (cache) {
      this.#persister = new engine.DocPersister({
        cache,
        documentId: this.documentId,
        automerge: A,
        compaction: this.#context.compaction,
        current: () => this.#doc!,
        saved: () => this.#update(),
        foreignChunks: (chunks) => this.#mergeForeign(chunks),
        error: (error) => this.#failed(error),
      })
      if (!this.#closed) doc = await engine.readCache(this.#persister, origin, doc, (chunks) => this.#merge(doc, chunks), (error) => this.#failed(error))
    }
    if (this.#foreignBeforeLoad.length > 0) doc = this.#merge(doc, this.#foreignBeforeLoad.splice(0))
    const built = this.#doc
    // Set before the synchronizer reads it: a kept sync state is used only if its heads are in it.
    this.#doc = doc
    const sync = this.#sync!
    sync.start(A, kept)
    // What came from the cache is in the cache; a created document is not, yet.
    if (origin.kind === 'open') this.#persister?.markPersisted(A.getHeads(doc))
    if (doc !== built) this.#setLoaded(doc)
    if (this.#persister && !this.#persister.isSaved(this.#heads)) this.#persister.schedule()
    if (this.#closed) {
      // Closed while loading: keep what was made (a created document) and stop there.
      this.#closePersister()
      return
    }
    sync.ready()
    this.#update()
    sync.syncNow()
  }

  /** The document code is here: the synchronizer is made, and takes what the server sent before. */
  #arrived(engine: DocEngine): void {
    this.#engine = engine
    const sync = this.#synchronizer(engine)
    // Closed while the code loaded: a stopped synchronizer, as the store's would have been.
    if (this.#closed) sync.stop()
    this.#sync = sync
    for (const deliver of this.#early.splice(0)) deliver(sync)
  }

  /** The document's side of its sync: what a server message made of it lands here. */
  #synchronizer(engine: DocEngine): DocSynchronizer<T> {
    const target = {
      documentId: this.documentId,
      url: this.url,
      doc: () => this.#doc!,
      received: (doc: Doc<T>, serverHasOurs: boolean, roundDone: boolean) => {
        this.#error = null
        this.#setDoc(doc)
        this.#savedServer = serverHasOurs
        if (roundDone && this.#heads.length === 0) this.#unavailable = true
        this.#update()
      },
      unavailable: () => {
        if (this.#heads.length === 0) this.#unavailable = true
        this.#update()
      },
      failed: (error: SyncError) => this.#failed(error, () => this.#link.report({ type: 'problem', error })),
    }
    return new engine.DocSynchronizer<T>(this.#link, target)
  }

  /** Takes `doc` as the working document; true (published, and queued for the cache if `persist`) when its heads changed. */
  #setDoc(doc: Doc<T>, persist = true): boolean {
    this.#doc = doc
    const { A, sameHeads } = this.#engine!
    const heads = A.getHeads(doc)
    if (sameHeads(heads, this.#heads)) return false
    this.#heads = heads
    this.#published = doc
    if (persist) this.#persister?.schedule()
    return true
  }

  /** The document as loaded: published if it has heads, and not written back to the cache it came from. */
  #setLoaded(doc: Doc<T>): void {
    this.#setDoc(doc, false)
    this.#savedServer = this.#sync!.serverHasOurs(doc)
  }

  #merge(doc: Doc<T>, chunks: readonly DocCacheChunk[]): Doc<T> {
    const { A, mergeChunks } = this.#engine!
    return mergeChunks(A, doc, chunks, this.url, (error) => this.#failed(error))
  }

  /** Another tab or connection wrote changes to the cache: merge them, and send them on. */
  #mergeForeign(chunks: readonly DocCacheChunk[]): void {
    if (this.#closed) return
    const sync = this.#sync
    if (!sync?.started) {
      this.#foreignBeforeLoad.push(...chunks)
      return
    }
    const wasSaved = this.#persister?.isSaved(this.#heads) ?? false
    // What was merged came from the cache, so if nothing else was pending, all of it is there.
    if (!this.#setDoc(this.#merge(this.#doc!, chunks), !wasSaved)) return
    if (wasSaved) this.#persister?.markPersisted(this.#heads)
    this.#savedServer = sync.serverHasOurs(this.#doc!)
    this.#unavailable = false
    sync.scheduleSend()
    this.#update()
  }

  /** Lets pending cache writes finish, then stops listening to the cache. */
  #closePersister(): void {
    const persister = this.#persister
    if (!persister) return
    void persister.close().then(() => {
      if (this.#persister === persister) this.#persister = null
      this.#settleWaiters()
    })
  }

  /** Shown as the snapshot's `error`, and reported (`onIgnoredError` unless told otherwise). */
  #failed(error: SyncError, report = () => this.#context.ignored(error)): void {
    this.#error = error
    report()
    this.#update()
  }

  #state(): DocState<T> {
    const loaded = this.#doc !== null
    const savedLocal = loaded && this.#persister !== null && this.#persister.isSaved(this.#heads)
    return { loaded, hasHeads: this.#heads.length > 0, unavailable: this.#unavailable, published: this.#published, savedLocal, savedServer: this.#savedServer, error: this.#error }
  }

  #update(): void {
    // Cache writes still settling after `forget()` must not show the document again.
    if (this.#forgotten) return
    const previous = this.#snapshot
    this.#snapshot = nextSnapshot(previous, this.#state())
    if (this.#snapshot === previous) return
    this.#settleWaiters()
    this.#listeners.notify()
  }

  #settleWaiters(): void {
    this.#waiters?.settle({ saved: this.#snapshot.saved, closed: this.#closed, cacheDone: this.#persister === null })
  }
}

/** `whenSaved()`'s waiting (timeouts, abort signals), loaded by the first call that has to wait. */
const saveWaitersCode = new LazyModule(() => import('./saveWaiters.js'))
