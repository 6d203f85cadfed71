import * as A from '@automerge/automerge'
import type { DocStorage } from './docSyncService.js'
import type { EphemeralMessage, ServerMessage, SyncMessage } from './protocol.js'
import { describe } from './protocol.js'

/** What a document needs of a connected peer. */
export interface PeerLink {
  readonly peerId: string
  send(message: ServerMessage): void
  /** Sends an `error` message without closing the connection. */
  sendError(message: string): void
}

export interface SyncedDocumentOptions {
  documentId: string
  /** The loaded document, or `A.init()` for one that nobody has stored yet. */
  doc: A.Doc<unknown>
  serverPeerId: string
  storage: DocStorage
  saveDebounceMs: number
  reportError: (error: unknown) => void
  /** Called when no peer is attached and nothing is left to save: the document may be dropped. */
  onIdle: (document: SyncedDocument) => void
  /** Called after changes this server received are in storage (other instances may reload it). */
  onStored?: ((documentId: string) => void) | undefined
  /** Called with the bytes of changes a peer of this server just made (for other instances). */
  onChanged?: ((documentId: string, changes: Uint8Array) => void) | undefined
}

export type SyncOutcome = 'ok' | 'unavailable' | 'error'

interface PeerState {
  syncState: A.SyncState
  /** True once the peer has sent `sync`/`request`: it then receives every change. */
  subscribed: boolean
}

/** generateSyncMessage settles in one or two rounds; the cap only guards against a loop. */
const MAX_MESSAGES_PER_TURN = 16
const MAX_SAVE_RETRY_MS = 30_000

/**
 * One document in server memory: its Automerge state, one sync state per attached peer,
 * and its saves. Relay is synchronous — a change is sent on to every subscribed peer in the
 * same turn that received it — and storage never sits in that path. The reply to the peer
 * that made a change does wait for storage: that reply carries the heads that tell the
 * peer "the server has it" (its `saved.server`), so it must not go out before the change is
 * on disk. Changes that arrive while a save runs are written together by the next one.
 */
export class SyncedDocument {
  readonly documentId: string
  #doc: A.Doc<unknown>
  #heads: A.Heads
  readonly #peers = new Map<PeerLink, PeerState>()
  readonly #options: SyncedDocumentOptions
  #dirty = false
  #saveTimer: ReturnType<typeof setTimeout> | undefined
  #saving: Promise<void> | undefined
  #failedSaves = 0
  #closed = false
  /** Peers whose changes are not stored yet: they get their reply after the next save. */
  readonly #awaitingSave = new Set<PeerLink>()

  constructor(options: SyncedDocumentOptions) {
    this.documentId = options.documentId
    this.#doc = options.doc
    this.#heads = A.getHeads(options.doc)
    this.#options = options
  }

  get peerCount(): number {
    return this.#peers.size
  }

  get isIdle(): boolean {
    return this.#peers.size === 0 && !this.#dirty && this.#saving === undefined && this.#saveTimer === undefined && this.#awaitingSave.size === 0
  }

