import type { WaitOptions } from '../boundedWait.js'
import { clearedError } from '../cache/clearableCache.js'
import type { DocCacheChunk } from '../cache/types.js'
import { errorMessage, SyncError, toSyncError } from '../errors.js'
import { Listeners } from '../subscribable.js'
import type { Automerge, Doc, Heads } from './automerge.js'
import { DocPersister, sameHeads } from './docPersister.js'
import type { DocContext, DocLink, KeptSyncState } from './docLink.js'
import { toDocumentUrl } from './documentId.js'
import type { DocSync } from './docSync.js'
import { initialSync, nextSyncMessage, receiveSyncMessage, finishesRound, serverHasOurs, syncForSession } from './docSync.js'
import type { EphemeralEnvelope } from './ephemeral.js'
import { EphemeralInbox, encodeEphemeral } from './ephemeral.js'
import { closedBeforeSaved, SaveWaiters } from './saveWaiters.js'
import type { DocSnapshot, DocStatus, DocStore, EphemeralMeta } from './types.js'

type Origin = { kind: 'open' } | { kind: 'create'; initial: unknown }

/**
 * One Automerge document kept in sync with one server: the document, its `SyncState`, its
 * cache, and the snapshot React reads.
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
  /** What an earlier store of this document (closed since) shared with the server. */
  readonly #kept: KeptSyncState | undefined
  readonly #listeners = new Listeners()
  #A: Automerge | null = null
  /** The working document; null until loaded. May be empty (no heads) while fetching. */
  #doc: Doc<T> | null = null
  #heads: Heads = []
  /** The document as published in snapshots: replaced only when the heads change. */
  #published: Doc<T> | undefined = undefined
  #unavailable = false
  /** Null until Automerge and the cache have loaded. */
  #sync: DocSync | null = null
  #savedServer: boolean
  #error: SyncError | null = null
  #persister: DocPersister | null = null
  /** Changes made to a created document before Automerge had loaded. */
  #queuedChanges: Array<(doc: T) => void> | null
  /** Chunks other writers stored while this store was still loading. */
  #foreignBeforeLoad: DocCacheChunk[] = []
  /** Server messages that arrived before the document had loaded. */
  #inbox: Array<() => void> = []
  #sendScheduled = false
  #refs = 1
  #closed = false
  #forgotten = false
  readonly #waiters: SaveWaiters
  readonly #ephemeral: EphemeralInbox
  #snapshot: DocSnapshot<T>
  /** Resolves once the document is in memory (or loading has failed). */
  readonly loaded: Promise<void>

  constructor(link: DocLink, documentId: string, origin: Origin, kept?: KeptSyncState) {
    this.#link = link
    this.#context = link.context
    this.#kept = kept
    this.documentId = documentId
    this.url = toDocumentUrl(documentId)
    this.#waiters = new SaveWaiters(this.url)
    this.#ephemeral = new EphemeralInbox({
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
    const A = link.context.automergeIfLoaded()
    if (origin.kind === 'create' && A !== null) {
      // Automerge is here already: the document exists at once (and a bad initial value
      // throws to the caller of create()).
      this.#A = A
      this.#sync = initialSync(A)
      this.#setLoaded(createDoc<T>(A, origin.initial))
      this.#queuedChanges = null
      this.#snapshot = { doc: this.#published, status: 'ready', saved: { local: false, server: false }, error: null }
    }
    this.loaded = this.#load(origin).catch((error: unknown) => this.#cacheFailed(toSyncError(error, 'unavailable')))
  }

  getSnapshot = (): DocSnapshot<T> => this.#snapshot

  subscribe = (listener: () => void): (() => void) => this.#listeners.subscribe(listener)

  change(fn: (doc: T) => void): void {
    if (this.#closed) throw new SyncError('bad-input', `The store for ${this.url} is closed; open the document again to change it`)
    const A = this.#A
    const doc = this.#doc
    if (A === null || doc === null) {
      if (this.#queuedChanges) {
        this.#queuedChanges.push(fn)
        return
      }
      throw new SyncError('bad-input', `${this.url} is still loading; wait for status 'ready' before calling change()`)
    }
    if (this.#heads.length === 0) {
      throw new SyncError('bad-input', `${this.url} is ${this.#status()}: there is no document to change yet`)
    }
    const next = A.change(doc, fn)
    this.#doc = next
    const heads = A.getHeads(next)
    if (sameHeads(heads, this.#heads)) return
    this.#heads = heads
    this.#published = next
    this.#savedServer = false
    this.#persister?.schedule()
    this.#scheduleSend()
    this.#update()
  }

  whenSaved(where: 'local' | 'server' = 'server', options: WaitOptions = {}): Promise<void> {
    if (this.#snapshot.saved[where]) return Promise.resolve()
    if (where === 'local' && !this.#context.cache) {
      return Promise.reject(new SyncError('unavailable', `whenSaved('local') needs a cache: pass one to createDocConnection (${this.url})`))
    }
    if (this.#closed) return Promise.reject(closedBeforeSaved(this.url, where))
    return this.#waiters.wait(where, options)
  }

  /**
   * Sends `message` to the document's other peers. It must be what CBOR carries unchanged:
   * plain objects, arrays, strings, numbers, booleans, null, undefined and Uint8Array.
   * @throws SyncError `'bad-input'` for a Map, Set, Date (they would arrive as `{}`) or a function.
   * @returns false when closed or not connected (the message is dropped).
   */
  broadcast(message: unknown): boolean {
    if (this.#closed) return false
    const data = encodeEphemeral(message, this.url)
    return this.#link.session()?.send({ type: 'ephemeral', documentId: this.documentId, data }) ?? false
  }

  onEphemeral(listener: (message: unknown, meta: EphemeralMeta) => void): () => void {
    return this.#ephemeral.listen(listener)
  }

  close(): void {
    if (this.#closed || --this.#refs > 0) return
    // Changes still waiting for the end of the task go out first (and to the cache, below).
    this.flushSend()
    this.#closed = true
    this.#link.report({ type: 'closed', store: this as DocumentStore<unknown> })
    this.#closePersister()
    this.#settleWaiters()
  }

  /** Closes now and shows nothing of the document any more (`clearLocalData()`: the user left). */
  forget(): void {
    this.close()
    this.#forgotten = true
    this.#snapshot = { doc: undefined, status: 'unavailable', saved: this.#snapshot.saved, error: clearedError() }
    this.#listeners.notify()
  }

  // ---- used by the connection ----

  /** Another `open()` of the same document: one more `close()` is needed. */
  retain(): this {
    this.#refs++
    return this
  }

  get isClosed(): boolean {
    return this.#closed
  }

  /** Whether the first sync round of the current session is done (DESIGN §5). */
  get caughtUp(): boolean {
    return this.#sync !== null && this.#sync.roundDone && this.#sync.session === this.#link.session()?.id
  }

  /** Local changes the server has not acknowledged yet. */
  get hasUnsentChanges(): boolean {
    return !this.#savedServer
  }

  /** For the connection, at `close()`: what this store shared with the server. */
  keepSyncState(): KeptSyncState | null {
    const A = this.#A
    if (A === null || this.#sync === null || this.#heads.length === 0) return null
    return { state: A.encodeSyncState(this.#sync.state), heads: this.#heads }
  }

  /** A new server session started (or this store was opened while connected). */
  connected(): void {
    this.#syncNow()
  }

  /** Sends changes waiting for the end of the task right away. */
  flushSend(): void {
    if (!this.#sendScheduled) return
    this.#sendScheduled = false
    this.#syncNow()
  }

  /** Everything this store has scheduled for the cache is written. */
  async flushCache(): Promise<void> {
    await this.loaded
    await this.#persister?.flush()
  }

  receiveSync(data: Uint8Array): void {
    if (!this.#whenLoaded(() => this.receiveSync(data))) return
    if (!this.#ensureSession()) return
    const A = this.#A!
    let doc: Doc<T>
    let sync: DocSync
    try {
      ;[doc, sync] = receiveSyncMessage(A, this.#doc!, this.#sync!, data)
    } catch (error) {
      // The document and sync state are untouched: Automerge checks a message before applying it.
      this.#error = new SyncError('protocol', `The server sent a sync message for ${this.url} that Automerge cannot apply: ${errorMessage(error)}`, { cause: error })
      this.#link.report({ type: 'problem', error: this.#error })
      this.#update()
      return
    }
    this.#doc = doc
    this.#sync = sync
    this.#error = null
    const heads = A.getHeads(doc)
    if (!sameHeads(heads, this.#heads)) {
      this.#heads = heads
      this.#published = doc
      this.#persister?.schedule()
    }
    // Reply at once: asking for what the server has, sending what it lacks.
    this.#syncNow()
    this.#savedServer = serverHasOurs(A, doc, this.#sync)
    if (finishesRound(A, doc, this.#sync!)) {
      this.#finishRound(heads.length === 0)
    } else {
      this.#update()
    }
  }

  receiveUnavailable(): void {
    if (!this.#whenLoaded(() => this.receiveUnavailable())) return
    if (!this.#ensureSession()) return
    if (this.#sync!.roundDone) {
      if (this.#heads.length === 0 && !this.#unavailable) {
        this.#unavailable = true
        this.#update()
      }
      return
    }
    this.#finishRound(this.#heads.length === 0)
  }

  receiveEphemeral(message: EphemeralEnvelope): void {
    this.#ephemeral.receive(message)
  }

  // ---- internals ----

  async #load(origin: Origin): Promise<void> {
    let A: Automerge
    try {
      A = await this.#context.automerge()
    } catch (error) {
      this.#error = toSyncError(error, 'unavailable')
      this.#context.ignored(this.#error)
      this.#update()
      return
    }
    this.#A = A
    let doc: Doc<T>
    if (origin.kind === 'create') {
      // Built in the constructor if Automerge was loaded then; changes since are in it.
      doc = this.#doc ?? createDoc<T>(A, origin.initial)
      for (const fn of this.#queuedChanges ?? []) {
        try {
          doc = A.change(doc, fn)
        } catch (error) {
          this.#context.ignored(error)
        }
      }
      this.#queuedChanges = null
    } else {
      doc = A.init<T>()
    }
    const cache = this.#context.cache
    if (cache) {
      this.#persister = new DocPersister({
        cache,
        documentId: this.documentId,
        automerge: A,
        compaction: this.#context.compaction,
        current: () => this.#doc!,
        saved: () => this.#update(),
        foreignChunks: (chunks) => this.#mergeForeign(chunks),
        error: (error) => this.#cacheFailed(error),
      })
      // Listening starts before loading, so nothing written in between is missed.
      if (!this.#closed) this.#persister.watch()
      if (origin.kind === 'open' && !this.#closed) {
        try {
          doc = this.#mergeChunks(doc, await this.#persister.load())
        } catch (error) {
          this.#cacheFailed(toSyncError(error, 'unavailable'))
        }
      }
    }
    if (this.#foreignBeforeLoad.length > 0) doc = this.#mergeChunks(doc, this.#foreignBeforeLoad.splice(0))
    // Only if the document is still at least where the closed one was: the shared heads must be in it.
    const kept = this.#kept
    this.#sync ??= initialSync(A)
    if (kept !== undefined && A.hasHeads(doc, kept.heads)) this.#sync = { ...this.#sync, state: A.decodeSyncState(kept.state) }
    // What came from the cache is in the cache; a created document is not, yet.
    if (origin.kind === 'open') this.#persister?.markPersisted(A.getHeads(doc))
    if (doc !== this.#doc) this.#setLoaded(doc)
    if (this.#persister && !this.#persister.isSaved(this.#heads)) this.#persister.schedule()
    if (this.#closed) {
      // Closed while loading: keep what was made (a created document) and stop there.
      this.#closePersister()
      return
    }
    for (const deliver of this.#inbox.splice(0)) deliver()
    this.#update()
    this.#syncNow()
  }

  #setLoaded(doc: Doc<T>): void {
    const A = this.#A!
    this.#doc = doc
    this.#heads = A.getHeads(doc)
    this.#published = this.#heads.length > 0 ? doc : undefined
    this.#savedServer = serverHasOurs(A, doc, this.#sync)
  }

  /** Runs `retry` once loaded; true when already loaded. */
  #whenLoaded(retry: () => void): boolean {
    if (this.#doc !== null) return true
    if (!this.#closed) this.#inbox.push(retry)
    return false
  }

  #mergeChunks(doc: Doc<T>, chunks: readonly DocCacheChunk[]): Doc<T> {
    const A = this.#A!
    for (const chunk of chunks) {
      try {
        doc = A.loadIncremental(doc, chunk.data)
      } catch (error) {
        this.#cacheFailed(new SyncError('unavailable', `A cached chunk of ${this.url} could not be loaded; it was skipped`, { cause: error }))
      }
    }
    return doc
  }

  /** Another tab or connection wrote changes to the cache: merge them, and send them on. */
  #mergeForeign(chunks: readonly DocCacheChunk[]): void {
    const A = this.#A
    if (this.#closed) return
    if (A === null || this.#doc === null) {
      this.#foreignBeforeLoad.push(...chunks)
      return
    }
    const wasSaved = this.#persister?.isSaved(this.#heads) ?? false
    this.#doc = this.#mergeChunks(this.#doc, chunks)
    const heads = A.getHeads(this.#doc)
    if (sameHeads(heads, this.#heads)) return
    this.#heads = heads
    this.#published = this.#doc
    // What was merged came from the cache, so if nothing else was pending, all of it is there.
    if (wasSaved) this.#persister?.markPersisted(heads)
    else this.#persister?.schedule()
    this.#savedServer = serverHasOurs(A, this.#doc, this.#sync)
    this.#unavailable = false
    this.#scheduleSend()
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

  #cacheFailed(error: SyncError): void {
    this.#error = error
    this.#context.ignored(error)
    this.#update()
  }

  /** Starts a new sync state when the session changed; false while not connected or loaded. */
  #ensureSession(): boolean {
    const session = this.#link.session()?.id ?? 0
    const A = this.#A
    if (session === 0 || A === null || this.#doc === null || this.#sync === null || this.#closed) return false
    this.#sync = syncForSession(A, this.#sync, session)
    return true
  }

  #scheduleSend(): void {
    if (this.#sendScheduled) return
    this.#sendScheduled = true
    // Every change made in this task travels in one message.
    queueMicrotask(() => this.flushSend())
  }

  #syncNow(): void {
    if (!this.#ensureSession()) return
    const [sync, message] = nextSyncMessage(this.#A!, this.#doc!, this.#sync!)
    this.#sync = sync
    if (message) this.#link.session()?.send({ type: message.type, documentId: this.documentId, data: message.data })
  }

  #finishRound(unavailable: boolean): void {
    this.#sync = { ...this.#sync!, roundDone: true }
    if (unavailable) this.#unavailable = true
    // The snapshot first: whoever sees the connection go `live` sees this document caught up.
    this.#update()
    this.#link.report({ type: 'round-done' })
  }

  #status(): DocStatus {
    if (this.#doc === null) return 'loading'
    if (this.#heads.length > 0) return 'ready'
    return this.#unavailable ? 'unavailable' : 'loading'
  }

  #update(): void {
    // Cache writes still settling after `forget()` must not show the document again.
    if (this.#forgotten) return
    const status = this.#status()
    const doc = status === 'ready' ? this.#published : undefined
    const local = this.#persister !== null && this.#doc !== null && this.#persister.isSaved(this.#heads)
    const server = this.#savedServer
    const previous = this.#snapshot
    if (
      previous.status === status &&
      previous.doc === doc &&
      previous.saved.local === local &&
      previous.saved.server === server &&
      previous.error === this.#error
    ) {
      return
    }
    this.#snapshot = { doc, status, saved: { local, server }, error: this.#error }
    this.#settleWaiters()
    this.#listeners.notify()
  }

  #settleWaiters(): void {
    this.#waiters.settle({ saved: this.#snapshot.saved, closed: this.#closed, cacheDone: this.#persister === null })
  }
}

/** Never an empty document: the server would take a `sync` from it for a missing document. */
function createDoc<T>(A: Automerge, initial: unknown): Doc<T> {
  if (initial === undefined) return A.emptyChange(A.init<T>())
  return A.from(initial as Record<string, unknown>) as Doc<T>
}
