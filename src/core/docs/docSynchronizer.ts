import { errorMessage, SyncError } from '../errors.js'
import type { Automerge, Doc, Heads } from './automerge.js'
import type { KeptSyncState, SyncLink } from './sessionPort.js'
import type { DocSync } from './docSync.js'
import { finishesRound, initialSync, nextSyncMessage, receiveSyncMessage, serverHasOurs, syncForSession } from './docSync.js'
import { localChangeMessage } from './earlySend.js'

/** What the synchronizer reads and tells of the document it syncs (the store holds the document). */
export interface SyncTarget<T> {
  readonly documentId: string
  readonly url: string
  /** The loaded document: a synchronizer exists only once there is one. */
  doc(): Doc<T>
  /** A server message was applied: the document now (maybe the same), whether the server has all of ours, and whether the first round just ended. */
  received(doc: Doc<T>, serverHasOurs: boolean, roundDone: boolean): void
  /** The server does not have the document (it may have said so before). */
  unavailable(): void
  /** A server message Automerge cannot apply; document and sync state are untouched. */
  failed(error: SyncError): void
}

/**
 * One document's sync with the server, as automerge-repo's `DocSynchronizer`: the sync
 * state per server session, the rounds, and what to send. The connection routes the
 * server's sync messages here. It owns no document: it reads the target's and hands back
 * what a server message made of it. Until the document has loaded (`start`, then `ready`),
 * server messages wait in an inbox.
 */
export class DocSynchronizer<T> {
  readonly #link: SyncLink
  readonly #target: SyncTarget<T>
  #A: Automerge | null = null
  #sync: DocSync | null = null
  /** Server messages that arrived before the document had loaded. */
  #inbox: Array<() => void> | null = []
  #stopped = false
  #sendScheduled = false

  constructor(link: SyncLink, target: SyncTarget<T>) {
    this.#link = link
    this.#target = target
  }