  attach(peer: PeerLink): void {
    if (!this.#peers.has(peer)) this.#peers.set(peer, { syncState: A.initSyncState(), subscribed: false })
  }

  /** Drops the peer's sync state: a reconnecting peer starts a fresh sync. */
  detach(peer: PeerLink): void {
    this.#awaitingSave.delete(peer)
    if (this.#peers.delete(peer)) this.#checkIdle()
  }

  receiveSync(peer: PeerLink, message: SyncMessage): SyncOutcome {
    const state = this.#peers.get(peer)
    if (!state) return 'error'
    // A peer that asks for changes may have dropped ones we sent (it closed the document and
    // opened it again on the same socket, with a fresh sync state). Ours would still count them
    // as sent and never send them again: forget what is in flight, keep what we share.
    if (state.subscribed && needsChanges(message.data)) state.syncState = A.decodeSyncState(A.encodeSyncState(state.syncState))
    let doc: A.Doc<unknown>
    let syncState: A.SyncState
    try {
      // On a throw Automerge leaves both the document and the sync state as they were.
      ;[doc, syncState] = A.receiveSyncMessage(this.#doc, state.syncState, message.data)
    } catch (error) {
      const text = `Invalid sync data for document ${this.documentId}: ${describe(error)}`
      peer.sendError(text)
      this.#options.reportError(new Error(text, { cause: error }))
      return 'error'
    }
    const previousHeads = this.#heads
    this.#doc = doc
    state.syncState = syncState
    state.subscribed = true
    const heads = A.getHeads(doc)
    const changed = !sameHeads(heads, previousHeads)
    this.#heads = heads
    if (changed && this.#options.onChanged) this.#options.onChanged(this.documentId, A.saveSince(doc, previousHeads))

    let outcome: SyncOutcome = 'ok'
    if (heads.length === 0 && message.type === 'request') {
      // The peer stays subscribed: if another peer brings the document, it is sent on.
      peer.send({ type: 'doc-unavailable', senderId: this.#options.serverPeerId, targetId: peer.peerId, documentId: this.documentId })
      outcome = 'unavailable'
    }
    if (changed) {
      for (const [other, otherState] of this.#peers) {
        if (other !== peer && otherState.subscribed) this.#syncTo(other, otherState)
      }
      // The acknowledgement waits for the disk; everyone else already has the change.
      this.#awaitingSave.add(peer)
      this.#scheduleSave(0)
    } else if (!this.#awaitingSave.has(peer)) {
      this.#syncTo(peer, state)
    }
    return outcome
  }

  /**
   * Merges what storage holds for this document (written by another server instance) and
   * syncs the result to this instance's peers. Loading is idempotent, so a repeated or late
   * notice does no harm, and nothing is buffered per change.
   */
  mergeStored(binary: Uint8Array): void {
    this.applyRemote(binary)
  }

  /** Applies changes (or a whole saved document) that reached another instance; idempotent. */
  applyRemote(binary: Uint8Array): void {
    let doc: A.Doc<unknown>
    try {
      doc = A.loadIncremental(this.#doc, binary)
    } catch (error) {
      this.#options.reportError(new Error(`Merging stored document ${this.documentId} failed: ${describe(error)}`, { cause: error }))
      return
    }
    // loadIncremental moves the document on even when nothing was new: the old object is spent.
    this.#doc = doc
    const heads = A.getHeads(doc)
    if (sameHeads(heads, this.#heads)) return
    this.#heads = heads
    for (const [peer, state] of this.#peers) {
      if (state.subscribed && !this.#awaitingSave.has(peer)) this.#syncTo(peer, state)
    }
  }

  /** Sends an ephemeral message on, unchanged but for `targetId`, to the other subscribed peers. */
  relayEphemeral(from: PeerLink, message: EphemeralMessage): void {
    for (const [peer, state] of this.#peers) {
      if (peer !== from && state.subscribed) peer.send({ ...message.raw, type: 'ephemeral', targetId: peer.peerId })
    }
  }

  /** Writes pending changes now; resolves once storage has them (or has failed, reported). */
  async flush(): Promise<void> {
    await this.#saving
    if (this.#dirty) await this.#save()
  }

  /** A last flush; afterwards a failed write is reported but not retried. */
  async close(): Promise<void> {
    this.#closed = true
    await this.flush()
    this.#clearTimer()
  }

  /** `acknowledge`: the peer waits for word that its changes are stored, so something must go out. */
  #syncTo(peer: PeerLink, state: PeerState, acknowledge = false): void {
    for (let i = 0; i < MAX_MESSAGES_PER_TURN; i++) {
      let [syncState, data] = A.generateSyncMessage(this.#doc, state.syncState)
      if (data === null && acknowledge && i === 0) {
        // While the write ran, the peer answered a relay that crossed its change, saying it has
        // all we have; Automerge then has nothing to say, yet the peer does not know we have its
        // change. Forgetting what we last told it makes Automerge tell it our heads again.
        ;[syncState, data] = A.generateSyncMessage(this.#doc, A.decodeSyncState(A.encodeSyncState(state.syncState)))
      }
      state.syncState = syncState
      if (!data) return
      peer.send({ type: 'sync', senderId: this.#options.serverPeerId, targetId: peer.peerId, documentId: this.documentId, data })
    }
  }

  /**
   * Coalesces writes: the first change after a save starts the timer and later ones ride
   * along, so a busy document is still written every `saveDebounceMs`, not starved.
   */
  #scheduleSave(delay = this.#options.saveDebounceMs): void {
    this.#dirty = true
    if (this.#closed) return
    if (this.#saveTimer !== undefined && delay === 0 && this.#failedSaves === 0) this.#clearTimer()
    if (this.#saveTimer !== undefined || this.#saving !== undefined) return
    this.#saveTimer = setTimeout(() => {
      this.#saveTimer = undefined
      void this.#save()
    }, delay)
  }

  #save(): Promise<void> {
    const { storage, documentId, saveDebounceMs, reportError } = this.#options
    this.#clearTimer()
    this.#dirty = false
    const binary = A.save(this.#doc)
    const saving = Promise.resolve()
      .then(() => storage.saveDoc(documentId, binary))
      .then(
        () => {
          this.#failedSaves = 0
          this.#acknowledgeSaved()
          this.#options.onStored?.(documentId)
        },
        (error: unknown) => {
          this.#failedSaves++
          // Keep the changes: a later write (with backoff, so a broken disk is not hammered) retries.
          this.#dirty = true
          reportError(new Error(`Saving document ${documentId} failed: ${describe(error)}`, { cause: error }))
        },
      )
      .finally(() => {
        this.#saving = undefined
        if (this.#dirty) {
          // Changes that arrived during this save: write them at once (a peer waits for its
          // acknowledgement); after a failure, back off so a broken disk is not hammered.
          this.#scheduleSave(this.#failedSaves === 0 ? 0 : Math.min(MAX_SAVE_RETRY_MS, saveDebounceMs * 2 ** this.#failedSaves))
        } else {
          this.#checkIdle()
        }
      })
    this.#saving = saving
    return saving
  }

  /** Replies to the peers whose changes the save that just finished included. */
  #acknowledgeSaved(): void {
    if (this.#dirty) return // newer changes are not stored yet: the next save acknowledges all
    const waiting = [...this.#awaitingSave]
    this.#awaitingSave.clear()
    for (const peer of waiting) {
      const state = this.#peers.get(peer)
      if (state) this.#syncTo(peer, state, true)
    }
  }

  #clearTimer(): void {
    if (this.#saveTimer === undefined) return
    clearTimeout(this.#saveTimer)
    this.#saveTimer = undefined
  }

  #checkIdle(): void {
    if (this.isIdle) this.#options.onIdle(this)
  }
}

function sameHeads(a: A.Heads, b: A.Heads): boolean {
  return a.length === b.length && a.every((head, i) => head === b[i])
}

/** Whether a sync message names changes the peer lacks. Undecodable data is left to `receiveSyncMessage` to refuse. */
function needsChanges(data: Uint8Array): boolean {
  try {
    return A.decodeSyncMessage(data).need.length > 0
  } catch {
    return false
  }
}
