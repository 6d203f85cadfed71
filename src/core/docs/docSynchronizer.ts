import { errorMessage, SyncError } from '../errors.js'
import type { Automerge, Doc, Heads } from './automerge.js'
import type { DocLink, KeptSyncState } from './docLink.js'
import type { DocSync } from './docSync.js'
import { finishesRound, initialSync, nextSyncMessage, receiveSyncMessage, serverHasOurs, syncForSession } from './docSync.js'

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
 * state per server session, the rounds, and what to send. It owns no document: it reads the
 * target's and hands back what a server message made of it.
 */
export class DocSynchronizer<T> {
  readonly #A: Automerge
  readonly #link: DocLink
  readonly #target: SyncTarget<T>
  #sync: DocSync
  #sendScheduled = false

  /** `kept` is used only if the document holds its heads (it is at least where the closed store was). */
  constructor(A: Automerge, link: DocLink, target: SyncTarget<T>, kept?: KeptSyncState) {
    this.#A = A
    this.#link = link
    this.#target = target
    const usable = kept !== undefined && A.hasHeads(target.doc(), kept.heads)
    this.#sync = initialSync(A, usable ? A.decodeSyncState(kept.state) : undefined)
  }

  /** Whether the first sync round of the current session is done (DESIGN §5). */
  get caughtUp(): boolean {
    return this.#sync.roundDone && this.#sync.session === this.#link.session()?.id
  }

  serverHasOurs(doc: Doc<T>): boolean {
    return serverHasOurs(this.#A, doc, this.#sync)
  }

  /** What this document shared with the server, for a store of it opened later. */
  keep(heads: Heads): KeptSyncState {
    return { state: this.#A.encodeSyncState(this.#sync.state), heads }
  }

  /** Sends what the server lacks (or asks for the document), if connected. */
  syncNow(doc: Doc<T> = this.#target.doc()): void {
    if (!this.#ensureSession()) return
    const [sync, message] = nextSyncMessage(this.#A, doc, this.#sync)
    this.#sync = sync
    if (message) this.#link.session()?.send({ type: message.type, documentId: this.#target.documentId, data: message.data })
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
    if (!this.#ensureSession()) return
    const A = this.#A
    let doc: Doc<T>
    try {
      ;[doc, this.#sync] = receiveSyncMessage(A, this.#target.doc(), this.#sync, data)
    } catch (error) {
      this.#target.failed(new SyncError('protocol', `The server sent a sync message for ${this.#target.url} that Automerge cannot apply: ${errorMessage(error)}`, { cause: error }))
      return
    }
    // Reply at once: asking for what the server has, sending what it lacks.
    this.syncNow(doc)
    const roundDone = finishesRound(A, doc, this.#sync)
    if (roundDone) this.#sync = { ...this.#sync, roundDone }
    // The snapshot first: whoever sees the connection go `live` sees this document caught up.
    this.#target.received(doc, serverHasOurs(A, doc, this.#sync), roundDone)
    if (roundDone) this.#link.report({ type: 'round-done' })
  }

  receiveUnavailable(): void {
    if (!this.#ensureSession()) return
    const roundDone = !this.#sync.roundDone
    this.#sync = { ...this.#sync, roundDone: true }
    this.#target.unavailable()
    if (roundDone) this.#link.report({ type: 'round-done' })
  }

  /** Starts a new sync state when the session changed; false while not connected. */
  #ensureSession(): boolean {
    const session = this.#link.session()?.id ?? 0
    if (session === 0) return false
    this.#sync = syncForSession(this.#A, this.#sync, session)
    return true
  }
}