  /** The document is in memory. `kept` is used only if the document holds its heads (it is at least where the closed store was). */
  start(A: Automerge, kept?: KeptSyncState): void {
    if (this.#A !== null) return
    this.#A = A
    const usable = kept !== undefined && A.hasHeads(this.#target.doc(), kept.heads)
    this.#sync = initialSync(A, usable ? A.decodeSyncState(kept.state) : undefined)
  }

  /** The store has published the loaded document: what the server sent meanwhile is applied now. */
  ready(): void {
    const inbox = this.#inbox ?? []
    this.#inbox = null
    for (const deliver of inbox) deliver()
  }

  /** Sends what is waiting for the end of the task, then stops for good. */
  stop(): void {
    this.flushSend()
    this.#stopped = true
    this.#inbox = null
  }

  get started(): boolean {
    return this.#sync !== null && !this.#stopped
  }

  /** Whether the first sync round of the current session is done (DESIGN §5). */
  get caughtUp(): boolean {
    return this.#sync !== null && this.#sync.roundDone && this.#sync.session === this.#link.session()?.id
  }

  /** Whether the server has every change in `doc`, as far as this knows (once started). */
  serverHasOurs(doc: Doc<T>): boolean {
    return serverHasOurs(this.#A!, doc, this.#sync)
  }

  /** What this document shared with the server, for a store of it opened later; null if it has nothing. */
  keep(): KeptSyncState | null {
    const A = this.#A
    if (A === null || this.#sync === null) return null
    const heads = A.getHeads(this.#target.doc())
    return heads.length === 0 ? null : { state: A.encodeSyncState(this.#sync.state), heads }
  }

  /** A new server session started (or the store was opened while connected). */
  connected(): void {
    if (this.started) this.syncNow()
  }

  /** Sends what the server lacks (or asks for the document), if connected. */
  syncNow(doc?: Doc<T>): void {
    if (!this.#ensureSession()) return
    const [sync, message] = nextSyncMessage(this.#A!, doc ?? this.#target.doc(), this.#sync!)
    this.#sync = sync
    if (message) this.#link.session()?.send({ type: message.type, documentId: this.#target.documentId, data: message.data })
  }

  /**
   * A local change took `doc` from `previous` to `heads`. The first change of a task goes out
   * at once when the server is known to have everything before it (earlySend.ts); the rest,
   * and any change made in another state, wait for the end of the task and travel together.
   */
  changed(doc: Doc<T>, previous: Heads, heads: Heads): void {
    if (!this.#sendScheduled && this.#sendAtOnce(doc, previous, heads)) return
    this.scheduleSend()
  }

  scheduleSend(): void {
    if (this.#sendScheduled) return
    this.#sendScheduled = true
    // Every change made in this task travels in one message.
    queueMicrotask(() => this.flushSend())
  }

  /** Sends changes waiting for the end of the task right away. */
  flushSend(): void {
    if (!this.#sendScheduled) return
    this.#sendScheduled = false
    this.syncNow()
  }

  receive(data: Uint8Array): void {
    if (!this.#whenReady(() => this.receive(data)) || !this.#ensureSession()) return
    const A = this.#A!
    let doc: Doc<T>
    try {
      ;[doc, this.#sync] = receiveSyncMessage(A, this.#target.doc(), this.#sync!, data)
    } catch (error) {
      this.#target.failed(new SyncError('protocol', `The server sent a sync message for ${this.#target.url} that Automerge cannot apply: ${errorMessage(error)}`, { cause: error }))
      return
    }
    const roundDone = finishesRound(A, doc, this.#sync)
    if (roundDone) this.#sync = { ...this.#sync, roundDone }
    // The snapshot first: whoever sees the connection go `live` sees this document caught up.
    this.#target.received(doc, serverHasOurs(A, doc, this.#sync), roundDone)
    if (roundDone) this.#link.report({ type: 'round-done' })
    // The reply (asking for what the server has, sending what it lacks) waits for the end of
    // the task: the snapshot listeners see the change first, and the frames of one socket
    // read get one reply. Sent before publishing, it made the relay (bench case 1, hop 5)
    // wait for a generateSyncMessage, its CBOR and a socket write.
    this.scheduleSend()
  }

  receiveUnavailable(): void {
    if (!this.#whenReady(() => this.receiveUnavailable()) || !this.#ensureSession()) return
    const roundDone = !this.#sync!.roundDone
    this.#sync = { ...this.#sync!, roundDone: true }
    this.#target.unavailable()
    if (roundDone) this.#link.report({ type: 'round-done' })
  }

  #sendAtOnce(doc: Doc<T>, previous: Heads, heads: Heads): boolean {
    const session = this.#link.session()
    // A new session starts from a fresh sync state: generateSyncMessage's job.
    if (session === null || !this.started || this.#sync!.session !== session.id) return false
    let early: ReturnType<typeof localChangeMessage>
    try {
      early = localChangeMessage(this.#A!, doc, this.#sync!, previous, heads)
    } catch {
      // Automerge refusing our own message must not throw out of change(): the usual way sends it.
      return false
    }
    if (early === null) return false
    const [sync, message] = early
    // Not sent, the change is not marked sent either: the usual way sends it.
    if (!session.send({ type: message.type, documentId: this.#target.documentId, data: message.data })) return false
    this.#sync = sync
    return true
  }

  /** Runs `retry` once ready (unless stopped first); true when running now. */
  #whenReady(retry: () => void): boolean {
    if (this.#inbox !== null && !this.#stopped && this.#sync === null) {
      this.#inbox.push(retry)
      return false
    }
    return this.started
  }

  /** Starts a new sync state when the session changed; false while not connected or not started. */
  #ensureSession(): boolean {
    const session = this.#link.session()?.id ?? 0
    if (session === 0 || !this.started) return false
    this.#sync = syncForSession(this.#A!, this.#sync!, session)
    return true
  }
}
