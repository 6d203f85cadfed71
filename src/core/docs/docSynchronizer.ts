import { SyncError } from '../errors.js'
import type { Automerge, Doc } from './automerge.js'
import type { DocLink, KeptSyncState } from './docLink.js'
import type { DocSync } from './docSync.js'
import { finishesRound, initialSync, nextSyncMessage, receiveSyncMessage, serverHasOurs, syncForSession } from './docSync.js'

/** The document side a synchronizer works on (the store). */
export interface SyncedDocument<T> {
  readonly url: string
  readonly documentId: string
  /** Automerge and the document once loaded, while open; null otherwise. */
  current(): { readonly A: Automerge; readonly doc: Doc<T> } | null
  /** A server message gave this document (maybe unchanged). */
  received(doc: Doc<T>): void
  /** Whether the server has every change, after a message. `roundDone`: the first round just finished. */
  settled(serverHasOurs: boolean, roundDone: boolean): void
  /** The server said it lacks the document; `firstRound`: this ends the first round. */
  unavailable(firstRound: boolean): void
  failed(error: SyncError): void
}

/**
 * Keeps one document in sync with the server over the connection's sessions: the sync state
 * (`docSync.ts`), the replies, and one message per task for local changes. Owns no document.
 */
export class DocSynchronizer<T> {
  readonly #link: DocLink
  readonly #doc: SyncedDocument<T>
  #sync: DocSync | null = null
  #sendScheduled = false

  constructor(link: DocLink, doc: SyncedDocument<T>) {
    this.#link = link
    this.#doc = doc
  }

  /** Ready to sync once Automerge is here; `kept` (if its heads are in `doc`) says what the server has. */
  loaded(A: Automerge, doc: Doc<T>, kept?: KeptSyncState): void {
    this.#sync ??= initialSync(A)
    if (kept !== undefined && A.hasHeads(doc, kept.heads)) this.#sync = { ...this.#sync, state: A.decodeSyncState(kept.state) }
  }

  /** The server has every change in `doc`, as far as we know. */
  serverHasOurs(A: Automerge, doc: Doc<T>): boolean {
    return serverHasOurs(A, doc, this.#sync)
  }

  /** Whether the first sync round of the current session is done (DESIGN §5). */
  get caughtUp(): boolean {
    return this.#sync !== null && this.#sync.roundDone && this.#sync.session === this.#link.session()?.id
  }

  /** At `close()`: what this document shared with the server. */
  keep(A: Automerge, doc: Doc<T>): KeptSyncState | null {
    const heads = A.getHeads(doc)
    return this.#sync === null || heads.length === 0 ? null : { state: A.encodeSyncState(this.#sync.state), heads }
  }

  /** Sends what the server lacks (or asks for the document) now. */
  syncNow(): void {
    const at = this.#session()
    if (at === null) return
    const [sync, message] = nextSyncMessage(at.A, at.doc, at.sync)
    this.#sync = sync
    if (message) this.#link.session()?.send({ type: message.type, documentId: this.#doc.documentId, data: message.data })
  }

  /** Every change made in this task travels in one message, at the end of the task. */
  scheduleSend(): void {
    if (this.#sendScheduled) return
    this.#sendScheduled = true
    queueMicrotask(() => this.flushSend())
  }

  flushSend(): void {
    if (!this.#sendScheduled) return
    this.#sendScheduled = false
    this.syncNow()
  }

  receive(data: Uint8Array): void {
    const at = this.#session()
    if (at === null) return
    const { A } = at
    let doc: Doc<T>
    let sync: DocSync
    try {
      ;[doc, sync] = receiveSyncMessage(A, at.doc, at.sync, data)
    } catch (error) {
      // The document and sync state are untouched: Automerge checks a message before applying it.
      const message = error instanceof Error ? error.message : String(error)
      return this.#doc.failed(new SyncError('protocol', `The server sent a sync message for ${this.#doc.url} that Automerge cannot apply: ${message}`, { cause: error }))
    }
    this.#sync = sync
    this.#doc.received(doc)
    // Reply at once: asking for what the server has, sending what it lacks.
    this.syncNow()
    const roundDone = finishesRound(A, doc, this.#sync)
    if (roundDone) this.#sync = { ...this.#sync, roundDone: true }
    this.#doc.settled(serverHasOurs(A, doc, this.#sync), roundDone)
  }

  receiveUnavailable(): void {
    const at = this.#session()
    if (at === null) return
    const firstRound = !at.sync.roundDone
    if (firstRound) this.#sync = { ...at.sync, roundDone: true }
    this.#doc.unavailable(firstRound)
  }

  /** The sync state for the current session (a new session starts afresh); null while not connected or loaded. */
  #session(): { A: Automerge; doc: Doc<T>; sync: DocSync } | null {
    const session = this.#link.session()?.id ?? 0
    const current = this.#doc.current()
    if (session === 0 || current === null || this.#sync === null) return null
    this.#sync = syncForSession(current.A, this.#sync, session)
    return { ...current, sync: this.#sync }
  }
}
